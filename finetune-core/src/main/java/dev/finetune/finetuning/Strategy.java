package dev.finetune.finetuning;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.finetune.json.WireValue;
import java.util.Map;
import java.util.Objects;

/**
 * Ours: LoRA adapters (the default; the documented default learning rate 0.01 is a LoRA rate) or full fine-tuning of every weight.
 * Forward-compatible: a value this version does not know is kept as it came ({@link #isKnown()} false)
 * and written back unchanged; {@code toString()} is the wire value.
 */
public final class Strategy extends WireValue {
    public static final Strategy STRATEGY_LORA = new Strategy("STRATEGY_LORA");
    public static final Strategy STRATEGY_FULL = new Strategy("STRATEGY_FULL");

    private static final Map<String, Strategy> KNOWN = index(STRATEGY_LORA, STRATEGY_FULL);

    private Strategy(String value) {
        super(value);
    }

    /** The constant for {@code value}, or a new unknown one that keeps it. */
    @JsonCreator
    public static Strategy valueOf(String value) {
        Objects.requireNonNull(value, "value");
        Strategy known = KNOWN.get(value);
        return known != null ? known : new Strategy(value);
    }

    public boolean isKnown() {
        return KNOWN.containsKey(toString());
    }
}
