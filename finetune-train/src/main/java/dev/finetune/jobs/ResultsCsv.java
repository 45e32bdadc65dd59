package dev.finetune.jobs;

import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.workspace.AtomicWrite;
import dev.finetune.workspace.FileOps;
import dev.finetune.workspace.ModelFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * OpenAI's {@code results.csv} beside the step metrics: {@code step, train_loss, train_accuracy,
 * valid_loss, valid_mean_token_accuracy}, one row per training step (step 0, the base model's
 * evaluation, is not a training step and has no row), rewritten whole from {@code metrics.jsonl}; a step
 * reported twice (a resumed job repeats the steps after its last checkpoint) keeps its last report.
 * {@code valid_loss} is the eval cross-entropy (chat, generative) or loss (rerank, classify);
 * {@code valid_mean_token_accuracy} the eval accuracy (accuracy@1 for rerank). A value the step did not
 * report is empty, as in OpenAI's file; numbers are written exactly as stored (Java's shortest
 * round-trip form).
 */
final class ResultsCsv {
    static final String HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy";

    private ResultsCsv() {
    }

    /** The row of one step's metrics. */
    static String row(int step, Map<String, Double> m) {
        return step + "," + cell(m, "train_loss") + "," + cell(m, "train_accuracy") + ","
                + cell(m, "eval_cross_entropy", "eval_loss") + "," + cell(m, "eval_accuracy", "eval_accuracy@1");
    }

    private static String cell(Map<String, Double> m, String... keys) {
        for (String k : keys) {
            Double v = m.get(k);
            if (v != null) {
                return Double.toString(v);
            }
        }
        return "";
    }

    static void write(Path modelDir) throws IOException {
        Path metrics = modelDir.resolve(ModelFiles.METRICS);
        if (!Files.isRegularFile(metrics)) {
            return;
        }
        List<TrainingStepMetrics> all = FileOps.readJsonLines(metrics, TrainingStepMetrics.class);
        TreeMap<Integer, Map<String, Double>> bySteps = new TreeMap<>();
        for (TrainingStepMetrics t : all) {
            if (t.stepNumber() >= 1) {
                bySteps.put(t.stepNumber(), t.metrics());
            }
        }
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        bySteps.forEach((step, m) -> sb.append(row(step, m)).append('\n'));
        AtomicWrite.writeBytes(modelDir.resolve(ModelFiles.RESULTS), sb.toString().getBytes(StandardCharsets.UTF_8));
    }
}
