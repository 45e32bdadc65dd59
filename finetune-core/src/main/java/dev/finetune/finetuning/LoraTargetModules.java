package dev.finetune.finetuning;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.finetune.json.WireValue;
import java.util.Map;
import java.util.Objects;

/**
 * Which linear layers LoRA adapts: q and v; q, k, v and the attention output; or those and the MLP.
 * Forward-compatible: a value this version does not know is kept as it came ({@link #isKnown()} false)
 * and written back unchanged; {@code toString()} is the wire value.
 */
public final class LoraTargetModules extends WireValue {
    public static final LoraTargetModules LORA_TARGET_MODULES_UNSPECIFIED = new LoraTargetModules("LORA_TARGET_MODULES_UNSPECIFIED");
    public static final LoraTargetModules LORA_TARGET_MODULES_QV = new LoraTargetModules("LORA_TARGET_MODULES_QV");
    public static final LoraTargetModules LORA_TARGET_MODULES_QKVO = new LoraTargetModules("LORA_TARGET_MODULES_QKVO");
    public static final LoraTargetModules LORA_TARGET_MODULES_QKVO_FFN = new LoraTargetModules("LORA_TARGET_MODULES_QKVO_FFN");

    private static final Map<String, LoraTargetModules> KNOWN = index(LORA_TARGET_MODULES_UNSPECIFIED, LORA_TARGET_MODULES_QV, LORA_TARGET_MODULES_QKVO, LORA_TARGET_MODULES_QKVO_FFN);

    private LoraTargetModules(String value) {
        super(value);
    }

    /** The constant for {@code value}, or a new unknown one that keeps it. */
    @JsonCreator
    public static LoraTargetModules valueOf(String value) {
        Objects.requireNonNull(value, "value");
        LoraTargetModules known = KNOWN.get(value);
        return known != null ? known : new LoraTargetModules(value);
    }

    public boolean isKnown() {
        return KNOWN.containsKey(toString());
    }
}
