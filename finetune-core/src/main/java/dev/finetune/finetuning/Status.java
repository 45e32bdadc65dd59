package dev.finetune.finetuning;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Map;
import java.util.Objects;

/**
 * A fine-tuned model's lifecycle state. Terminal for waiting: READY, FAILED, DELETED (and PAUSED, our cancel).
 * Forward-compatible: a value this version does not know is kept as it came ({@link #isKnown()} false)
 * and written back unchanged; {@code toString()} is the wire value.
 */
public final class Status {
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

    private static final Map<String, Status> KNOWN = Map.ofEntries(
            Map.entry("STATUS_UNSPECIFIED", STATUS_UNSPECIFIED),
            Map.entry("STATUS_FINETUNING", STATUS_FINETUNING),
            Map.entry("STATUS_DEPLOYING_API", STATUS_DEPLOYING_API),
            Map.entry("STATUS_READY", STATUS_READY),
            Map.entry("STATUS_FAILED", STATUS_FAILED),
            Map.entry("STATUS_DELETED", STATUS_DELETED),
            Map.entry("STATUS_TEMPORARILY_OFFLINE", STATUS_TEMPORARILY_OFFLINE),
            Map.entry("STATUS_PAUSED", STATUS_PAUSED),
            Map.entry("STATUS_QUEUED", STATUS_QUEUED),
            Map.entry("STATUS_CANCELLED", STATUS_CANCELLED));

    private final String value;

    private Status(String value) {
        this.value = value;
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
        return KNOWN.containsKey(value);
    }

    @JsonValue
    @Override
    public String toString() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Status other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
