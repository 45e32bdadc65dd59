package dev.finetune.finetuning;

import java.util.List;
import java.util.Optional;

/** One page of a fine-tune's step metrics, in step order. */
public record ListTrainingStepMetricsResponse(List<TrainingStepMetrics> stepMetrics, Optional<String> nextPageToken) {
    public ListTrainingStepMetricsResponse {
        stepMetrics = List.copyOf(stepMetrics);
        nextPageToken = nextPageToken == null ? Optional.empty() : nextPageToken;
    }
}
