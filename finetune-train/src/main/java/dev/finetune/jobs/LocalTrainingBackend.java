package dev.finetune.jobs;

import dev.finetune.BadRequestException;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Strategy;
import dev.finetune.inference.ModelFolders;
import dev.finetune.heads.TaskHead;
import dev.finetune.heads.TaskInputs;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.optim.AdamW;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.SafetensorsWriter;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.template.ChatTemplate;
import dev.finetune.template.ConversationExamples;
import dev.finetune.template.ModelTemplate;
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
        // a base whose folder has its own chat template (tokenizer_config.json) trains on that template
        Optional<ModelTemplate> own = type.equals(BaseType.BASE_TYPE_CHAT) ? ModelTemplate.load(baseDir, bpe) : Optional.empty();
        if (type.equals(BaseType.BASE_TYPE_CHAT) && own.isEmpty() && BaseModels.templateIds(bpe).isEmpty()) {
            // a base that never had the chat template (e.g. the hub's gpt2): add its tokens as new rows
            int before = bpe.vocabSize();
            bpe = bpe.withSpecialTokens(ChatTemplate.SPECIAL_TOKENS);
            model = model.withVocabSize(Math.max(model.config().vocabSize(), bpe.vocabSize()));
            ctx.event("added " + (bpe.vocabSize() - before) + " chat template tokens to the vocabulary (new embedding rows)");
        }
        int ctxLen = model.config().maxSeqLen();
        ByteLevelBpe tok = bpe;
        int eot = bpe.specialTokens().getOrDefault("<|endoftext|>", -1);
        Task task;
        TaskHead head = null;
        if (own.isPresent()) {
            ModelTemplate.Examples train = ConversationExamples.read(job.trainPart(), own.get(), ctxLen + 1, 0);
            ModelTemplate.Examples eval = job.evalPart().map(p -> ConversationExamples.read(p, own.get(), ctxLen + 1, 0))
                    .orElse(new ModelTemplate.Examples(List.of(), 0));
            ctx.event("chat template of " + baseDir.getFileName() + ": " + train.examples().size() + " train and "
                    + eval.examples().size() + " eval examples; " + train.truncated() + " train and " + eval.truncated()
                    + " eval examples cut to the context of " + ctxLen + " tokens");
            task = languageModel(model, train.examples(), eval.examples(), hp);
        } else if (type.equals(BaseType.BASE_TYPE_CHAT)) {
            ChatTemplate.Ids ids = BaseModels.templateIds(bpe).orElseThrow();
            ChatTemplate t = new ChatTemplate(bpe, ids);
            List<ChatTemplate.Example> train = TrainingData.chat(job.trainPart(), t, ctxLen + 1);
            List<ChatTemplate.Example> eval = job.evalPart().map(p -> TrainingData.chat(p, t, ctxLen + 1)).orElse(List.of());
            task = languageModel(model, train, eval, hp);
        } else if (type.equals(BaseType.BASE_TYPE_GENERATIVE)) {
            requireEndOfText(eot, baseDir);
            PromptCompletionTemplate t = new PromptCompletionTemplate(bpe, eot);
            List<ChatTemplate.Example> train = TrainingData.promptCompletion(job.trainPart(), t, ctxLen + 1);
            List<ChatTemplate.Example> eval = job.evalPart().map(p -> TrainingData.promptCompletion(p, t, ctxLen + 1))
                    .orElse(List.of());
            task = languageModel(model, train, eval, hp);
        } else if (type.equals(BaseType.BASE_TYPE_RERANK)) {
            requireEndOfText(eot, baseDir);
            head = TaskHead.rerank(model.config().channels(), Math.min(TaskInputs.RERANK_MAX_TOKENS, ctxLen), eot, hp.seedValue());
            int max = head.maxTokens();
            List<RerankTask.Query> train = RerankTask.read(job.trainPart(), bpe, max);
            List<RerankTask.Query> eval = job.evalPart().map(p -> RerankTask.read(p, tok, max)).orElse(List.of());
            ctx.event("rerank: " + train.size() + " train queries, " + eval.size() + " eval queries; groups of "
                    + RerankTask.GROUP_SIZE + " passages; inputs of at most " + max + " tokens");
            task = new RerankTask(model, head, train, eval, hp.seedValue());
        } else if (type.equals(BaseType.BASE_TYPE_CLASSIFICATION)) {
            requireEndOfText(eot, baseDir);
            List<String> labels = ClassifyTask.labels(job.trainPart(), job.evalPart().orElse(null));
            boolean multi = ClassifyTask.multiLabel(job.trainPart());
            head = TaskHead.classify(model.config().channels(), labels, multi, Math.min(TaskInputs.CLASSIFY_MAX_TOKENS, ctxLen),
                    eot, hp.seedValue());
            TaskHead h = head;
            List<ClassifyTask.Item> train = ClassifyTask.read(job.trainPart(), bpe, h);
            List<ClassifyTask.Item> eval = job.evalPart().map(p -> ClassifyTask.read(p, tok, h)).orElse(List.of());
            ctx.event("classify (" + (multi ? "multi-label" : "single-label") + "): " + train.size() + " train, "
                    + eval.size() + " eval examples, " + labels.size() + " labels; inputs of at most " + h.maxTokens() + " tokens");
            task = new ClassifyTask(model, head, train, eval);
        } else {
            throw new BadRequestException(type + " training is not available in this version");
        }
        if (task.size() == 0) {
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
        ctx.event("training " + task.size() + " examples on " + baseDir.getFileName()
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
            out = fit(model, adapter, rows[0], rows[1], task, hp, job.modelDir(), withTb);
        }
        if (ctx.cancelled()) {
            return out;
        }
        if (adapter != null) {
            adapter.save(job.modelDir().resolve("adapter.safetensors"), hp.alpha());
            Files.writeString(job.modelDir().resolve("adapter_config.json"), "{\n  \"peft_type\": \"LORA\",\n  \"r\": "
                    + hp.rank() + ",\n  \"lora_alpha\": " + hp.alpha() + ",\n  \"target_modules\": \"" + adapter.targets()
                    + "\",\n" + (head != null ? "  \"modules_to_save\": [\"head\"],\n" : "") + "  \"base_model_name_or_path\": \"" + baseDir.toString().replace("\\", "/") + "\"\n}\n");
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
        List<String> files = new java.util.ArrayList<>(List.of(GPT2Checkpoint.CONFIG_FILE, GPT2Checkpoint.WEIGHTS_FILE,
                BpeFiles.TOKENIZER_JSON, BpeFiles.ENCODER_JSON, BpeFiles.VOCAB_BPE));
        if (head != null) {
            head.save(tmp);
            files.add(TaskHead.FILE);
        }
        for (String f : ConversationExamples.TEMPLATE_FILES) {
            if (Files.isRegularFile(baseDir.resolve(f))) {
                Files.copy(baseDir.resolve(f), tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                files.add(f);
            }
        }
        for (String f : files) {
            Files.move(tmp.resolve(f), job.modelDir().resolve(f), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
        deleteTree(tmp);
        ctx.event("saved the fine-tuned model");
        return out;
    }

    private static Task languageModel(GPT2 model, List<ChatTemplate.Example> train, List<ChatTemplate.Example> eval,
                                      Hyperparameters hp) {
        return new LanguageModelTask(model, train, eval, hp.batchSize());
    }

    private static void requireEndOfText(int eot, Path baseDir) {
        if (eot < 0) {
            throw new BadRequestException("base model " + baseDir + " has no <|endoftext|> token");
        }
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

    /**
     * As above; under LoRA, the token-embedding rows {@code [rowFrom, rowTo)} (the template's special
     * tokens, which pretraining never saw) are trained too, and saved with the adapter.
     */
    static Outcome fit(GPT2 model, LoraAdapter adapter, int rowFrom, int rowTo, List<ChatTemplate.Example> train,
                       List<ChatTemplate.Example> eval, Hyperparameters hp, Path dir, Context ctx) throws IOException {
        return fit(model, adapter, rowFrom, rowTo, new LanguageModelTask(model, train, eval, hp.batchSize()), hp, dir, ctx);
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

        static Segments of(List<AdamW.Slice> slices) {
            return new Segments(slices.stream().map(AdamW.Slice::values).toList(),
                    slices.stream().mapToInt(AdamW.Slice::offset).toArray(), slices.stream().mapToInt(AdamW.Slice::length).toArray());
        }
    }

    /**
     * The training loop shared by every task: seeded order per epoch, warm-up + linear decay, clipping,
     * AdamW, evaluation before the first step / every tenth / at the end, early stopping on the task's
     * watched metric ({@link Task#watch}), checkpoints after each evaluation and resume from them. Under LoRA the base is frozen
     * and only the adapter, the rows {@code [rowFrom, rowTo)} of wte and the task's own tensors train.
     */
    static Outcome fit(GPT2 model, LoraAdapter adapter, int rowFrom, int rowTo, Task task, Hyperparameters hp, Path dir,
                       Context ctx) throws IOException {
        int B = hp.batchSize();
        int perEpoch = (task.size() + B - 1) / B;
        int total = perEpoch * hp.epochs();
        int evalEvery = Math.max(1, total / 10);
        double lr = hp.learningRate().orElse(adapter != null ? Hyperparameters.DEFAULT_LEARNING_RATE : FULL_DEFAULT_LR);
        int warmup = Math.max(1, total / 10);
        List<AdamW.Slice> slices = new java.util.ArrayList<>();
        float decay;
        if (adapter != null) {
            model.setAllTrainable(false);
            model.setAdapter(adapter);
            slices.add(adapter.slice());
            if (rowFrom >= 0 && rowTo > rowFrom) {
                model.setTrainable("wte.weight", true);
                int C = model.config().channels();
                int off = model.tensor("wte.weight").offset() + rowFrom * C;
                slices.add(new AdamW.Slice("wte.template_rows", model.parameters(), model.gradients(), off, (rowTo - rowFrom) * C,
                        false));
            }
            decay = 0f;
        } else {
            slices.addAll(model.optimizerSlices(GPT2.decayMatricesOnly()));
            decay = 0.01f;
        }
        slices.addAll(task.extraSlices());
        AdamW opt = AdamW.withDefaults(slices, decay);
        Segments weights = Segments.of(slices);

        Path ckpt = dir.resolve(CHECKPOINT);
        Path old = dir.resolve(CHECKPOINT + ".old");
        if (!Files.exists(ckpt) && Files.isRegularFile(old.resolve("state.safetensors"))) {
            Files.move(old, ckpt, StandardCopyOption.ATOMIC_MOVE); // a crash between the two renames of a checkpoint
        }
        int start = 0;
        double bestLoss;
        int bad = 0;
        float[] best = null;
        Map<String, Double> baseline = new LinkedHashMap<>();
        if (Files.isRegularFile(ckpt.resolve("state.safetensors"))) {
            try (SafetensorsReader r = SafetensorsReader.open(ckpt.resolve("state.safetensors"))) {
                weights.restore(r.readFloats("params"));
                r.readFloats("adam_m", opt.firstMoments(), 0);
                r.readFloats("adam_v", opt.secondMoments(), 0);
                int[] meta = r.readInts("meta");
                start = meta[0];
                opt.restoreStepCount(meta[0]);
                bad = meta[1];
                // doubles travel as their exact decimal text in the metadata, so a resumed run reports what the
                // uninterrupted one would
                Map<String, String> meta2 = r.metadata();
                bestLoss = Double.parseDouble(meta2.get("best_loss"));
                String[] keys = meta2.getOrDefault("baseline_keys", "").split(",");
                String[] values = meta2.getOrDefault("baseline_values", "").split(",");
                for (int i = 0; i < keys.length && i < values.length && !keys[i].isEmpty(); i++) {
                    baseline.put(keys[i], Double.parseDouble(values[i]));
                }
                if (r.find("best").isPresent()) {
                    best = r.readFloats("best");
                }
            }
            ctx.event("resumed from the checkpoint at step " + start + " of " + total);
        } else {
            baseline.putAll(task.evaluate());
            ctx.stepMetrics(0, prefixed(baseline));
            bestLoss = task.watch(baseline).cost(baseline);
            best = weights.snapshot();
        }
        Task.Watch watch = task.watch(baseline);
        long trainNanos = 0;
        long tokensSeen = 0;
        int step = start;
        for (; step < total; step++) {
            if (ctx.cancelled()) {
                return new Outcome(Map.of());
            }
            int epoch = step / perEpoch;
            int[] order = order(task.size(), hp.seedValue(), epoch);
            int b0 = (step % perEpoch) * B;
            model.zeroGrad();
            if (adapter != null) {
                adapter.zeroGrad();
            }
            task.zeroExtraGrads();
            long t0 = System.nanoTime();
            Task.Step result = task.trainBatch(order, b0, B, epoch);
            float loss = (float) result.loss();
            tokensSeen += result.tokens();
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
            trainNanos += System.nanoTime() - t0;
            double secs = trainNanos / 1e9;
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("train_loss", (double) loss);
            m.put("learning_rate", (double) rate);
            m.put("tokens_per_second", tokensSeen / Math.max(1e-9, secs));
            boolean evalNow = (step + 1) % evalEvery == 0 || step + 1 == total;
            if (evalNow) {
                Map<String, Double> now = task.evaluate();
                m.putAll(prefixed(now));
                if (watch.cost(now) < bestLoss - hp.stoppingThreshold()) {
                    bestLoss = watch.cost(now);
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
                if (hp.stoppingPatience() > 0 && bad >= hp.stoppingPatience() && step + 1 < total) {
                    ctx.event("early stopping at step " + (step + 1) + ": the eval " + watch.key()
                            + " did not improve by more than " + hp.stoppingThreshold() + " in " + bad + " evaluations");
                    break;
                }
            }
        }
        if (best != null) {
            weights.restore(best);
        }
        Map<String, Double> fin = task.evaluate();
        Map<String, Double> out = new LinkedHashMap<>();
        baseline.forEach((k, v) -> out.put("baseline_" + k, v));
        out.putAll(fin);
        fin.forEach((k, v) -> {
            if (baseline.containsKey(k)) {
                out.put(k + "_change", v - baseline.get(k));
            }
        });
        out.put("steps", (double) Math.min(step + 1, total));
        LOG.debug("fine-tune finished: {}", out);
        return new Outcome(out);
    }

    private static Map<String, Double> prefixed(Map<String, Double> metrics) {
        Map<String, Double> m = new LinkedHashMap<>();
        metrics.forEach((k, v) -> m.put("eval_" + k, v));
        return m;
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
        w.metadata(Map.of("best_loss", Double.toString(bestLoss), "baseline_keys", String.join(",", baseline.keySet()),
                "baseline_values", String.join(",", baseline.values().stream().map(d -> Double.toString(d)).toList())));
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
