package dev.finetune.jobs;

import dev.finetune.BadRequestException;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Estimate;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.Strategy;
import dev.finetune.inference.ModelFolders;
import dev.finetune.kernel.Kernels;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.metrics.TensorBoardWriter;
import dev.finetune.model.CausalLM;
import dev.finetune.model.CausalLMs;
import dev.finetune.model.LlamaCheckpoint;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.tokenizer.ByteLevelBpe;
import dev.finetune.workspace.ModelFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Trains fine-tunes in this JVM: resolves the base ({@link BaseModelResolver}), builds the base type's
 * task ({@link TaskFactory}), runs the shared loop ({@link TrainerLoop}: checkpoints, resume, early
 * stopping) with step metrics also written as TensorBoard events, and writes the servable model
 * ({@link ModelPackager}). LoRA is the default (rank, alpha and targets from the hyperparameters, base
 * weights frozen; the template's special-token embedding rows train with the adapter); {@code
 * STRATEGY_FULL} trains every weight.
 */
public final class LocalTrainingBackend implements TrainingBackend {

    @Override
    public Map<String, String> runtime() {
        return Kernels.describe();
    }

    /** The heap a run may use; {@link Runtime#maxMemory()} unless a test sets it. */
    private final long heapLimit;
    /** Gradient shards per step ({@link ShardedTraining}); 0 for the unsharded step. */
    private final int shards;
    private final ShardedTraining.Engine engine;

    /** The backend ServiceLoader finds: unsharded steps, unless {@value ShardedTraining#SHARDS_PROPERTY} names a shard count. */
    public LocalTrainingBackend() {
        this(-1, Integer.getInteger(ShardedTraining.SHARDS_PROPERTY, 0), ShardedTraining.inProcess());
    }

    /**
     * A backend whose every step is {@code shards} gradient shards computed by {@code engine}
     * ({@link ShardedTraining#inProcess()} in this JVM): the same job with the same shard count ends with
     * the same weights whatever the engine.
     */
    public LocalTrainingBackend(int shards, ShardedTraining.Engine engine) {
        this(-1, shards, engine);
        if (shards < 1) {
            throw new IllegalArgumentException("gradient shards must be at least 1, got " + shards);
        }
    }

    /** A backend that treats {@code heapLimit} bytes as the heap (tests of the memory check); -1 for the JVM's. */
    LocalTrainingBackend(long heapLimit) {
        this(heapLimit, 0, ShardedTraining.inProcess());
    }

    private LocalTrainingBackend(long heapLimit, int shards, ShardedTraining.Engine engine) {
        if (shards < 0) {
            throw new IllegalArgumentException(ShardedTraining.SHARDS_PROPERTY + " must be 0 (unsharded) or more, got " + shards);
        }
        this.heapLimit = heapLimit;
        this.shards = shards;
        this.engine = java.util.Objects.requireNonNull(engine, "engine");
    }

    /** Gradient shards per step; 0 for the unsharded step. */
    public int shards() {
        return shards;
    }

    long heapLimit() {
        return heapLimit > 0 ? heapLimit : Runtime.getRuntime().maxMemory();
    }

    /** A job set up to train: its base, task, adapter and the template rows that train with it. */
    record Setup(Hyperparameters hp, BaseType type, Path baseDir, CausalLM base, TaskFactory.Inputs inputs, TaskFactory.Prepared prepared,
                 LoraAdapter adapter, int rowFrom, int rowTo) {
        CausalLM model() {
            return prepared.model();
        }

        Task task() {
            return prepared.task();
        }
    }

    /** Whether LoRA holds a BF16 Llama-family base in BF16 (system property {@code finetune.lora.bf16-base}, default true). */
    static final boolean BF16_BASE = !"false".equals(System.getProperty("finetune.lora.bf16-base"));

