package dev.finetune.finetuning;

import java.util.Map;

/**
 * A checkpoint a fine-tune kept ({@link FinetuningClient#listCheckpoints}): its step, the metrics of
 * that step (train loss and the evaluation), and whether it is the best evaluated one (the weights the
 * finished model has). Serve one as {@code "<id>-ft:ckpt-step-<step>"}, or export it as a folder
 * ({@link FinetuningClient#exportCheckpoint}).
 */
public record KeptCheckpoint(int step, Map<String, Double> metrics, boolean best) {
    public KeptCheckpoint {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }

    /** The model name that serves it. */
    public String modelName(String id) {
        return id + "-ft:ckpt-step-" + step;
    }
}
