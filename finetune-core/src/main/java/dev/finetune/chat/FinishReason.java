package dev.finetune.chat;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.finetune.json.WireValue;
import java.util.Map;
import java.util.Objects;

/**
 * Why a generation ended, as the service names it. Forward-compatible: an unknown wire value (a newer
 * service's reason) is kept as it came ({@link #isKnown()} false); {@code toString()} is the wire value.
 */
public final class FinishReason extends WireValue {
    /** The model ended its turn. */
    public static final FinishReason COMPLETE = new FinishReason("COMPLETE");
    /** A requested stop sequence was produced. */
    public static final FinishReason STOP_SEQUENCE = new FinishReason("STOP_SEQUENCE");
    /** {@code max_tokens} (or the model's context) was reached. */
    public static final FinishReason MAX_TOKENS = new FinishReason("MAX_TOKENS");

    private static final Map<String, FinishReason> KNOWN = index(COMPLETE, STOP_SEQUENCE, MAX_TOKENS);

    private FinishReason(String value) {
        super(value);
    }

    @JsonCreator
    public static FinishReason valueOf(String value) {
        Objects.requireNonNull(value, "finish_reason");
        FinishReason known = KNOWN.get(value);
        return known != null ? known : new FinishReason(value);
    }

    public boolean isKnown() {
        return KNOWN.containsKey(toString());
    }
}
