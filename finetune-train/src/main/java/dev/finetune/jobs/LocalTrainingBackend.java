package dev.finetune.jobs;

import dev.finetune.BadRequestException;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Strategy;
import dev.finetune.inference.ModelFolders;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.optim.AdamW;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.SafetensorsWriter;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.template.ChatTemplate;
import dev.finetune.template.PromptCompletionTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains chat and generative fine-tunes in this JVM: LoRA (the default; rank, alpha and targets from the
 * hyperparameters, base weights frozen, the adapter saved as {@code adapter.safetensors} and merged into
 * the served weights) or full fine-tuning.
 *
 * <p>Data: every train example padded to one length T (the longest example, at most the context), so
 * the model's activations are sized once; batches of {@code train_batch_size} in a seeded order per
 * epoch. Schedule: linear warm-up over the first 10% of steps, then linear decay to 0; gradient
 * clipping at norm 1.0; AdamW (β 0.9/0.999, weight decay 0.01 on matrices). Evaluation on the eval part
 * before the first step (the base model), every tenth of the run and at the end: {@code cross_entropy}
 * (mean nats per trained token) and {@code accuracy} (top-1 next-token accuracy on trained tokens).
 * Early stopping: an evaluation improves only when the eval loss drops by more than the threshold;
 * training stops once non-improving evaluations reach the patience (0 turns it off); the best weights
 * are the ones saved. A checkpoint (weights, AdamW moments, step) is written atomically after each
 * evaluation; a resumed job continues from it with the same data order, so it ends with the same
 * weights as an uninterrupted run.
 */
public final class LocalTrainingBackend implements TrainingBackend {
    private static final Logger LOG = LoggerFactory.getLogger(LocalTrainingBackend.class);
    /** Full fine-tuning's learning rate when none is given (the documented default 0.01 is a LoRA rate). */
    static final double FULL_DEFAULT_LR = 3e-4;
    static final String CHECKPOINT = "checkpoint";
    /** Logits memory a micro-batch may use; larger batches accumulate gradients over micro-batches. */
    static final long MICRO_BATCH_LOGITS_BYTES = Long.getLong("finetune.microBatchLogitsBytes", 256L << 20);

