package dev.finetune.spi;

import dev.finetune.datasets.DatasetMetrics;
import dev.finetune.datasets.DatasetPart;
import dev.finetune.datasets.PiiSummary;
import dev.finetune.datasets.ValidationStatus;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What a validator concluded: status, the first error, the other messages, parts, metrics, PII summary. */
public record ValidationOutcome(ValidationStatus status, Optional<String> validationError, List<String> validationWarnings,
        List<DatasetPart> parts, Optional<DatasetMetrics> metrics, Optional<PiiSummary> pii) {
    public ValidationOutcome {
        Objects.requireNonNull(status, "status");
        validationError = validationError == null ? Optional.empty() : validationError;
        validationWarnings = validationWarnings == null ? List.of() : List.copyOf(validationWarnings);
        parts = parts == null ? List.of() : List.copyOf(parts);
        metrics = metrics == null ? Optional.empty() : metrics;
        pii = pii == null ? Optional.empty() : pii;
    }

    public static ValidationOutcome failed(String error) {
        return new ValidationOutcome(ValidationStatus.FAILED, Optional.of(error), List.of(), List.of(), Optional.empty(),
                Optional.empty());
    }
}
