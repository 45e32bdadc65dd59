package dev.finetune.datasets;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A dataset as the service described it, with Cohere's wire fields (snake_case through
 * {@code Json}). {@code pii} is this library's addition: the summary of the pre-storage
 * record filter, absent when no filter ran.
 */
public record Dataset(
        String id,
        String name,
        Instant createdAt,
        Instant updatedAt,
        DatasetType datasetType,
        ValidationStatus validationStatus,
        Optional<String> validationError,
        List<String> validationWarnings,
        List<DatasetPart> datasetParts,
        Optional<DatasetMetrics> metrics,
        Optional<PiiSummary> pii) {

    public Dataset {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(createdAt, "created_at");
        updatedAt = updatedAt == null ? createdAt : updatedAt;
        Objects.requireNonNull(datasetType, "dataset_type");
        validationStatus = validationStatus == null ? ValidationStatus.UNKNOWN : validationStatus;
        validationError = validationError == null ? Optional.empty() : validationError;
        validationWarnings = validationWarnings == null ? List.of() : List.copyOf(validationWarnings);
        datasetParts = datasetParts == null ? List.of() : List.copyOf(datasetParts);
        metrics = metrics == null ? Optional.empty() : metrics;
        pii = pii == null ? Optional.empty() : pii;
    }

    /** A new dataset in state {@code processing}, before validation. */
    public static Dataset processing(String id, String name, DatasetType type, Instant now) {
        return new Dataset(id, name, now, now, type, ValidationStatus.PROCESSING, Optional.empty(), List.of(), List.of(),
                Optional.empty(), Optional.empty());
    }

    /** The finetune dataset metrics, when validation computed them. */
    public Optional<FinetuneDatasetMetrics> finetuneDatasetMetrics() {
        return metrics.flatMap(DatasetMetrics::finetuneDatasetMetrics);
    }

    /** This dataset with a new status and validation result, stamped {@code now}. */
    public Dataset withResult(ValidationStatus status, Optional<String> error, List<String> warnings, List<DatasetPart> parts,
            Optional<DatasetMetrics> newMetrics, Optional<PiiSummary> newPii, Instant now) {
        return new Dataset(id, name, createdAt, now, datasetType, status, error, warnings, parts, newMetrics, newPii);
    }
}
