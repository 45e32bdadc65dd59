package dev.finetune.jobs;

import dev.finetune.BadRequestException;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.Strategy;
import dev.finetune.inference.ModelFolders;
import dev.finetune.kernel.Kernels;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.metrics.TensorBoardWriter;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.tokenizer.ByteLevelBpe;
import dev.finetune.workspace.ModelFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
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

    @Override
    public Outcome train(Job job, Context ctx) throws Exception {
        Hyperparameters hp = job.model().settings().hyperparameters().orElse(Hyperparameters.defaults());
        BaseType type = job.model().settings().baseModel().baseType();
        Path baseDir = BaseModelResolver.resolve(job, ctx);
        GPT2 base = GPT2Checkpoint.load(baseDir);
        ByteLevelBpe bpe = ModelFolders.tokenizer(baseDir, base.config().vocabSize());
        TaskFactory.Prepared p = TaskFactory.create(type, new TaskFactory.Inputs(base, bpe, baseDir, job, ctx, hp));
        GPT2 model = p.model();
        if (p.task().size() == 0) {
            throw new BadRequestException("the train part has no trainable examples");
        }
        boolean lora = hp.strategyValue().equals(Strategy.STRATEGY_LORA);
        // the template's special tokens: their embedding rows are trained under LoRA too
        int rowFrom = -1;
        int rowTo = -1;
        for (int id : p.tokenizer().specialTokens().values()) {
            rowFrom = rowFrom < 0 ? id : Math.min(rowFrom, id);
            rowTo = Math.max(rowTo, id + 1);
        }
        LoraAdapter adapter = lora ? new LoraAdapter(model.config(), hp.rank(), hp.alpha(), targets(hp), hp.seedValue()) : null;
        ctx.event("training " + p.task().size() + " examples on " + baseDir.getFileName()
                + (lora ? ", LoRA rank " + hp.rank() + " alpha " + hp.alpha() + " on " + adapter.targets() : ", full fine-tuning"));
        Outcome out;
        try (TensorBoardWriter tb = new TensorBoardWriter(job.modelDir().resolve(ModelFiles.TENSORBOARD), "finetune")) {
            out = TrainerLoop.fit(model, adapter, rowFrom, rowTo, p.task(), hp, job.modelDir(), alsoTo(tb, ctx));
        }
        if (ctx.cancelled()) {
            return out;
        }
        ModelPackager.write(new ModelPackager.Trained(model, p.tokenizer(), adapter, hp.alpha(), rowFrom, rowTo, p.head(),
                baseDir), job.modelDir());
        ctx.event("saved the fine-tuned model");
        return out;
    }

    static LoraAdapter.Targets targets(Hyperparameters hp) {
        String t = hp.targets().toString();
        if (t.endsWith("QKVO_FFN")) {
            return LoraAdapter.Targets.QKVO_FFN;
        }
        return t.endsWith("QKVO") ? LoraAdapter.Targets.QKVO : LoraAdapter.Targets.QV;
    }

    /** {@code ctx}, with every step's metrics also written to the TensorBoard run. */
    private static Context alsoTo(TensorBoardWriter tb, Context ctx) {
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
