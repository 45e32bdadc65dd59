package dev.finetune.datasets;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.finetune.json.WireValue;
import java.util.List;
import java.util.Objects;

/**
 * Where a dataset is in validation, by wire name. Forward compatible like {@link DatasetType}:
 * unknown wire values are kept; {@link #toString()} is the wire value.
 */
public final class ValidationStatus extends WireValue {
    public static final ValidationStatus UNKNOWN = new ValidationStatus("unknown");
    public static final ValidationStatus QUEUED = new ValidationStatus("queued");
    public static final ValidationStatus PROCESSING = new ValidationStatus("processing");
    public static final ValidationStatus FAILED = new ValidationStatus("failed");
    public static final ValidationStatus VALIDATED = new ValidationStatus("validated");
    public static final ValidationStatus SKIPPED = new ValidationStatus("skipped");

    private static final List<ValidationStatus> KNOWN = List.of(UNKNOWN, QUEUED, PROCESSING, FAILED, VALIDATED, SKIPPED);

    private ValidationStatus(String value) {
        super(value);
    }

    @JsonCreator
    public static ValidationStatus valueOf(String value) {
        Objects.requireNonNull(value, "validation status");
        for (ValidationStatus s : KNOWN) {
            if (s.toString().equals(value)) {
                return s;
            }
        }
        return new ValidationStatus(value);
    }

    /** True for the states a dataset never leaves: {@code failed}, {@code validated}, {@code skipped}. */
    public boolean isTerminal() {
        return equals(FAILED) || equals(VALIDATED) || equals(SKIPPED);
    }
}
