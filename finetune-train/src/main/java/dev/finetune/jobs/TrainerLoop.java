package dev.finetune.jobs;

import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.CausalLM;
import dev.finetune.optim.AdamW;
import dev.finetune.spi.TrainingBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop every task shares: a seeded example order per epoch, linear warm-up over the first
 * 10% of steps then linear decay to 0, gradient clipping at norm 1.0, AdamW (β 0.9/0.999, weight decay
 * 0.01 on matrices under full fine-tuning), evaluation before the first step (the base model), every
 * tenth of the run and at the end, early stopping on the task's watched metric ({@link Task#watch}:
 * an evaluation improves only when it beats the best by more than the threshold; training stops once
 * non-improving evaluations reach the patience, 0 turns it off), a {@link Checkpoint} after each
 * evaluation, and resume from it with the same data order, so a resumed job ends with the same weights
 * as an uninterrupted one. The best evaluated weights are the ones left in place.
 *
 * <p>A step is {@code train_batch_size} examples of the epoch's order, whatever their length: the task
 * lays them out (a language-model task packs them into rows, see {@link LanguageModelTask}) and may run
 * them in several passes whose gradients it accumulates, but the step's loss is the mean over all its
 * examples and the optimizer steps once. Packing is a function of the step's examples alone, so a resumed
 * job packs every step as the uninterrupted one did. Step metrics: {@code train_loss}, {@code learning_rate},
 * {@code tokens_per_second} (the examples' own tokens, not padding, per second of training steps since the
 * job started or resumed), {@code padding_share} (the share of the positions the step computed that were
 * padding), and after an evaluation its metrics as {@code eval_*}.
 */
