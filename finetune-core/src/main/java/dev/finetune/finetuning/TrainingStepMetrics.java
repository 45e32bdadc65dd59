package dev.finetune.finetuning;

import java.time.Instant;
import java.util.Map;

/** Metrics recorded at one training step ({@code train_loss}, {@code eval_loss}, {@code learning_rate}, ...). */
public record TrainingStepMetrics(int stepNumber, Instant createdAt, Map<String, Double> metrics) {
    public TrainingStepMetrics {
        metrics = Map.copyOf(metrics);
    }
}
