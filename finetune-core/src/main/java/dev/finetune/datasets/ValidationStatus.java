package dev.finetune.datasets;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Objects;

/**
 * Where a dataset is in validation, by wire name. Forward compatible like {@link DatasetType}:
 * unknown wire values are kept; {@link #toString()} is the wire value.
 */
public final class ValidationStatus {
    public static final ValidationStatus UNKNOWN = new ValidationStatus("unknown");
    public static final ValidationStatus QUEUED = new ValidationStatus("queued");
    public static final ValidationStatus PROCESSING = new ValidationStatus("processing");
    public static final ValidationStatus FAILED = new ValidationStatus("failed");
    public static final ValidationStatus VALIDATED = new ValidationStatus("validated");
    public static final ValidationStatus SKIPPED = new ValidationStatus("skipped");

    private static final List<ValidationStatus> KNOWN = List.of(UNKNOWN, QUEUED, PROCESSING, FAILED, VALIDATED, SKIPPED);

    private final String value;

    private ValidationStatus(String value) {
        this.value = value;
    }

    @JsonCreator
    public static ValidationStatus valueOf(String value) {
        Objects.requireNonNull(value, "validation status");
        for (ValidationStatus s : KNOWN) {
            if (s.value.equals(value)) {
                return s;
            }
        }
        return new ValidationStatus(value);
    }

    /** True for the states a dataset never leaves: {@code failed}, {@code validated}, {@code skipped}. */
    public boolean isTerminal() {
        return equals(FAILED) || equals(VALIDATED) || equals(SKIPPED);
    }

    @JsonValue
    @Override
    public String toString() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValidationStatus && ((ValidationStatus) o).value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
