package dev.finetune.jobs;

import dev.finetune.finetuning.Estimate;
import dev.finetune.json.Json;
import dev.finetune.workspace.AtomicWrite;
import dev.finetune.workspace.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A running job's {@link ModelFiles#ESTIMATE}: the schedule and memory it started with, then, from its
 * own pace (wall time per step since it started, evaluations included), {@code seconds_per_step},
 * {@code seconds} (what the whole run takes at that pace) and {@code estimated_finish}, rewritten at most
 * every two seconds and after every evaluation. {@code results.csv} is rewritten after every evaluation.
 */
final class JobProgress {
    private static final long WRITE_EVERY_NANOS = 2_000_000_000L;

    private final Path modelDir;
    private final Estimate plan;
    private final long started = System.nanoTime();
    private long lastWrite;
    private int firstStep = -1;

    JobProgress(Path modelDir, Estimate plan) throws IOException {
        this.modelDir = modelDir;
        this.plan = plan;
        write(plan);
    }

    void step(int step, Map<String, Double> metrics) throws IOException {
        if (step == 0) {
            return;
        }
        if (firstStep < 0) {
            firstStep = step - 1; // a resumed job starts after its checkpoint
        }
        long now = System.nanoTime();
        boolean evaluated = metrics.keySet().stream().anyMatch(k -> k.startsWith("eval_"));
        if (evaluated) {
            ResultsCsv.write(modelDir);
        }
        if (!evaluated && now - lastWrite < WRITE_EVERY_NANOS && step < plan.steps()) {
            return;
        }
        double perStep = (now - started) / 1e9 / (step - firstStep);
        double remaining = Math.max(0, plan.steps() - step) * perStep;
        Estimate e = plan.withTime(perStep * plan.steps(), perStep, plan.evaluationSeconds().orElse(0.0), step - firstStep,
                (now - started) / 1e9).withFinish(Instant.now().plusMillis((long) (remaining * 1000)));
        write(e);
        lastWrite = now;
    }

    private void write(Estimate e) throws IOException {
        AtomicWrite.writeBytes(modelDir.resolve(ModelFiles.ESTIMATE), Json.prettyWriter().writeValueAsBytes(e));
    }
}