    static Setup setUp(Job job, Context ctx, Path baseDir) {
        Hyperparameters hp = job.model().settings().hyperparameters().orElse(Hyperparameters.defaults());
        BaseType type = job.model().settings().baseModel().baseType();
        boolean lora = hp.strategyValue().equals(Strategy.STRATEGY_LORA);
        // LoRA freezes the base: a Llama-family base stored in BF16 stays in BF16 (2 bytes a weight, results
        // bit for bit those of its float copy); finetune.lora.bf16-base=false keeps the float copy instead
        boolean bf16Base = lora && BF16_BASE && !CausalLMs.family(baseDir).equals("gpt2")
                && LlamaCheckpoint.matricesAreBf16(baseDir);
        CausalLM base = bf16Base ? LlamaCheckpoint.loadFrozenBf16(baseDir) : CausalLMs.load(baseDir);
        if (bf16Base) {
            ctx.event("the frozen base stays in BF16, 2 bytes a weight (" + RunEstimator.mib(2L * base.config().parameterCount())
                    + " instead of " + RunEstimator.mib(4L * base.config().parameterCount()) + " in float)");
        }
        ByteLevelBpe bpe = ModelFolders.tokenizer(baseDir, base.config().vocabSize());
        TaskFactory.Inputs in = new TaskFactory.Inputs(base, bpe, baseDir, job, ctx, hp);
        TaskFactory.Prepared p = TaskFactory.create(type, in);
        if (p.task().size() == 0) {
            throw new BadRequestException("the train part has no trainable examples");
        }
        // a GPT-2 base's special tokens (the built-in template's, which pretraining never saw): their embedding
        // rows train under LoRA too. Llama-family bases come with trained special tokens of their own.
        int rowFrom = -1;
        int rowTo = -1;
        if (p.model().config().family().equals("gpt2")) {
            for (int id : p.tokenizer().specialTokens().values()) {
                rowFrom = rowFrom < 0 ? id : Math.min(rowFrom, id);
                rowTo = Math.max(rowTo, id + 1);
            }
        }
        LoraAdapter adapter = lora ? new LoraAdapter(p.model(), hp.rank(), hp.alpha(), targets(hp), hp.seedValue()) : null;
        return new Setup(hp, type, baseDir, base, in, p, adapter, rowFrom, rowTo);
    }

    @Override
    public Estimate estimate(Job job) throws Exception {
        Context quiet = RunEstimator.quiet();
        Path baseDir = BaseModelResolver.resolve(job, quiet);
        long t0 = System.nanoTime();
        Setup s = setUp(job, quiet, baseDir);
        return RunEstimator.measure(s, job.modelDir(), heapLimit(), (System.nanoTime() - t0) / 1e9);
    }

    @Override
    public void exportCheckpoint(Job job, int step, Path out) throws Exception {
        Context quiet = RunEstimator.quiet();
        Setup s = setUp(job, quiet, BaseModelResolver.resolve(job, quiet));
        float[] kept = KeptCheckpoints.read(job.modelDir(), step);
        TrainerLoop.Trainable tr = TrainerLoop.trainable(s.model(), s.adapter(), s.rowFrom(), s.rowTo(), s.task());
        if (tr.floats() != kept.length) {
            throw new dev.finetune.FinetuneException("checkpoint " + step + " holds " + kept.length + " trainable weights, the job's set-up "
                    + tr.floats() + ": the base model changed since training");
        }
        TrainerLoop.Segments.of(tr.slices()).restore(kept);
        Files.createDirectories(out);
        ModelPackager.write(new ModelPackager.Trained(s.model(), s.prepared().tokenizer(), s.adapter(), s.hp().alpha(), s.rowFrom(),
                s.rowTo(), s.prepared().head(), s.baseDir()), out);
    }

