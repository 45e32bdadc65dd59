package dev.finetune.datasets;

import java.util.Objects;

/** The answer to {@code get}: {@code {"dataset": {...}}}. */
public record DatasetsGetResponse(Dataset dataset) {
    public DatasetsGetResponse {
        Objects.requireNonNull(dataset, "dataset");
    }
}