    @Override
    public Outcome train(Job job, Context ctx) throws Exception {
        Hyperparameters hp = job.model().settings().hyperparameters().orElse(Hyperparameters.defaults());
        BaseType type = job.model().settings().baseModel().baseType();
        Path baseDir = resolveBase(job, ctx);
        GPT2 model = GPT2Checkpoint.load(baseDir);
        ByteLevelBpe bpe = ModelFolders.tokenizer(baseDir, model.config().vocabSize());
        if (type.equals(BaseType.BASE_TYPE_CHAT) && BaseModels.templateIds(bpe).isEmpty()) {
            // a base that never had the chat template (e.g. the hub's gpt2): add its tokens as new rows
            int before = bpe.vocabSize();
            bpe = bpe.withSpecialTokens(ChatTemplate.SPECIAL_TOKENS);
            model = model.withVocabSize(Math.max(model.config().vocabSize(), bpe.vocabSize()));
            ctx.event("added " + (bpe.vocabSize() - before) + " chat template tokens to the vocabulary (new embedding rows)");
        }
        int ctxLen = model.config().maxSeqLen();
        List<ChatTemplate.Example> train;
        List<ChatTemplate.Example> eval;
        if (type.equals(BaseType.BASE_TYPE_CHAT)) {
            ChatTemplate.Ids ids = BaseModels.templateIds(bpe).orElseThrow();
            ChatTemplate t = new ChatTemplate(bpe, ids);
            train = TrainingData.chat(job.trainPart(), t, ctxLen + 1);
            eval = job.evalPart().map(p -> TrainingData.chat(p, t, ctxLen + 1)).orElse(List.of());
        } else if (type.equals(BaseType.BASE_TYPE_GENERATIVE)) {
            int eot = bpe.specialTokens().getOrDefault("<|endoftext|>", -1);
            if (eot < 0) {
                throw new BadRequestException("base model " + baseDir + " has no <|endoftext|> token");
            }
            PromptCompletionTemplate t = new PromptCompletionTemplate(bpe, eot);
            train = TrainingData.promptCompletion(job.trainPart(), t, ctxLen + 1);
            eval = job.evalPart().map(p -> TrainingData.promptCompletion(p, t, ctxLen + 1)).orElse(List.of());
        } else {
            throw new BadRequestException(type + " training is not available in this version yet");
        }
        if (train.isEmpty()) {
            throw new BadRequestException("the train part has no trainable examples");
        }
        boolean lora = hp.strategyValue().equals(Strategy.STRATEGY_LORA);
        // the template's special tokens: their embedding rows are trained under LoRA too
        int[] rows = {-1, -1};
        for (int id : bpe.specialTokens().values()) {
            rows[0] = rows[0] < 0 ? id : Math.min(rows[0], id);
            rows[1] = Math.max(rows[1], id + 1);
        }
        LoraAdapter adapter = null;
        if (lora) {
            adapter = new LoraAdapter(model.config(), hp.rank(), hp.alpha(), targets(hp), hp.seedValue());
        }
        ctx.event("training " + train.size() + " examples (" + eval.size() + " eval) on " + baseDir.getFileName()
                + (lora ? ", LoRA rank " + hp.rank() + " alpha " + hp.alpha() + " on " + adapter.targets() : ", full fine-tuning"));
        Outcome out;
        try (dev.finetune.metrics.TensorBoardWriter tb = new dev.finetune.metrics.TensorBoardWriter(
                job.modelDir().resolve("tensorboard"), "finetune")) {
            Context withTb = new Context() {
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
                        throw new java.io.UncheckedIOException("cannot write the TensorBoard events: " + e.getMessage(), e);
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
                public dev.finetune.finetuning.Status status() {
                    return ctx.status();
                }
            };
            out = fit(model, adapter, rows[0], rows[1], train, eval, hp, job.modelDir(), withTb);
        }
        if (ctx.cancelled()) {
            return out;
        }
        if (adapter != null) {
            adapter.save(job.modelDir().resolve("adapter.safetensors"), hp.alpha());
            Files.writeString(job.modelDir().resolve("adapter_config.json"), "{\n  \"peft_type\": \"LORA\",\n  \"r\": "
                    + hp.rank() + ",\n  \"lora_alpha\": " + hp.alpha() + ",\n  \"target_modules\": \"" + adapter.targets()
                    + "\",\n  \"base_model_name_or_path\": \"" + baseDir.toString().replace("\\", "/") + "\"\n}\n");
            if (rows[0] >= 0) {
                int C = model.config().channels();
                int off = model.tensor("wte.weight").offset() + rows[0] * C;
                new SafetensorsWriter().addFloats("wte.template_rows", DType.F32, new long[] {rows[1] - rows[0], C},
                        model.parameters(), off).metadata(Map.of("first_token_id", Integer.toString(rows[0])))
                        .write(job.modelDir().resolve("adapter_embeddings.safetensors"));
            }
            model.setAdapter(null);
            adapter.mergeInto(model);
        }
        Path tmp = job.modelDir().resolve(".model.tmp");
        deleteTree(tmp);
        GPT2Checkpoint.save(model, tmp);
        BpeFiles.save(bpe, tmp);
        for (String f : List.of(GPT2Checkpoint.CONFIG_FILE, GPT2Checkpoint.WEIGHTS_FILE, BpeFiles.TOKENIZER_JSON,
                BpeFiles.ENCODER_JSON, BpeFiles.VOCAB_BPE)) {
            Files.move(tmp.resolve(f), job.modelDir().resolve(f), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
        deleteTree(tmp);
        ctx.event("saved the fine-tuned model");
        return out;
    }

    private static Path resolveBase(Job job, Context ctx) {
        String name = job.model().settings().baseModel().name().orElse(BaseModels.BASE_LIGHT.name());
        Optional<BaseModels.Spec> spec = BaseModels.builtIn(name);
        if (spec.isPresent()) {
            Path dir = job.baseModelsDir().resolve(name);
            if (!BaseModels.isBuilt(dir)) {
                ctx.event("building base model " + name + " (once)");
            }
            return BaseModels.ensure(spec.get(), dir, (s, n, l, t) -> ctx.progress(s, n, "pretraining " + name),
                    ctx::cancelled);
        }
        return ModelFolders.asFolder(name).orElseThrow(() -> new BadRequestException("base_model.name: \"" + name
                + "\" is neither a built-in base model (base-light) nor a HuggingFace GPT-2 folder"));
    }

    static LoraAdapter.Targets targets(Hyperparameters hp) {
        String t = hp.targets().toString();
        if (t.endsWith("QKVO_FFN")) {
            return LoraAdapter.Targets.QKVO_FFN;
        }
        return t.endsWith("QKVO") ? LoraAdapter.Targets.QKVO : LoraAdapter.Targets.QV;
    }

    /** Full fine-tuning of {@code model} in place; leaves the best evaluated weights in it. */
    static Outcome fit(GPT2 model, List<ChatTemplate.Example> train, List<ChatTemplate.Example> eval, Hyperparameters hp,
                       Path dir, Context ctx) throws IOException {
        return fit(model, null, train, eval, hp, dir, ctx);
    }

    /**
     * Trains in place: every weight of {@code model} (adapter null), or only the LoRA adapter on a frozen
     * model; leaves the best evaluated trainable weights in place (the adapter stays attached).
     */
    static Outcome fit(GPT2 model, LoraAdapter adapter, List<ChatTemplate.Example> train, List<ChatTemplate.Example> eval,
                       Hyperparameters hp, Path dir, Context ctx) throws IOException {
        return fit(model, adapter, -1, -1, train, eval, hp, dir, ctx);
    }

    /** Trainable float runs seen as one vector (for the best-weights snapshot and the checkpoint). */
    private record Segments(List<float[]> arrays, int[] offsets, int[] lengths) {
        float[] snapshot() {
            int n = 0;
            for (int l : lengths) {
                n += l;
            }
            float[] out = new float[n];
            int at = 0;
            for (int i = 0; i < lengths.length; i++) {
                System.arraycopy(arrays.get(i), offsets[i], out, at, lengths[i]);
                at += lengths[i];
            }
            return out;
        }

        void restore(float[] v) {
            int at = 0;
            for (int i = 0; i < lengths.length; i++) {
                System.arraycopy(v, at, arrays.get(i), offsets[i], lengths[i]);
                at += lengths[i];
            }
        }
    }

    /**
     * As above; under LoRA, the token-embedding rows {@code [rowFrom, rowTo)} (the template's special
     * tokens, which pretraining never saw) are trained too, and saved with the adapter.
     */
    static Outcome fit(GPT2 model, LoraAdapter adapter, int rowFrom, int rowTo, List<ChatTemplate.Example> train,
                       List<ChatTemplate.Example> eval, Hyperparameters hp, Path dir, Context ctx) throws IOException {
        int B = hp.batchSize();
        int T = 1;
        for (ChatTemplate.Example e : train) {
            T = Math.max(T, e.tokens().length - 1);
        }
        T = Math.min(T, model.config().maxSeqLen());
        int perEpoch = (train.size() + B - 1) / B;
        int total = perEpoch * hp.epochs();
        int evalEvery = Math.max(1, total / 10);
        double lr = hp.learningRate().orElse(adapter != null ? Hyperparameters.DEFAULT_LEARNING_RATE : FULL_DEFAULT_LR);
        int warmup = Math.max(1, total / 10);
        AdamW opt;
        Segments weights;
        if (adapter != null) {
            model.setAllTrainable(false);
            model.setAdapter(adapter);
            List<AdamW.Slice> slices = new java.util.ArrayList<>(List.of(adapter.slice()));
            List<float[]> arrays = new java.util.ArrayList<>(List.of(adapter.parameters()));
            List<Integer> offs = new java.util.ArrayList<>(List.of(0));
            List<Integer> lens = new java.util.ArrayList<>(List.of(adapter.parameters().length));
            if (rowFrom >= 0 && rowTo > rowFrom) {
                model.setTrainable("wte.weight", true);
                int C = model.config().channels();
                int off = model.tensor("wte.weight").offset() + rowFrom * C;
                slices.add(new AdamW.Slice("wte.template_rows", model.parameters(), model.gradients(), off, (rowTo - rowFrom) * C,
                        false));
                arrays.add(model.parameters());
                offs.add(off);
                lens.add((rowTo - rowFrom) * C);
            }
            opt = AdamW.withDefaults(slices, 0f);
            weights = new Segments(arrays, offs.stream().mapToInt(Integer::intValue).toArray(),
                    lens.stream().mapToInt(Integer::intValue).toArray());
        } else {
            opt = AdamW.withDefaults(model.optimizerSlices(GPT2.decayMatricesOnly()), 0.01f);
            weights = new Segments(List.of(model.parameters()), new int[] {0}, new int[] {model.parameters().length});
        }
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        // micro-batch rows so that the logits (mb, T, V) stay within MICRO_BATCH_LOGITS_BYTES
        int mb = (int) Math.max(1, Math.min(B, MICRO_BATCH_LOGITS_BYTES / (4L * T * model.config().vocabSize())));
        int[] microTokens = new int[mb * T];
        int[] microTargets = new int[mb * T];

        Path ckpt = dir.resolve(CHECKPOINT);
        Path old = dir.resolve(CHECKPOINT + ".old");
        if (!Files.exists(ckpt) && Files.isRegularFile(old.resolve("state.safetensors"))) {
            Files.move(old, ckpt, StandardCopyOption.ATOMIC_MOVE); // a crash between the two renames of a checkpoint
        }
        int start = 0;
        double bestLoss = Double.POSITIVE_INFINITY;
        int bad = 0;
        float[] best = null;
        Map<String, Double> baseline;
        if (Files.isRegularFile(ckpt.resolve("state.safetensors"))) {
            try (SafetensorsReader r = SafetensorsReader.open(ckpt.resolve("state.safetensors"))) {
                weights.restore(r.readFloats("params"));
                r.readFloats("adam_m", opt.firstMoments(), 0);
                r.readFloats("adam_v", opt.secondMoments(), 0);
                int[] meta = r.readInts("meta");
                start = meta[0];
                opt.restoreStepCount(meta[0]);
                bad = meta[1];
                float[] m = r.readFloats("scalars");
                bestLoss = m[0];
                baseline = Map.of("cross_entropy", (double) m[1], "accuracy", (double) m[2]);
                if (r.find("best").isPresent()) {
                    best = r.readFloats("best");
                }
            }
            ctx.event("resumed from the checkpoint at step " + start + " of " + total);
        } else {
            baseline = evaluate(model, eval.isEmpty() ? train : eval, mb, T);
            ctx.stepMetrics(0, Map.of("eval_cross_entropy", baseline.get("cross_entropy"), "eval_accuracy",
                    baseline.get("accuracy")));
            bestLoss = baseline.get("cross_entropy");
            best = weights.snapshot();
        }
        Map<String, Double> last = baseline;
        long t0 = System.nanoTime();
        int step = start;
        for (; step < total; step++) {
            if (ctx.cancelled()) {
                return new Outcome(Map.of());
            }
            int epoch = step / perEpoch;
            int[] order = order(train.size(), hp.seedValue(), epoch);
            int b0 = (step % perEpoch) * B;
            fill(train, order, b0, B, T, tokens, targets);
            int batchTargets = 0;
            for (int t : targets) {
                batchTargets += t == GPT2.IGNORE_INDEX ? 0 : 1;
            }
            model.zeroGrad();
            if (adapter != null) {
                adapter.zeroGrad();
            }
            // gradient accumulation over micro-batches of mb rows, normalized by the whole batch's target count
            double lossSum = 0;
            for (int r0 = 0; r0 < B; r0 += mb) {
                int rows = Math.min(mb, B - r0);
                System.arraycopy(tokens, r0 * T, microTokens, 0, rows * T);
                System.arraycopy(targets, r0 * T, microTargets, 0, rows * T);
                java.util.Arrays.fill(microTokens, rows * T, mb * T, 0);
                java.util.Arrays.fill(microTargets, rows * T, mb * T, GPT2.IGNORE_INDEX);
                float l = model.forward(microTokens, microTargets, mb, T);
                lossSum += (double) l * model.validTargets();
                model.backward(batchTargets);
            }
            float loss = batchTargets == 0 ? 0f : (float) (lossSum / batchTargets);
            if (!Float.isFinite(loss)) {
                throw new ArithmeticException("the training loss became " + loss + " at step " + (step + 1)
                        + "; the last good checkpoint is kept (try a lower learning_rate)");
            }
            double norm = opt.clipGradNorm(1.0);
            if (!Double.isFinite(norm)) {
                throw new ArithmeticException("the gradient norm became " + norm + " at step " + (step + 1));
            }
            float rate = (float) (step < warmup ? lr * (step + 1) / warmup : lr * Math.max(0.0, (double) (total - step) / (total - warmup + 1)));
            opt.step(rate);
            double secs = (System.nanoTime() - t0) / 1e9;
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("train_loss", (double) loss);
            m.put("learning_rate", (double) rate);
            m.put("tokens_per_second", (step + 1 - start) * (double) B * T / Math.max(1e-9, secs));
            boolean evalNow = (step + 1) % evalEvery == 0 || step + 1 == total;
            if (evalNow) {
                last = evaluate(model, eval.isEmpty() ? train : eval, mb, T);
                m.put("eval_cross_entropy", last.get("cross_entropy"));
                m.put("eval_accuracy", last.get("accuracy"));
                if (last.get("cross_entropy") < bestLoss - hp.stoppingThreshold()) {
                    bestLoss = last.get("cross_entropy");
                    best = weights.snapshot();
                    bad = 0;
                } else {
                    bad++;
                }
            }
            ctx.stepMetrics(step + 1, m);
            ctx.progress(step + 1, total, String.format("loss %.3f", loss));
            if (evalNow) {
                checkpoint(ckpt, weights.snapshot(), opt, step + 1, bad, bestLoss, baseline, best);
                if (hp.stoppingPatience() > 0 && bad >= hp.stoppingPatience()) {
                    ctx.event("early stopping at step " + (step + 1) + ": the eval loss did not improve by more than "
                            + hp.stoppingThreshold() + " in " + bad + " evaluations");
                    break;
                }
            }
        }
        if (best != null) {
            weights.restore(best);
        }
        Map<String, Double> fin = evaluate(model, eval.isEmpty() ? train : eval, mb, T);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("baseline_cross_entropy", baseline.get("cross_entropy"));
        out.put("baseline_accuracy", baseline.get("accuracy"));
        out.put("cross_entropy", fin.get("cross_entropy"));
        out.put("accuracy", fin.get("accuracy"));
        out.put("cross_entropy_change", fin.get("cross_entropy") - baseline.get("cross_entropy"));
        out.put("accuracy_change", fin.get("accuracy") - baseline.get("accuracy"));
        out.put("steps", (double) Math.min(step + 1, total));
        LOG.debug("fine-tune finished: {}", out);
        return new Outcome(out);
    }

    /** The example order of one epoch: a seeded shuffle (Fisher-Yates), the same for a resumed job. */
    static int[] order(int n, long seed, int epoch) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    /** Rows b0..b0+B of the order into (B,T) inputs and targets; short rows and missing rows are padding (-100). */
    private static void fill(List<ChatTemplate.Example> data, int[] order, int b0, int B, int T, int[] tokens, int[] targets) {
        Arrays.fill(tokens, 0);
        Arrays.fill(targets, GPT2.IGNORE_INDEX);
        for (int b = 0; b < B; b++) {
            if (b0 + b >= order.length) {
                break;
            }
            ChatTemplate.Example e = data.get(order[b0 + b]);
            int[] in = e.inputs();
            int[] tg = e.targets();
            int n = Math.min(T, in.length);
            System.arraycopy(in, 0, tokens, b * T, n);
            System.arraycopy(tg, 0, targets, b * T, n);
        }
    }

    /** Mean cross-entropy per trained token and top-1 accuracy on trained tokens. */
    static Map<String, Double> evaluate(GPT2 model, List<ChatTemplate.Example> data, int B, int T) {
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        double lossSum = 0;
        long counted = 0;
        long correct = 0;
        int V = model.config().vocabSize();
        for (int b0 = 0; b0 < data.size(); b0 += B) {
            fill(data, order, b0, B, T, tokens, targets);
            float loss = model.forward(tokens, targets, B, T);
            int n = model.validTargets();
            lossSum += (double) loss * n;
            counted += n;
            float[] logits = model.logits();
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    int target = targets[b * T + t];
                    if (target == GPT2.IGNORE_INDEX) {
                        continue;
                    }
                    int off = model.logitsOffset(b, t);
                    int arg = 0;
                    for (int v = 1; v < V; v++) {
                        if (logits[off + v] > logits[off + arg]) {
                            arg = v;
                        }
                    }
                    correct += arg == target ? 1 : 0;
                }
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("cross_entropy", counted == 0 ? 0.0 : lossSum / counted);
        m.put("accuracy", counted == 0 ? 0.0 : (double) correct / counted);
        return m;
    }

    private static void checkpoint(Path dir, float[] p, AdamW opt, int step, int bad, double bestLoss,
                                   Map<String, Double> baseline, float[] best) throws IOException {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        SafetensorsWriter w = new SafetensorsWriter();
        w.addFloats("params", DType.F32, new long[] {p.length}, p, 0);
        w.addFloats("adam_m", DType.F32, new long[] {opt.firstMoments().length}, opt.firstMoments(), 0);
        w.addFloats("adam_v", DType.F32, new long[] {opt.secondMoments().length}, opt.secondMoments(), 0);
        w.addInts("meta", DType.I32, new long[] {2}, new int[] {step, bad}, 0);
        float[] scalars = {(float) bestLoss, baseline.get("cross_entropy").floatValue(), baseline.get("accuracy").floatValue()};
        w.addFloats("scalars", DType.F32, new long[] {3}, scalars, 0);
        if (best != null) {
            w.addFloats("best", DType.F32, new long[] {best.length}, best, 0);
        }
        w.write(tmp.resolve("state.safetensors"));
        Path old = dir.resolveSibling(dir.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(dir)) {
            Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

}
