package dev.finetune.finetuning;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.finetune.json.WireValue;
import java.util.Map;
import java.util.Objects;

/**
 * A fine-tuned model's lifecycle state. Terminal for waiting: READY, FAILED, DELETED (and PAUSED, our cancel).
 * Forward-compatible: a value this version does not know is kept as it came ({@link #isKnown()} false)
 * and written back unchanged; {@code toString()} is the wire value.
 */
public final class Status extends WireValue {
    public static final Status STATUS_UNSPECIFIED = new Status("STATUS_UNSPECIFIED");
    public static final Status STATUS_FINETUNING = new Status("STATUS_FINETUNING");
    public static final Status STATUS_DEPLOYING_API = new Status("STATUS_DEPLOYING_API");
    public static final Status STATUS_READY = new Status("STATUS_READY");
    public static final Status STATUS_FAILED = new Status("STATUS_FAILED");
    public static final Status STATUS_DELETED = new Status("STATUS_DELETED");
    public static final Status STATUS_TEMPORARILY_OFFLINE = new Status("STATUS_TEMPORARILY_OFFLINE");
    public static final Status STATUS_PAUSED = new Status("STATUS_PAUSED");
    public static final Status STATUS_QUEUED = new Status("STATUS_QUEUED");
    /** Ours: stopped by {@code cancelFinetunedModel}. */
    public static final Status STATUS_CANCELLED = new Status("STATUS_CANCELLED");

    private static final Map<String, Status> KNOWN = index(STATUS_UNSPECIFIED, STATUS_FINETUNING, STATUS_DEPLOYING_API, STATUS_READY, STATUS_FAILED, STATUS_DELETED, STATUS_TEMPORARILY_OFFLINE, STATUS_PAUSED, STATUS_QUEUED, STATUS_CANCELLED);

    private Status(String value) {
        super(value);
    }

    /** The constant for {@code value}, or a new unknown one that keeps it. */
    @JsonCreator
    public static Status valueOf(String value) {
        Objects.requireNonNull(value, "value");
        Status known = KNOWN.get(value);
        return known != null ? known : new Status(value);
    }

    /** Whether waiting ends here: ready, failed, cancelled or deleted. */
    public boolean isTerminal() {
        return equals(STATUS_READY) || equals(STATUS_FAILED) || equals(STATUS_CANCELLED) || equals(STATUS_DELETED);
    }

    public boolean isKnown() {
        return KNOWN.containsKey(toString());
    }
}
