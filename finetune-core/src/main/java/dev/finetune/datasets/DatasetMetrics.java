package dev.finetune.datasets;

import java.util.Optional;

/** The wire object {@code metrics}: {@code {"finetune_dataset_metrics": {...}}}. */
public record DatasetMetrics(Optional<FinetuneDatasetMetrics> finetuneDatasetMetrics) {
    public DatasetMetrics {
        finetuneDatasetMetrics = finetuneDatasetMetrics == null ? Optional.empty() : finetuneDatasetMetrics;
    }

    public static DatasetMetrics of(FinetuneDatasetMetrics m) {
        return new DatasetMetrics(Optional.of(m));
    }
}
