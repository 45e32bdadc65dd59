package dev.finetune.validation;

import dev.finetune.datasets.DatasetPart;
import dev.finetune.datasets.DatasetMetrics;
import dev.finetune.datasets.FinetuneDatasetMetrics;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.pii.PiiFindings;
import dev.finetune.spi.ValidationOutcome;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What validating a dataset concluded: the fields an uploaded {@code Dataset} records (status,
 * {@code validation_error}, {@code validation_warnings}, parts, metrics), the per-part review numbers,
 * and, when a PII policy ran, what it found. {@link DatasetCheck#check} returns one; so does
 * {@link DatasetValidation#run}.
 *
 * <pre>{@code
 * ValidationReport report = DatasetCheck.check(train, Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT, CheckOptions.defaults());
 * assertTrue(report.validated(), report::validationError);
 * }</pre>
 *
 * @param outcome the validator's outcome, exactly what a {@code Dataset} stores
 * @param parts   review numbers of the train and eval parts (empty when validation failed)
 * @param pii     what the PII step found; empty when no PII policy ran ({@code OFF})
 */
public record ValidationReport(ValidationOutcome outcome, List<PartSummary> parts, Optional<PiiFindings> pii) {
    public ValidationReport {
        Objects.requireNonNull(outcome, "outcome");
        parts = List.copyOf(parts);
        pii = pii == null ? Optional.empty() : pii;
    }

    /** A report without PII findings. */
    public ValidationReport(ValidationOutcome outcome, List<PartSummary> parts) {
        this(outcome, parts, Optional.empty());
    }

    /** True when the dataset is valid: an upload of it would end {@code validated}. */
    public boolean validated() {
        return outcome.status().equals(ValidationStatus.VALIDATED);
    }

    /** {@code validated} or {@code failed}. */
    public ValidationStatus status() {
        return outcome.status();
    }

    /**
     * The dataset's {@code validation_error}, word for word as the service (and an uploaded {@code Dataset})
     * gives it; the empty string when the dataset is valid.
     */
    public String validationError() {
        return outcome.validationError().orElse("");
    }

    /** The dataset's {@code validation_warnings}: after a failure, the other errors first, then the warnings. */
    public List<String> warnings() {
        return outcome.validationWarnings();
    }

    /** Train and eval examples, bytes and sample rows ({@code dataset_parts}); empty when validation failed. */
    public List<DatasetPart> datasetParts() {
        return outcome.parts();
    }

    /** The {@code finetune_dataset_metrics} (example counts, trainable tokens, per-type numbers); empty when validation failed. */
    public Optional<FinetuneDatasetMetrics> metrics() {
        return outcome.metrics().flatMap(DatasetMetrics::finetuneDatasetMetrics);
    }

    /** The review numbers of one part, {@code "train"} or {@code "eval"}. */
    public Optional<PartSummary> part(String name) {
        return parts.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** Status, error and warnings on one line, for assertion messages and logs. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(outcome.status().toString());
        outcome.validationError().ifPresent(e -> sb.append(": ").append(e));
        if (!warnings().isEmpty()) {
            sb.append(" (warnings: ").append(String.join("; ", warnings())).append(')');
        }
        pii.ifPresent(p -> sb.append(" (pii ").append(p.policy()).append(": ").append(p.countsByType()).append(')'));
        return sb.toString();
    }
}
