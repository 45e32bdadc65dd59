package dev.finetune.datasets;

import java.util.Objects;

/** The answer to {@code create}: the new dataset's id (its validation runs in the background). */
public record DatasetsCreateResponse(String id) {
    public DatasetsCreateResponse {
        Objects.requireNonNull(id, "id");
    }
}
