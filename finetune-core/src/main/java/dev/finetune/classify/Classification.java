package dev.finetune.classify;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The labels of one input. Single-label models: {@code prediction} and {@code confidence} (the softmax
 * probability of the best label), repeated as one-element {@code predictions} / {@code confidences}.
 * Multi-label models: every label whose sigmoid is at least 0.5 in {@code predictions} (best first) with
 * its {@code confidences}; {@code prediction} and {@code confidence} are absent. {@code labels} has
 * every label of the model with its confidence.
 *
 * @param classificationType {@code "single-label"} or {@code "multi-label"}
 */
public record Classification(String id, String input, Optional<String> prediction, List<String> predictions,
                             Optional<Double> confidence, List<Double> confidences, Map<String, LabelConfidence> labels,
                             String classificationType) {
    public Classification {
        prediction = prediction == null ? Optional.empty() : prediction;
        confidence = confidence == null ? Optional.empty() : confidence;
        predictions = List.copyOf(predictions);
        confidences = List.copyOf(confidences);
        labels = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(labels));
    }

    /** A label's confidence in [0, 1]. */
    public record LabelConfidence(double confidence) {
    }
}