    @Override
    public Outcome train(Job job, Context ctx) throws Exception {
        Path baseDir = BaseModelResolver.resolve(job, ctx);
        Setup s = setUp(job, ctx, baseDir);
        Hyperparameters hp = s.hp();
        CausalLM model = s.model();
        LoraAdapter adapter = s.adapter();
        TaskFactory.Prepared p = s.prepared();
        Estimate plan = RunEstimator.count(s, TrainerLoop.trainable(model, adapter, s.rowFrom(), s.rowTo(), s.task()),
                heapLimit(), -1);
        if (!plan.fits()) {
            throw new BadRequestException("this run needs about " + RunEstimator.mib(plan.peakMemoryBytes())
                    + " of heap at its peak (" + RunEstimator.describe(plan.memory()) + "), and this JVM may use at most "
                    + RunEstimator.mib(plan.heapMaxBytes()) + ": give it more heap (-Xmx" + RunEstimator.xmx(plan.peakMemoryBytes())
                    + " or more; FINETUNE_JAVA_OPTS for the command line), or lower train_batch_size");
        }
        ctx.event("training " + p.task().size() + " examples on " + baseDir.getFileName()
                + (adapter != null ? ", LoRA rank " + hp.rank() + " alpha " + hp.alpha() + " on " + adapter.targets() : ", full fine-tuning")
                + "; " + plan.steps() + " steps, " + plan.trainedTokens() + " trained tokens, peak memory about "
                + RunEstimator.mib(plan.peakMemoryBytes()));
        TrainerLoop.Sharding sharding = null;
        if (shards > 0) {
            sharding = new TrainerLoop.Sharding(shards, engine, workerSpec(s));
            ctx.event("each step in " + shards + " gradient shards, summed in shard order");
        }
        Outcome out;
        JobProgress progress = new JobProgress(job.modelDir(), plan);
        try (TensorBoardWriter tb = new TensorBoardWriter(job.modelDir().resolve(ModelFiles.TENSORBOARD), "finetune")) {
            out = TrainerLoop.fit(model, adapter, s.rowFrom(), s.rowTo(), p.task(), hp, job.modelDir(), alsoTo(tb, progress, ctx),
                    sharding);
        }
        ResultsCsv.write(job.modelDir());
        if (ctx.cancelled()) {
            return out;
        }
        ModelPackager.write(new ModelPackager.Trained(model, p.tokenizer(), adapter, hp.alpha(), s.rowFrom(), s.rowTo(), p.head(),
                baseDir), job.modelDir());
        ctx.event("saved the fine-tuned model");
        return out;
    }

    /** What a worker needs to build its own copy of this set-up's trainable model (see {@link ShardedTraining.Worker}). */
    static ShardedTraining.WorkerSpec workerSpec(Setup s) {
        Hyperparameters hp = s.hp();
        LoraAdapter a = s.adapter();
        long floats = TrainerLoop.trainable(s.model(), a, s.rowFrom(), s.rowTo(), s.task()).floats();
        return new ShardedTraining.WorkerSpec(s.baseDir().toAbsolutePath().toString(), ShardedTraining.baseKey(s.baseDir()),
                s.model().config().vocabSize(), a != null, hp.rank(), hp.alpha(), targets(hp).name(), hp.seedValue(), s.rowFrom(),
                s.rowTo(), s.task().workerTask(), floats, ShardedTraining.numerics());
    }

    static LoraAdapter.Targets targets(Hyperparameters hp) {
        String t = hp.targets().toString();
        if (t.endsWith("QKVO_FFN")) {
            return LoraAdapter.Targets.QKVO_FFN;
        }
        return t.endsWith("QKVO") ? LoraAdapter.Targets.QKVO : LoraAdapter.Targets.QV;
    }

    /**
     * {@code ctx}, with every step's metrics also written to the TensorBoard run, the job's estimate
     * kept current and, after each evaluation, {@code results.csv} rewritten.
     */
    private static Context alsoTo(TensorBoardWriter tb, JobProgress progress, Context ctx) {
        return new Context() {
            @Override
            public void event(String message) {
                ctx.event(message);
            }

            @Override
            public void stepMetrics(int step, Map<String, Double> metrics) {
                ctx.stepMetrics(step, metrics);
                try {
                    tb.scalars(step, metrics);
                    progress.step(step, metrics);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the TensorBoard events: " + e.getMessage(), e);
                }
            }

            @Override
            public void progress(int step, int total, String detail) {
                ctx.progress(step, total, detail);
            }

            @Override
            public boolean cancelled() {
                return ctx.cancelled();
            }

            @Override
            public Status status() {
                return ctx.status();
            }
        };
    }
}
