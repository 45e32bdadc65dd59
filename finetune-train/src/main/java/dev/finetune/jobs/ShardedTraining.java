package dev.finetune.jobs;

import dev.finetune.FinetuneException;
import dev.finetune.kernel.Kernels;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.CausalLM;
import dev.finetune.model.CausalLMs;
import dev.finetune.optim.AdamW;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Sharded steps: the unit that makes a distributed fine-tune end with the local run's weights, bit for
 * bit. A step's examples (the {@code train_batch_size} examples of the seeded order) are cut into S
 * contiguous {@link Shard}s: shard k holds examples {@code [k·n/S, (k+1)·n/S)} of the step's n (empty
 * shards are dropped), a function of the step's examples and S alone, never of the executors or cores.
 * Each shard's gradient is computed from zero (the model's, the adapter's and the head's gradients
 * zeroed first), its loss divided by the whole step's normalizer (a language model's trained-token
 * count, a head task's example count), and the shard gradients are added in shard order, element by
 * element in float, into a zeroed sum; clipping and AdamW then run on the sum as in an unsharded step.
 * Where the shards are computed is an {@link Engine}: {@link #inProcess()} runs them one after the
 * other on the driver's own model (the local backend with {@value #SHARDS_PROPERTY} set); the Spark
 * backend runs each on an executor's {@link Worker}, a copy of the model built from a {@link WorkerSpec}
 * and the step's broadcast trainable weights. Both call the same {@link Worker#run}, so both give the
 * same floats. Without S (0, the default) the local backend keeps its unsharded step, whose passes
 * accumulate into one gradient buffer: a different float sum, on purpose unchanged.
 *
 * <p>The kernels' sums do not depend on the thread count ({@code finetune.threads}): GEMM splits output
 * rows or columns and sums each element's k in a fixed order, the norm's weight sums run over columns,
 * the gradient norm over fixed blocks; so two shards sharing one JVM's pool (Spark {@code local[2]})
 * compute what one alone would.
 */
public final class ShardedTraining {
    /** Gradient shards per step for the local backend; unset or 0: the unsharded step. */
    public static final String SHARDS_PROPERTY = "finetune.gradientShards";

    private ShardedTraining() {
    }

    /** One shard of a step: what a worker needs to compute its gradient (the examples' tokens, the step's normalizer). */
    public interface Shard extends Serializable {
    }

    /**
     * A shard's outcome: its gradient over the trainable weights (in {@link WorkerSpec#trainableFloats()}
     * order), its share of the step's mean loss, and its positions, real tokens and trained tokens.
     */
    public record Result(int index, float[] gradient, double loss, long tokens, long inputTokens, long trainedTokens)
            implements Serializable {
    }

    /** How a worker builds the shard side of a task on its own model copy (no dataset: shards carry their tokens). */
    interface TaskSpec extends Serializable {
        Task build(CausalLM model);
    }

    /**
     * Everything a worker needs to build its own copy of the trainable model: the base folder (a path the
     * worker can read), the vocabulary after the template's rows were added, the adapter's shape, the
     * template rows that train, the task's shard side, the trainable float count, and the driver's numeric
     * settings (the kernel, packing, the micro-batch budgets) that a worker must share for the same floats.
     */
    public record WorkerSpec(String baseDir, String baseKey, int vocabSize, boolean lora, int rank, int alpha, String targets,
                             long seed, int rowFrom, int rowTo, TaskSpec task, long trainableFloats,
                             Map<String, String> numerics) implements Serializable {
        public WorkerSpec {
            numerics = new TreeMap<>(numerics);
        }

        /** This spec with the base model read from {@code dir} (a copy of the driver's folder shipped to a worker). */
        public WorkerSpec withBaseDir(String dir) {
            return new WorkerSpec(dir, baseKey, vocabSize, lora, rank, alpha, targets, seed, rowFrom, rowTo, task, trainableFloats,
                    numerics);
        }

        /** The key of this JVM's worker pool for the spec. */
        public String key() {
            return baseKey + "|" + vocabSize + "|" + lora + "|" + rank + "|" + alpha + "|" + targets + "|" + seed + "|" + rowFrom + "|"
                    + rowTo + "|" + task + "|" + trainableFloats + "|" + numerics;
        }
    }

    /** Where the shards of each step are computed. */
    public interface Engine {
        /** Starts a job: {@code local} is the driver's own worker (its model, adapter, task), {@code spec} its description. */
        Session open(WorkerSpec spec, Worker local) throws Exception;
    }

    /** One job's shard runs (the engine releases what they hold when its job ends). */
    public interface Session {
        /**
         * Computes every shard of step {@code step} (0-based) at the trainable weights {@code weights} (asked
         * only by engines that ship them) and hands the results to {@code inOrder} in shard order.
         */
        void run(int step, Supplier<float[]> weights, List<Shard> shards, Consumer<Result> inOrder) throws Exception;
    }

    /** The engine of the local backend: every shard in turn on the driver's own model. */
    public static Engine inProcess() {
        return (spec, local) -> (step, weights, shards, inOrder) -> {
            for (int i = 0; i < shards.size(); i++) {
                inOrder.accept(local.run(i, null, shards.get(i)));
            }
        };
    }

    /**
     * The settings that change a shard's floats: the GEMM kernel and the properties that shape a shard's
     * passes (packing, the micro-batch budgets). Not the thread count: it changes no sum (see the class comment).
     */
    static final List<String> NUMERIC_PROPERTIES = List.of("finetune.vector", "finetune.packing", "finetune.microBatchLogitsBytes",
            "finetune.microBatchBytes");

    /** This JVM's values of the settings that change a shard's floats ({@link #NUMERIC_PROPERTIES}, and the kernel). */
    static Map<String, String> numerics() {
        Map<String, String> m = new TreeMap<>();
        m.put("kernel", Kernels.describe().get("gemm"));
        for (String k : NUMERIC_PROPERTIES) {
            m.put(k, String.valueOf(System.getProperty(k)));
        }
        return m;
    }

    /** A cheap identity of a base folder's contents: its path and each file's name, size and modification time. */
    static String baseKey(Path dir) {
        StringBuilder sb = new StringBuilder(dir.toAbsolutePath().normalize().toString());
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                sb.append('|').append(f.getFileName()).append(':').append(Files.size(f)).append(':')
                        .append(Files.getLastModifiedTime(f).toMillis());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the base model folder " + dir, e);
        }
        return sb.toString();
    }

    /**
     * A model copy that computes shard gradients: the driver's own (local engine) or one built from a
     * {@link WorkerSpec} on an executor. Not thread-safe: one shard at a time (see {@link #borrow}).
     */
    public static final class Worker {
        private final CausalLM model;
        private final LoraAdapter adapter;
        private final Task task;
        private final TrainerLoop.Segments weights;
        private final TrainerLoop.Segments grads;

        Worker(CausalLM model, LoraAdapter adapter, Task task, List<AdamW.Slice> slices) {
            this.model = model;
            this.adapter = adapter;
            this.task = task;
            this.weights = TrainerLoop.Segments.of(slices);
            this.grads = TrainerLoop.Segments.gradientsOf(slices);
        }

        /**
         * The gradient of shard {@code index} at {@code trainable} (null: the weights in place), computed
         * from zeroed gradients.
         */
        public Result run(int index, float[] trainable, Shard shard) {
            if (trainable != null) {
                weights.restore(trainable);
            }
            model.zeroGrad();
            if (adapter != null) {
                adapter.zeroGrad();
            }
            task.zeroExtraGrads();
            Task.Step s = task.trainShard(shard);
            return new Result(index, grads.snapshot(), s.loss(), s.tokens(), s.inputTokens(), s.trainedTokens());
        }

        private static final ConcurrentHashMap<String, CausalLM> BASES = new ConcurrentHashMap<>();
        private static final ConcurrentHashMap<String, ConcurrentLinkedQueue<Worker>> POOLS = new ConcurrentHashMap<>();
        /** Jobs whose base and workers this JVM keeps at once; an older job's are dropped when a new one starts. */
        private static final int KEPT = 2;

        /**
         * A worker for {@code spec} from this JVM's pool, built on first use: the base model is loaded once
         * per JVM (keyed by its folder and files) and each worker takes a copy of it (a task thread trains
         * its own copy; an executor with c cores holds up to c). Give it back with {@link #giveBack}.
         */
        public static Worker borrow(WorkerSpec spec) {
            ConcurrentLinkedQueue<Worker> pool = pool(spec);
            Worker w = pool.poll();
            return w != null ? w : build(spec);
        }

        public static void giveBack(WorkerSpec spec, Worker w) {
            pool(spec).add(w);
        }

        private static ConcurrentLinkedQueue<Worker> pool(WorkerSpec spec) {
            String key = spec.key();
            ConcurrentLinkedQueue<Worker> pool = POOLS.get(key);
            if (pool != null) {
                return pool;
            }
            synchronized (POOLS) {
                if (!POOLS.containsKey(key) && POOLS.size() >= KEPT) {
                    POOLS.clear();
                    BASES.clear();
                }
                return POOLS.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
            }
        }

        static Worker build(WorkerSpec spec) {
            Map<String, String> here = numerics();
            for (Map.Entry<String, String> e : spec.numerics().entrySet()) {
                if (!Objects.equals(here.get(e.getKey()), e.getValue())) {
                    throw new FinetuneException("this worker computes with " + e.getKey() + "=" + here.get(e.getKey())
                            + " and the driver with " + e.getValue() + ": give the executors the driver's JVM flags "
                            + "(spark.executor.extraJavaOptions) so that their floats are the driver's");
                }
            }
            Path dir = Path.of(spec.baseDir());
            if (!Files.isDirectory(dir)) {
                throw new FinetuneException("the base model folder " + dir + " is not readable here: put the base model on a path "
                        + "every executor reads (a shared file system), the same path as on the driver");
            }
            CausalLM base = BASES.computeIfAbsent(spec.baseKey(), k -> CausalLMs.load(dir));
            // always a copy: this worker trains it (its adapter, gradients, activations are its own)
            CausalLM model = base.withVocabSize(spec.vocabSize());
            Task task = spec.task().build(model);
            LoraAdapter adapter = spec.lora()
                    ? new LoraAdapter(model, spec.rank(), spec.alpha(), LoraAdapter.Targets.valueOf(spec.targets()), spec.seed())
                    : null;
            TrainerLoop.Trainable tr = TrainerLoop.trainable(model, adapter, spec.rowFrom(), spec.rowTo(), task);
            if (tr.floats() != spec.trainableFloats()) {
                throw new FinetuneException("the worker's model has " + tr.floats() + " trainable weights and the driver's "
                        + spec.trainableFloats() + ": the base model folder " + dir + " differs between them");
            }
            return new Worker(model, adapter, task, tr.slices());
        }
    }

    /** Opens {@code sharding}'s session for a job whose driver trains {@code model} (with {@code adapter}) on {@code task}. */
    static Stepper stepper(TrainerLoop.Sharding sharding, CausalLM model, LoraAdapter adapter, Task task, List<AdamW.Slice> slices) {
        if (sharding.shards() < 1) {
            throw new IllegalArgumentException("gradient shards must be at least 1, got " + sharding.shards());
        }
        Session session;
        try {
            session = sharding.engine().open(sharding.spec(), new Worker(model, adapter, task, slices));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new FinetuneException("cannot start the gradient shards' engine: " + e.getMessage(), e);
        }
        return new Stepper(sharding.shards(), session, task, slices);
    }

    /** The loop's side of a sharded job: splits each step, runs its shards through the session, sums in shard order. */
    static final class Stepper {
        private final int shards;
        private final Session session;
        private final Task task;
        private final TrainerLoop.Segments weights;
        private final TrainerLoop.Segments grads;
        private final float[] sum;

        Stepper(int shards, Session session, Task task, List<AdamW.Slice> slices) {
            this.shards = shards;
            this.session = session;
            this.task = task;
            this.weights = TrainerLoop.Segments.of(slices);
            this.grads = TrainerLoop.Segments.gradientsOf(slices);
            int n = 0;
            for (AdamW.Slice s : slices) {
                n += s.length();
            }
            this.sum = new float[n];
        }

        /** One step's gradient, left in the slices' gradient buffers (the sum of its shards' in shard order), and its loss and tokens. */
        Task.Step step(int step, int[] order, int b0, int B, int epoch) {
            List<Shard> parts = task.shards(order, b0, B, epoch, shards);
            Arrays.fill(sum, 0f);
            double[] loss = {0};
            long[] counts = new long[3];
            int[] next = {0};
            try {
                session.run(step, weights::snapshot, parts, r -> {
                    if (r.index() != next[0] || r.gradient().length != sum.length) {
                        throw new IllegalStateException("shard result " + r.index() + " (" + r.gradient().length
                                + " floats) where shard " + next[0] + " (" + sum.length + " floats) was due");
                    }
                    next[0]++;
                    float[] g = r.gradient();
                    for (int i = 0; i < g.length; i++) {
                        sum[i] += g[i];
                    }
                    loss[0] += r.loss();
                    counts[0] += r.tokens();
                    counts[1] += r.inputTokens();
                    counts[2] += r.trainedTokens();
                });
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new FinetuneException("step " + (step + 1) + ": the gradient shards failed: " + e.getMessage(), e);
            }
            if (next[0] != parts.size()) {
                throw new IllegalStateException("step " + (step + 1) + ": " + next[0] + " of " + parts.size() + " shard results came back");
            }
            grads.restore(sum);
            return new Task.Step(loss[0], counts[0], counts[1], counts[2]);
        }
    }

    /** Contiguous cuts of n items into at most s non-empty parts: part k is {@code [k·n/s, (k+1)·n/s)}. */
    static List<int[]> cuts(int n, int s) {
        List<int[]> out = new ArrayList<>();
        for (int k = 0; k < s; k++) {
            int lo = (int) ((long) k * n / s);
            int hi = (int) ((long) (k + 1) * n / s);
            if (hi > lo) {
                out.add(new int[] {lo, hi});
            }
        }
        return out;
    }
}
