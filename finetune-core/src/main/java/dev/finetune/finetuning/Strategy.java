package dev.finetune.finetuning;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Map;
import java.util.Objects;

/**
 * Ours: LoRA adapters (the default; the documented default learning rate 0.01 is a LoRA rate) or full fine-tuning of every weight.
 * Forward-compatible: a value this version does not know is kept as it came ({@link #isKnown()} false)
 * and written back unchanged; {@code toString()} is the wire value.
 */
public final class Strategy {
    public static final Strategy STRATEGY_LORA = new Strategy("STRATEGY_LORA");
    public static final Strategy STRATEGY_FULL = new Strategy("STRATEGY_FULL");

    private static final Map<String, Strategy> KNOWN = Map.ofEntries(
            Map.entry("STRATEGY_LORA", STRATEGY_LORA),
            Map.entry("STRATEGY_FULL", STRATEGY_FULL));

    private final String value;

    private Strategy(String value) {
        this.value = value;
    }

    /** The constant for {@code value}, or a new unknown one that keeps it. */
    @JsonCreator
    public static Strategy valueOf(String value) {
        Objects.requireNonNull(value, "value");
        Strategy known = KNOWN.get(value);
        return known != null ? known : new Strategy(value);
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
        return o instanceof Strategy other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
