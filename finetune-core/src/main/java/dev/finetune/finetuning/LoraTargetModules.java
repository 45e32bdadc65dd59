package dev.finetune.finetuning;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Map;
import java.util.Objects;

/**
 * Which linear layers LoRA adapts: q and v; q, k, v and the attention output; or those and the MLP.
 * Forward-compatible: a value this version does not know is kept as it came ({@link #isKnown()} false)
 * and written back unchanged; {@code toString()} is the wire value.
 */
public final class LoraTargetModules {
    public static final LoraTargetModules LORA_TARGET_MODULES_UNSPECIFIED = new LoraTargetModules("LORA_TARGET_MODULES_UNSPECIFIED");
    public static final LoraTargetModules LORA_TARGET_MODULES_QV = new LoraTargetModules("LORA_TARGET_MODULES_QV");
    public static final LoraTargetModules LORA_TARGET_MODULES_QKVO = new LoraTargetModules("LORA_TARGET_MODULES_QKVO");
    public static final LoraTargetModules LORA_TARGET_MODULES_QKVO_FFN = new LoraTargetModules("LORA_TARGET_MODULES_QKVO_FFN");

    private static final Map<String, LoraTargetModules> KNOWN = Map.ofEntries(
            Map.entry("LORA_TARGET_MODULES_UNSPECIFIED", LORA_TARGET_MODULES_UNSPECIFIED),
            Map.entry("LORA_TARGET_MODULES_QV", LORA_TARGET_MODULES_QV),
            Map.entry("LORA_TARGET_MODULES_QKVO", LORA_TARGET_MODULES_QKVO),
            Map.entry("LORA_TARGET_MODULES_QKVO_FFN", LORA_TARGET_MODULES_QKVO_FFN));

    private final String value;

    private LoraTargetModules(String value) {
        this.value = value;
    }

    /** The constant for {@code value}, or a new unknown one that keeps it. */
    @JsonCreator
    public static LoraTargetModules valueOf(String value) {
        Objects.requireNonNull(value, "value");
        LoraTargetModules known = KNOWN.get(value);
        return known != null ? known : new LoraTargetModules(value);
    }

    public boolean isKnown() {
        return KNOWN.containsKey(value);
    }

    @JsonValue
    @Override
    public String toString() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoraTargetModules other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
