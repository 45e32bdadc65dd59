package dev.finetune.spark;

import dev.finetune.FinetuneException;
import dev.finetune.finetuning.Estimate;
import dev.finetune.jobs.LocalTrainingBackend;
import dev.finetune.jobs.ShardedTraining;
import dev.finetune.spi.TrainingBackend;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Fine-tunes on an Apache Spark cluster, data-parallel: the driver (this JVM) owns the job exactly as the
 * local backend does (the schedule, evaluation, early stopping, checkpoints and resume, events, step
 * metrics, the servable model), and each step's {@link ShardedTraining gradient shards} are computed by
 * Spark tasks, one task per shard. An executor builds its model once per job and JVM (the base model,
 * shipped by broadcast on a cluster or read at the driver's path, loaded once; one copy per concurrently
 * running task) and receives each step's trainable weights by
 * broadcast: under LoRA the adapter (and the template's embedding rows, a head's weights), a few MB;
 * under full fine-tuning every weight, and a full gradient back from every shard (4 bytes × parameters
 * each way per shard: 540 MB for a 135M model), allowed but slow. The driver adds the shards' gradients
 * in shard order and steps AdamW, so the job ends with the weights of the local backend run with the
 * same shard count ({@code -Dfinetune.gradientShards=S}), bit for bit, whatever the executors and
 * cores. A failed task is retried by Spark (its shard is recomputed from the same weights, so the result
 * does not change); a driver that stops resumes from the last checkpoint like the local backend.
 *
 * <p>Chosen with {@code ClientV2.builder().trainingBackend(SparkTrainingBackend.builder().master(url).build())},
 * or through {@link java.util.ServiceLoader} when this module is on the class path and the system
 * property {@code spark.master} is set (as {@code spark-submit} does). Spark itself is a {@code provided}
 * dependency: the cluster's, or {@code $SPARK_HOME/jars} on the class path; without it {@link #train}
 * fails naming what is missing. Each job runs in a Spark application of its own (started and stopped by
 * the job), unless one is already running in this JVM (under {@code spark-submit}), which it then uses
 * and leaves running.
 */
public final class SparkTrainingBackend implements TrainingBackend {
    /**
     * Gradient shards per step when none is given: one, so that a Spark run ends with the plain local run's
     * weights bit for bit (a step's one shard is computed exactly as the local backend computes a step; tested).
     * More shards spread a step over that many tasks; the local run with the same count then matches.
     */
    public static final int DEFAULT_SHARDS = 1;
    static final String SPARK_CONTEXT = "org.apache.spark.SparkContext";

    private final String master;
    private final int shards;
    private final Map<String, String> conf;
    private final Boolean shipBaseModel;
    private final LocalTrainingBackend local;

    /**
     * The backend {@link java.util.ServiceLoader} finds: the master from the system property
     * {@code spark.master} (unset: not configured, see {@link #priority()}), the shards from
     * {@value ShardedTraining#SHARDS_PROPERTY} (default {@value #DEFAULT_SHARDS}).
     */
    public SparkTrainingBackend() {
        this(builder().master(System.getProperty("spark.master")).shards(discoveredShards()));
    }

    private static int discoveredShards() {
        int n = Integer.getInteger(ShardedTraining.SHARDS_PROPERTY, DEFAULT_SHARDS);
        return n >= 1 && n <= 4096 ? n : DEFAULT_SHARDS;
    }

    private SparkTrainingBackend(Builder b) {
        this.master = b.master;
        this.shards = b.shards;
        this.conf = Map.copyOf(b.conf);
        this.shipBaseModel = b.shipBaseModel;
        this.local = new LocalTrainingBackend(shards, ShardedTraining.inProcess());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** 10 when a master is configured (discovery prefers this backend to the local one), else -1 (never discovered). */
    @Override
    public int priority() {
        return master != null ? 10 : -1;
    }

    /** The master URL ({@code local[2]}, {@code spark://host:7077}, {@code yarn}), when one was given. */
    public Optional<String> master() {
        return Optional.ofNullable(master);
    }

    public int shards() {
        return shards;
    }

    @Override
    public Map<String, String> runtime() {
        Map<String, String> m = new LinkedHashMap<>(local.runtime());
        m.put("training_backend", "spark");
        m.put("spark_master", master == null ? "(from the running Spark application)" : master);
        m.put("gradient_shards", Integer.toString(shards));
        m.put("spark_on_class_path", Boolean.toString(sparkPresent()));
        return m;
    }

    @Override
    public Outcome train(Job job, Context ctx) throws Exception {
        requireSpark();
        // the Spark-typed engine is loaded only now, with Spark known to be there
        try (SparkEngine engine = SparkEngine.start(master, conf, shipBaseModel)) {
            ctx.event("training on Spark (" + engine.describe() + "), " + shards + " gradient shards per step");
            return new LocalTrainingBackend(shards, engine).train(job, ctx);
        }
    }

    /** The local backend's estimate (a short burst of local steps: it does not time the cluster). */
    @Override
    public Estimate estimate(Job job) throws Exception {
        return local.estimate(job);
    }

    @Override
    public void exportCheckpoint(Job job, int step, Path out) throws Exception {
        local.exportCheckpoint(job, step, out);
    }

    static boolean sparkPresent() {
        try {
            Class.forName(SPARK_CONTEXT, false, SparkTrainingBackend.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Throws naming what is missing when Spark's classes are not on the class path. */
    public static void requireSpark() {
        if (!sparkPresent()) {
            throw new FinetuneException("Apache Spark is not on the class path (" + SPARK_CONTEXT + " is missing): run with "
                    + "spark-submit, or put Spark 4.0's jars on the class path (SPARK_HOME=/path/to/spark ./finetune ..., "
                    + "or java -cp finetune-cli.jar:$SPARK_HOME/jars/* dev.finetune.cli.Main ...)");
        }
    }

    public static final class Builder {
        private String master;
        private int shards = DEFAULT_SHARDS;
        private final Map<String, String> conf = new LinkedHashMap<>();
        private Boolean shipBaseModel;

        /**
         * The Spark master: {@code local[N]} (in this JVM; {@code local[N,F]} retries a failed task F-1
         * times), {@code spark://host:7077}, {@code yarn}, ...; null takes {@code spark.master} from the
         * Spark configuration (spark-submit's).
         */
        public Builder master(String url) {
            this.master = url == null || url.isBlank() ? null : url.trim();
            return this;
        }

        /**
         * Gradient shards per step (default {@value #DEFAULT_SHARDS}), a property of the job's numbers: the
         * local backend with {@code -Dfinetune.gradientShards} set to the same count ends with the same
         * weights. More shards let more executor cores work on a step; each shard is one Spark task.
         */
        public Builder shards(int n) {
            if (n < 1 || n > 4096) {
                throw new IllegalArgumentException("gradient shards must be in [1, 4096], got " + n);
            }
            this.shards = n;
            return this;
        }

        /** A Spark setting ({@code spark.executor.memory}, ...) for the application a job starts. */
        public Builder conf(String key, String value) {
            conf.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Whether the base model folder goes to the executors by broadcast (once per job; each executor writes
         * it to a temporary folder and loads it from there), or is read at the driver's path (a shared file
         * system). Default: shipped, except on {@code local} masters, where the executors share the driver's disk.
         */
        public Builder shipBaseModel(boolean ship) {
            this.shipBaseModel = ship;
            return this;
        }

        public SparkTrainingBackend build() {
            return new SparkTrainingBackend(this);
        }
    }
}
