package dev.finetune.datasets;

import java.util.Optional;

/**
 * Counts over the validated parts. Sizes are bytes of the normalized JSONL parts; the trainable token
 * count is the number of tokens of the train part a model is trained on (all message or field text).
 * Exactly one of the per-type metrics is present.
 */
public record FinetuneDatasetMetrics(
        long trainableTokenCount,
        long totalExamples,
        long trainExamples,
        long trainSizeBytes,
        long evalExamples,
        long evalSizeBytes,
        Optional<ChatDataMetrics> chatDataMetrics,
        Optional<RerankerDataMetrics> rerankerDataMetrics,
        Optional<ClassifyDataMetrics> classifyDataMetrics) {
    public FinetuneDatasetMetrics {
        chatDataMetrics = chatDataMetrics == null ? Optional.empty() : chatDataMetrics;
        rerankerDataMetrics = rerankerDataMetrics == null ? Optional.empty() : rerankerDataMetrics;
        classifyDataMetrics = classifyDataMetrics == null ? Optional.empty() : classifyDataMetrics;
    }

    /** Turn counts per part and the first preamble seen (if any). */
    public record ChatDataMetrics(long numTrainTurns, long numEvalTurns, Optional<String> preamble) {
        public ChatDataMetrics {
            preamble = preamble == null ? Optional.empty() : preamble;
        }
    }

    public record RerankerDataMetrics(long numTrainQueries, long numTrainRelevantPassages, long numTrainHardNegatives,
            long numEvalQueries, long numEvalRelevantPassages, long numEvalHardNegatives) {
    }

    public record ClassifyDataMetrics(java.util.List<LabelMetric> labelMetrics) {
        public ClassifyDataMetrics {
            labelMetrics = labelMetrics == null ? java.util.List.of() : java.util.List.copyOf(labelMetrics);
        }
    }

    /** Examples per label over both parts, with a few sample texts. */
    public record LabelMetric(long totalExamples, String label, java.util.List<String> samples) {
        public LabelMetric {
            samples = samples == null ? java.util.List.of() : java.util.List.copyOf(samples);
        }
    }
}
