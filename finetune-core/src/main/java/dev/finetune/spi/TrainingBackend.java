package dev.finetune.spi;

import dev.finetune.datasets.Dataset;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Status;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Trains one fine-tuned model. {@code finetune-train} provides the local one through
 * {@link java.util.ServiceLoader}; the job runner calls {@link #train} on its own thread and turns the
 * outcome into the model's status.
 */
public interface TrainingBackend {

    /**
     * One job: the model record, its validated dataset and where things live.
     *
     * @param modelDir       {@code models/<id>/}: write the servable model folder here (config.json,
     *                       model.safetensors, tokenizer files) and keep checkpoints under it
     * @param baseModelsDir  {@code base-models/}: built-in base models are built and cached here
     * @param trainPart      the normalized train part
     * @param evalPart       the normalized eval part, when the dataset has one
     */
    record Job(FinetunedModel model, Dataset dataset, Path modelDir, Path baseModelsDir, Path trainPart,
               Optional<Path> evalPart) {
    }

    /** What the job reports while it runs; thread-safe, cheap to call. */
    interface Context {
        /** A notable moment, recorded as an event under the current status. */
        void event(String message);

        /** Metrics of one step, appended to the step metrics. */
        void stepMetrics(int step, Map<String, Double> metrics);

        /** Progress for listeners and progress bars: step of total, with a short detail. */
        void progress(int step, int total, String detail);

        /** True once the model was cancelled or deleted: stop at the next step boundary. */
        boolean cancelled();

        /** The status the job is in now ({@code STATUS_FINETUNING} while training). */
        Status status();
    }

    /** What a finished job leaves on the model record: the evaluation metrics (before/after and their differences). */
    record Outcome(Map<String, Double> metrics) {
        public Outcome {
            metrics = Map.copyOf(metrics);
        }
    }

    /**
     * Trains (or resumes from the checkpoints under {@code job.modelDir()}) and writes the servable model.
     * An exception fails the job; its message becomes the model's failure reason.
     */
    Outcome train(Job job, Context context) throws Exception;

    /**
     * What {@link #train} would do with this job, without doing it: the schedule's steps and tokens, the
     * peak memory, and the time from a short burst of real steps. {@code job.modelDir()} is a scratch
     * folder the caller deletes afterwards. Backends that cannot tell throw.
     */
    default dev.finetune.finetuning.Estimate estimate(Job job) throws Exception {
        throw new dev.finetune.FinetuneException("this training backend (" + getClass().getName() + ") gives no estimate");
    }

    /**
     * Writes kept checkpoint {@code step} of {@code job} (under {@code job.modelDir()}) as a servable model
     * folder at {@code out}. Backends that keep no checkpoints throw.
     */
    default void exportCheckpoint(Job job, int step, Path out) throws Exception {
        throw new dev.finetune.FinetuneException("this training backend (" + getClass().getName() + ") cannot export checkpoints");
    }

    /**
     * How {@link java.util.ServiceLoader} discovery ranks this backend: among the backends on the class
     * path, the highest non-negative priority trains; a negative one is not configured and never chosen
     * by discovery ({@code ClientV2.builder().trainingBackend(...)} still uses it). The local backend is 0;
     * the Spark backend 10 when {@code spark.master} is set, else -1.
     */
    default int priority() {
        return 0;
    }

    /**
     * What this backend computes with, for a health check ({@code ClientV2.runtime()}): e.g.
     * {@code kernel} and {@code threads}.
     */
    default java.util.Map<String, String> runtime() {
        return java.util.Map.of();
    }
}
