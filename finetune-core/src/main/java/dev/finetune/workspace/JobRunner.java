package dev.finetune.workspace;

import dev.finetune.NotFoundException;
import dev.finetune.datasets.Dataset;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.JobUpdate;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.finetuning.WandbConfig;
import dev.finetune.spi.TrainingBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains queued fine-tunes on background threads through a {@link TrainingBackend} and turns each
 * outcome into the model's status. Every transition is an event. {@link #close()} is orderly: jobs see
 * {@code cancelled()} at their next step boundary, the write in flight completes, and a job stopped
 * this way stays {@code STATUS_FINETUNING}, to resume from its last checkpoint when a runner next opens
 * the workspace. Nothing is interrupted.
 */
public final class JobRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);
    /** How long {@link #close()} waits for a job to reach a step boundary before giving up on it. */
    private static final long CLOSE_WAIT_SECONDS = 600;

    private final ModelStore store;
    private final Function<String, Dataset> datasets;
    private final Function<String, Path> datasetDir;
    private final Path baseModelsDir;
    private final TrainingBackend backend;
    private final ExecutorService threads;
    private final JobEvents events;
    private final Clock clock;
    private final Map<String, WandbConfig> secrets = new ConcurrentHashMap<>();
    private final Map<String, Boolean> cancelled = new ConcurrentHashMap<>();
    private volatile boolean closing;

    public JobRunner(ModelStore store, Function<String, Dataset> datasets, Function<String, Path> datasetDir,
                     Path baseModelsDir, TrainingBackend backend, int threads, JobEvents events) {
        this.store = store;
        this.datasets = datasets;
        this.datasetDir = datasetDir;
        this.baseModelsDir = baseModelsDir;
        this.backend = backend;
        this.events = events;
        this.clock = events.clock();
        this.threads = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "finetune-training");
            t.setDaemon(true);
            return t;
        });
    }

    /** The W&B settings of a job, held in memory only (the api_key never reaches disk). */
    public void rememberSecrets(String id, WandbConfig wandb) {
        secrets.put(id, wandb);
    }

    /** Marks a job to stop at its next step boundary (cancel or delete). */
    public void cancel(String id) {
        cancelled.put(id, Boolean.TRUE);
    }

    public boolean isCancelled(String id) {
        return Boolean.TRUE.equals(cancelled.get(id));
    }

    /** Queues every model a stopped process left queued or training; returns their ids. */
    public List<String> resumeInterrupted() {
        List<String> ids = new java.util.ArrayList<>();
        for (FinetunedModel m : store.all()) {
            Status st = m.status().orElse(Status.STATUS_UNSPECIFIED);
            String id = m.id().orElseThrow();
            if (st.equals(Status.STATUS_FINETUNING)) {
                event(id, st, "the process that ran this job stopped; resuming from the last checkpoint");
            } else if (st.equals(Status.STATUS_QUEUED)) {
                event(id, st, "picked up by a job runner");
            } else {
                continue;
            }
            submit(id);
            ids.add(id);
        }
        return ids;
    }

    public void submit(String id) {
        threads.execute(() -> {
            try {
                run(id);
            } catch (Throwable e) {
                // run() records failures itself; this is the failure of recording one (e.g. out of memory while
                // writing the status): never leave a job silently "training" with nobody working on it
                LOG.error("fine-tuned model {}: the job runner failed", id, e);
                try {
                    String reason = "the job runner failed: " + (e.getMessage() == null ? e.toString() : e.getMessage());
                    transition(id, Status.STATUS_FAILED, Optional.of(reason), Optional.empty(), "failed: " + reason);
                } catch (Throwable again) {
                    LOG.error("fine-tuned model {}: cannot record the failure either", id, again);
                }
            }
        });
    }

    private void run(String id) {
        if (closing) {
            return; // queued when the client closed: the next runner picks it up
        }
        FinetunedModel m;
        try {
            m = store.read(id);
        } catch (NotFoundException e) {
            return; // deleted while queued
        }
        if (m.status().orElseThrow().isTerminal() || isCancelled(id)) {
            return;
        }
        transition(id, Status.STATUS_FINETUNING, Optional.empty(), Optional.empty(), "training started");
        Dataset d = datasets.apply(m.settings().datasetId());
        Path dsDir = datasetDir.apply(d.id());
        WandbConfig wandb = secrets.get(id);
        FinetunedModel withSecrets = wandb == null ? m
                : new FinetunedModel(m.name(), new Settings(m.settings().baseModel(), m.settings().datasetId(),
                        m.settings().hyperparameters(), Optional.of(wandb)), m.id(), m.status(), m.createdAt(),
                        m.updatedAt(), m.completedAt(), m.failureReason(), m.metrics());
        TrainingBackend.Job job = job(withSecrets, d, store.dir(id), dsDir, baseModelsDir);
        try {
            TrainingBackend.Outcome out = backend.train(job, context(id));
            if (stoppedByClose(id)) {
                LOG.info("fine-tuned model {}: the client closed; the job resumes when a runner opens the workspace", id);
                return;
            }
            if (isCancelled(id)) {
                if (Files.isDirectory(store.dir(id))) {
                    transition(id, Status.STATUS_CANCELLED, Optional.empty(), Optional.empty(), "cancelled");
                }
                return;
            }
            transition(id, Status.STATUS_DEPLOYING_API, Optional.empty(), Optional.of(out.metrics()), "training finished");
            transition(id, Status.STATUS_READY, Optional.empty(), Optional.of(out.metrics()), "ready: use model \"" + id + "-ft\"");
        } catch (Throwable e) {
            if (!Files.isDirectory(store.dir(id))) {
                return; // deleted meanwhile
            }
            if (stoppedByClose(id)) {
                LOG.info("fine-tuned model {}: stopped because the client closed; it resumes on the next open", id);
                return;
            }
            if (isCancelled(id)) {
                transition(id, Status.STATUS_CANCELLED, Optional.empty(), Optional.empty(), "cancelled");
                return;
            }
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            if (e instanceof OutOfMemoryError) {
                reason = "out of memory (" + reason + "): lower train_batch_size, or give the JVM more heap (-Xmx; "
                        + "FINETUNE_JAVA_OPTS for the command line)";
            }
            LOG.warn("fine-tuned model {} failed: {}", id, reason, e);
            transition(id, Status.STATUS_FAILED, Optional.of(reason), Optional.empty(), "failed: " + reason);
        }
    }

    /** The job of model {@code m} on dataset {@code d} (normalized parts under {@code datasetDir}). */
    public static TrainingBackend.Job job(FinetunedModel m, Dataset d, Path modelDir, Path datasetDir, Path baseModelsDir) {
        Path eval = datasetDir.resolve("eval.jsonl");
        return new TrainingBackend.Job(m, d, modelDir, baseModelsDir, datasetDir.resolve("train.jsonl"),
                Files.exists(eval) ? Optional.of(eval) : Optional.empty());
    }

    private boolean stoppedByClose(String id) {
        return closing && !isCancelled(id);
    }

    private TrainingBackend.Context context(String id) {
        return new TrainingBackend.Context() {
            @Override
            public void event(String message) {
                JobRunner.this.event(id, status(), message);
            }

            @Override
            public void stepMetrics(int step, Map<String, Double> metrics) {
                TrainingStepMetrics t = new TrainingStepMetrics(step, clock.instant(), metrics);
                store.appendMetrics(id, t);
                events.notify(new JobUpdate(id, status(), Optional.empty(), Optional.of(t), Optional.empty(), Optional.empty()));
            }

            @Override
            public void progress(int step, int total, String detail) {
                events.notify(new JobUpdate(id, status(), Optional.empty(), Optional.empty(),
                        Optional.of(new int[] {step, total}), Optional.of(detail)));
            }

            @Override
            public boolean cancelled() {
                return closing || isCancelled(id) || !Files.isDirectory(store.dir(id));
            }

            @Override
            public Status status() {
                return store.status(id);
            }
        };
    }

    private void transition(String id, Status to, Optional<String> failure, Optional<Map<String, Double>> metrics, String message) {
        events.transition(id, to, failure, metrics, message);
    }

    private void event(String id, Status status, String message) {
        events.event(id, status, message);
    }

    /**
     * Stops taking jobs, lets the running ones reach a step boundary and finish their writes, then
     * returns. Queued jobs stay queued on disk.
     */
    @Override
    public void close() {
        closing = true;
        threads.shutdown();
        try {
            if (!threads.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("a training job did not reach a step boundary within {} s; releasing the workspace anyway",
                        CLOSE_WAIT_SECONDS);
                threads.shutdownNow();
            }
        } catch (InterruptedException e) {
            threads.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
