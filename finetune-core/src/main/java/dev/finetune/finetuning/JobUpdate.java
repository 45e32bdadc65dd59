package dev.finetune.finetuning;

import java.util.Optional;

/**
 * A change in a fine-tuning job that an application can listen to: an event ({@code message}), one
 * step's metrics, or progress ({@code progress} = [step, total] with a short {@code detail}).
 */
public record JobUpdate(String modelId, Status status, Optional<String> message, Optional<TrainingStepMetrics> metrics,
                        Optional<int[]> progress, Optional<String> detail) {
}
