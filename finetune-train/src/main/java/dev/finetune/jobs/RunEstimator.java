package dev.finetune.jobs;

import dev.finetune.finetuning.Estimate;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.metrics.TensorBoardWriter;
import dev.finetune.optim.AdamW;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.workspace.FileOps;
import dev.finetune.workspace.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The estimate of a run, in two parts. {@link #count} walks the trainer's own schedule (its batches,
 * in its seeded order, every epoch) through {@link Task#plan}, so steps and tokens are what the run will
 * do, and sizes the trainer's buffers ({@link Footprint}). {@link #measure} then times, on this
 * machine and for about {@link #burstSeconds()} seconds, real steps of the run's first batches (with the
 * per-step metric and TensorBoard writes a job does), one evaluation, one checkpoint and the final
 * packaging, all into a scratch folder, and extrapolates: steps by the positions they put through the
 * model, evaluations and checkpoints by their count in the schedule.
 */
final class RunEstimator {
    /** How long the burst of real steps runs by default (at least two steps, unless the run has one). */
    static final double BURST_SECONDS = 3;

    /** The burst's length: {@code -Dfinetune.estimateBurstSeconds}, else {@link #BURST_SECONDS}. */
    static double burstSeconds() {
        return Double.parseDouble(System.getProperty("finetune.estimateBurstSeconds", Double.toString(BURST_SECONDS)));
    }

    private RunEstimator() {
    }

    /** The schedule's counts and the memory, no time. {@code truncated} &lt; 0: not counted. */
    static Estimate count(LocalTrainingBackend.Setup s, TrainerLoop.Trainable tr, long heapMax, int truncated) {
        Task task = s.task();
        TrainerLoop.Schedule sc = TrainerLoop.Schedule.of(task.size(), s.hp());
        Task.Plan run = Task.Plan.NONE;
        Task.Plan firstEpoch = Task.Plan.NONE;
        for (int epoch = 0; epoch < sc.epochs(); epoch++) {
            int[] order = TrainerLoop.order(task.size(), s.hp().seedValue(), epoch);
            for (int b = 0; b < sc.perEpoch(); b++) {
                Task.Plan p = task.plan(order, b * sc.batchSize(), sc.batchSize(), epoch);
                run = run.plus(p);
                if (epoch == 0) {
                    firstEpoch = firstEpoch.plus(p);
                }
            }
        }
        Task.Plan eval = task.evalPlan();
        Task.Plan largest = run.plus(eval);
        Map<String, Long> memory = Footprint.parts(s.model(), s.base(), s.adapter(), task, tr, largest);
        long peak = Footprint.sum(memory);
        double padding = run.processedTokens() == 0 ? 0 : 1 - (double) run.inputTokens() / run.processedTokens();
        // rows per forward pass: the language model's fixed micro-batch; for a head, what fits at the longest input
        int micro = task instanceof LanguageModelTask lm ? lm.microBatch() : Math.min(sc.batchSize(),
                dev.finetune.heads.Scoring.rowsFor(s.model(), (int) Math.max(1, largest.maxBTT() / Math.max(1, largest.maxBT()))));
        return new Estimate(sc.total(), sc.epochs(), sc.perEpoch(), sc.batchSize(), micro, task.size(), task.evalSize(),
                Math.max(0, truncated), firstEpoch.trainedTokens(), run.trainedTokens(), run.processedTokens(), padding,
                sc.evaluations(), peak, memory, heapMax, peak <= heapMax, Optional.empty(), Optional.empty(), Optional.empty(),
                0, 0, Optional.empty());
    }

    /** {@link #count}, then the time from a burst of real steps into {@code scratch}. */
    static Estimate measure(LocalTrainingBackend.Setup s, Path scratch, long heapMax, double setupSeconds) throws IOException {
        Task task = s.task();
        TrainerLoop.Trainable tr = TrainerLoop.trainable(s.model(), s.adapter(), s.rowFrom(), s.rowTo(), task);
        Estimate e = count(s, tr, heapMax, TaskFactory.truncated(s.type(), s.inputs(), s.prepared()));
        if (!e.fits()) {
            return e; // the burst would not fit either
        }
        TrainerLoop.Schedule sc = TrainerLoop.Schedule.of(task.size(), s.hp());
        AdamW opt = AdamW.withDefaults(tr.slices(), tr.decay());
        TrainerLoop.Segments weights = TrainerLoop.Segments.of(tr.slices());
        double lr = sc.learningRate(s.adapter() != null);
        double burst = burstSeconds();
        long burstStart = System.nanoTime();
        int steps = 0;
        double firstSeconds = 0;
        long firstProcessed = 0;
        double restSeconds = 0;
        long restProcessed = 0;
        Files.createDirectories(scratch);
        try (TensorBoardWriter tb = new TensorBoardWriter(scratch.resolve(ModelFiles.TENSORBOARD), "estimate")) {
            int[] order = null;
            int orderEpoch = -1;
            for (int step = 0; step < sc.total(); step++) {
                int epoch = step / sc.perEpoch();
                if (epoch != orderEpoch) {
                    order = TrainerLoop.order(task.size(), s.hp().seedValue(), epoch);
                    orderEpoch = epoch;
                }
                int b0 = (step % sc.perEpoch()) * sc.batchSize();
                long processed = task.plan(order, b0, sc.batchSize(), epoch).processedTokens();
                long t0 = System.nanoTime();
                s.model().zeroGrad();
                if (s.adapter() != null) {
                    s.adapter().zeroGrad();
                }
                task.zeroExtraGrads();
                Task.Step r = task.trainBatch(order, b0, sc.batchSize(), epoch);
                opt.clipGradNorm(1.0);
                opt.step(sc.rate(step, lr));
                Map<String, Double> m = new LinkedHashMap<>();
                m.put("train_loss", r.loss());
                m.put("learning_rate", (double) sc.rate(step, lr));
                FileOps.appendJsonLine(scratch.resolve(ModelFiles.METRICS), new TrainingStepMetrics(step + 1, Instant.now(), m));
                tb.scalars(step + 1, m);
                double secs = (System.nanoTime() - t0) / 1e9;
                if (steps == 0) {
                    firstSeconds = secs;
                    firstProcessed = processed;
                } else {
                    restSeconds += secs;
                    restProcessed += processed;
                }
                steps++;
                if (steps >= 2 && (System.nanoTime() - burstStart) / 1e9 >= burst) {
                    break;
                }
            }
        }
        // the first step pays for allocation and compilation: leave it out of the pace when there are others
        double perPosition = restProcessed > 0 ? restSeconds / restProcessed : firstSeconds / Math.max(1, firstProcessed);
        double train = perPosition * e.processedTokens();
        long t0 = System.nanoTime();
        task.evaluation();
        double evalSeconds = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        float[] copy = weights.snapshot();
        Checkpoint.save(scratch, copy, opt, new Checkpoint.State(1, 0, 0, Map.of()), copy);
        KeptCheckpoints.save(scratch, 1, copy, Map.of(), false);
        double checkpointSeconds = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        ModelPackager.write(new ModelPackager.Trained(s.model(), s.prepared().tokenizer(), s.adapter(), s.hp().alpha(), s.rowFrom(),
                s.rowTo(), s.prepared().head(), s.baseDir()), scratch);
        double packageSeconds = (System.nanoTime() - t0) / 1e9;
        double measured = (System.nanoTime() - burstStart) / 1e9;
        int checkpoints = e.evaluations() - 2;
        double total = setupSeconds + train + e.evaluations() * evalSeconds + checkpoints * checkpointSeconds + packageSeconds;
        return e.withTime(total, perPosition * e.processedTokens() / Math.max(1, e.steps()), evalSeconds, steps, measured);
    }

    /** A context for the estimate's own set-up: nothing it reports is kept. */
    static TrainingBackend.Context quiet() {
        return new TrainingBackend.Context() {
            @Override
            public void event(String message) {
            }

            @Override
            public void stepMetrics(int step, Map<String, Double> metrics) {
            }

            @Override
            public void progress(int step, int total, String detail) {
            }

            @Override
            public boolean cancelled() {
                return false;
            }

            @Override
            public Status status() {
                return Status.STATUS_QUEUED;
            }
        };
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** An -Xmx value with room for the JVM's own use beside the trainer's buffers (a quarter more, in MiB). */
    static String xmx(long bytes) {
        return ((long) Math.ceil(bytes * 1.25 / (1024.0 * 1024.0))) + "m";
    }

    static String describe(Map<String, Long> parts) {
        StringBuilder sb = new StringBuilder();
        parts.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(mib(v)));
        return sb.toString();
    }
}