final class TrainerLoop {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerLoop.class);
    /** Full fine-tuning's learning rate when none is given (the documented default 0.01 is a LoRA rate). */
    static final double FULL_DEFAULT_LR = 3e-4;

    private TrainerLoop() {
    }

    /** The run's shape: batches per epoch, steps, the evaluation cadence and the warm-up. */
    record Schedule(int batchSize, int perEpoch, int epochs, int total, int evalEvery, int warmup, Hyperparameters hp) {
        static Schedule of(int examples, Hyperparameters hp) {
            int B = hp.batchSize();
            int perEpoch = (examples + B - 1) / B;
            int total = perEpoch * hp.epochs();
            return new Schedule(B, perEpoch, hp.epochs(), total, Math.max(1, total / 10), Math.max(1, total / 10), hp);
        }

        double learningRate(boolean lora) {
            return hp.learningRate().orElse(lora ? Hyperparameters.DEFAULT_LEARNING_RATE : FULL_DEFAULT_LR);
        }

        /** The rate of step {@code step} (0-based): linear warm-up, then linear decay to 0. */
        float rate(int step, double lr) {
            return (float) (step < warmup ? lr * (step + 1) / warmup : lr * Math.max(0.0, (double) (total - step) / (total - warmup + 1)));
        }

        /** Whether step {@code step} (0-based) ends with an evaluation and a checkpoint. */
        boolean evaluatesAfter(int step) {
            return (step + 1) % evalEvery == 0 || step + 1 == total;
        }

        /** Evaluations of a whole run: the base model's, those after steps, and the final one. */
        int evaluations() {
            int n = 0;
            for (int s = 0; s < total; s++) {
                n += evaluatesAfter(s) ? 1 : 0;
            }
            return n + 2;
        }
    }

    /** What the optimizer trains, and its weight decay. */
    record Trainable(List<AdamW.Slice> slices, float decay) {
        long floats() {
            long n = 0;
            for (AdamW.Slice s : slices) {
                n += s.length();
            }
            return n;
        }
    }

    /**
     * Marks what trains and returns it as optimizer slices: every weight (adapter null), or the
     * attached adapter, the embedding rows {@code [rowFrom, rowTo)} and the task's own tensors.
     */
    static Trainable trainable(CausalLM model, LoraAdapter adapter, int rowFrom, int rowTo, Task task) {
        List<AdamW.Slice> slices = new java.util.ArrayList<>();
        float decay;
        if (adapter != null) {
            model.setAllTrainable(false);
            model.setAdapter(adapter);
            slices.add(adapter.slice());
            if (rowFrom >= 0 && rowTo > rowFrom) {
                model.setTrainable(model.tokenEmbedding().name(), true);
                int C = model.config().hiddenSize();
                int off = model.tokenEmbedding().offset() + rowFrom * C;
                slices.add(new AdamW.Slice("wte.template_rows", model.parameters(), model.gradients(), off, (rowTo - rowFrom) * C,
                        false));
            }
            decay = 0f;
        } else {
            slices.addAll(model.optimizerSlices(CausalLM.decayMatricesOnly()));
            decay = 0.01f;
        }
        slices.addAll(task.extraSlices());
        return new Trainable(slices, decay);
    }

    /**
     * Sees the trainer's buffers at their fullest (after an evaluation, the checkpoint copy made):
     * tests measure the peak memory with it. Null in production.
     */
    interface PeakProbe {
        void at(Object... live);
    }

    static volatile PeakProbe probe;

    /** Trainable float runs seen as one vector (for the best-weights snapshot and the checkpoint). */
    record Segments(List<float[]> arrays, int[] offsets, int[] lengths) {
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

        /** The slices' gradients seen as one vector (a sharded step's sum is written back through it). */
        static Segments gradientsOf(List<AdamW.Slice> slices) {
            return new Segments(slices.stream().map(AdamW.Slice::grads).toList(),
                    slices.stream().mapToInt(AdamW.Slice::offset).toArray(), slices.stream().mapToInt(AdamW.Slice::length).toArray());
        }
    }

    /**
     * Trains {@code task} in place in {@code dir}'s checkpoints: every weight of {@code model} (adapter
     * null), or, under LoRA, the adapter on a frozen model, the rows {@code [rowFrom, rowTo)} of the
     * token embedding (the template's special tokens, which pretraining never saw; -1 for none) and the
     * task's own tensors. The adapter stays attached.
     */
    static TrainingBackend.Outcome fit(CausalLM model, LoraAdapter adapter, int rowFrom, int rowTo, Task task, Hyperparameters hp, Path dir,
                       TrainingBackend.Context ctx) throws IOException {
        return fit(model, adapter, rowFrom, rowTo, task, hp, dir, ctx, null);
    }

    /**
     * A step computed as gradient shards ({@link ShardedTraining}): {@code shards} per step, run by
     * {@code engine}, whose workers build their model copies from {@code spec}.
     */
    record Sharding(int shards, ShardedTraining.Engine engine, ShardedTraining.WorkerSpec spec) {
    }

    /** As above; with {@code sharding} (null: the unsharded step) each step's gradient is the sum of its shards'. */
    static TrainingBackend.Outcome fit(CausalLM model, LoraAdapter adapter, int rowFrom, int rowTo, Task task, Hyperparameters hp, Path dir,
                       TrainingBackend.Context ctx, Sharding sharding) throws IOException {
        Schedule sc = Schedule.of(task.size(), hp);
        int B = sc.batchSize();
        int perEpoch = sc.perEpoch();
        int total = sc.total();
        double lr = sc.learningRate(adapter != null);
        Trainable tr = trainable(model, adapter, rowFrom, rowTo, task);
        List<AdamW.Slice> slices = tr.slices();
        float decay = tr.decay();
        AdamW opt = AdamW.withDefaults(slices, decay);
        Segments weights = Segments.of(slices);
        ShardedTraining.Stepper sharded = sharding == null ? null : ShardedTraining.stepper(sharding, model, adapter, task, slices);

        int start = 0;
        long trainedTokens = 0;
        List<dev.finetune.metrics.ExampleValues> baselineExamples;
        double bestLoss;
        int bad = 0;
        float[] best = null;
        Map<String, Double> baseline = new LinkedHashMap<>();
        Optional<Checkpoint.Loaded> resumed = Checkpoint.load(dir, weights, opt);
        if (resumed.isPresent()) {
            Checkpoint.State st = resumed.get().state();
            start = st.step();
            bad = st.badEvaluations();
            bestLoss = st.bestCost();
            baseline.putAll(st.baseline());
            trainedTokens = st.trainedTokens();
            baselineExamples = BaselineExamples.read(dir);
            best = resumed.get().best().orElse(null);
            ctx.event("resumed from the checkpoint at step " + start + " of " + total);
        } else {
            Task.Evaluation base = task.evaluation();
            baseline.putAll(base.metrics());
            baselineExamples = base.examples();
            BaselineExamples.write(dir, baselineExamples);
            ctx.stepMetrics(0, prefixed(baseline));
            bestLoss = task.watch(baseline).cost(baseline);
            best = weights.snapshot();
        }
        Task.Watch watch = task.watch(baseline);
        long trainNanos = 0;
        long tokensSeen = 0;
        int step = start;
        int[] order = null;
        int orderEpoch = -1;
        for (; step < total; step++) {
            if (ctx.cancelled()) {
                return new TrainingBackend.Outcome(Map.of());
            }
            int epoch = step / perEpoch;
            if (epoch != orderEpoch) {
                order = order(task.size(), hp.seedValue(), epoch); // once per epoch, not per step
                orderEpoch = epoch;
            }
            int b0 = (step % perEpoch) * B;
            if (sharded == null) {
                model.zeroGrad();
                if (adapter != null) {
                    adapter.zeroGrad();
                }
                task.zeroExtraGrads();
            }
            long t0 = System.nanoTime();
            Task.Step result = sharded == null ? task.trainBatch(order, b0, B, epoch) : sharded.step(step, order, b0, B, epoch);
            float loss = (float) result.loss();
            tokensSeen += result.inputTokens(); // the examples' tokens, not the padding beside them
            trainedTokens += result.trainedTokens();
            if (!Float.isFinite(loss)) {
                throw new ArithmeticException("the training loss became " + loss + " at step " + (step + 1)
                        + "; the last good checkpoint is kept (try a lower learning_rate)");
            }
            double norm = opt.clipGradNorm(1.0);
            if (!Double.isFinite(norm)) {
                throw new ArithmeticException("the gradient norm became " + norm + " at step " + (step + 1));
            }
            float rate = sc.rate(step, lr);
            opt.step(rate);
            trainNanos += System.nanoTime() - t0;
            double secs = trainNanos / 1e9;
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("train_loss", (double) loss);
            m.put("learning_rate", (double) rate);
            m.put("tokens_per_second", tokensSeen / Math.max(1e-9, secs));
            m.put("padding_share", result.paddingShare());
            boolean evalNow = sc.evaluatesAfter(step);
            boolean improved = false;
            if (evalNow) {
                Map<String, Double> now = task.evaluate();
                m.putAll(prefixed(now));
                improved = watch.cost(now) < bestLoss - hp.stoppingThreshold();
                if (improved) {
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
                float[] copy = weights.snapshot();
                PeakProbe pp = probe;
                if (pp != null) {
                    pp.at(model, adapter, opt, task, best, copy, baselineExamples);
                }
                Checkpoint.save(dir, copy, opt, new Checkpoint.State(step + 1, bad, bestLoss, baseline, trainedTokens), best);
                KeptCheckpoints.save(dir, step + 1, copy, m, improved);
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
        Task.Evaluation finEval = task.evaluation();
        Map<String, Double> fin = finEval.metrics();
        Map<String, Double> out = new LinkedHashMap<>();
        baseline.forEach((k, v) -> out.put("baseline_" + k, v));
        out.putAll(fin);
        fin.forEach((k, v) -> {
            if (baseline.containsKey(k)) {
                out.put(k + "_change", v - baseline.get(k));
            }
        });
        out.putAll(Pills.of(baselineExamples, finEval.examples(), hp.seedValue()));
        out.put("steps", (double) Math.min(step + 1, total));
        out.put("trained_tokens", (double) trainedTokens);
        out.put("eval_examples", (double) task.evalSize());
        LOG.debug("fine-tune finished: {}", out);
        return new TrainingBackend.Outcome(out);
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
}
