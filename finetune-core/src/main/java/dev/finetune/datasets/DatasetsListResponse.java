package dev.finetune.datasets;

import java.util.List;

/** One page of {@code list}: datasets newest first. */
public record DatasetsListResponse(List<Dataset> datasets) {
    public DatasetsListResponse {
        datasets = datasets == null ? List.of() : List.copyOf(datasets);
    }
}
