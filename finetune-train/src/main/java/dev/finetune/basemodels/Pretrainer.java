package dev.finetune.basemodels;

import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.optim.AdamW;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Next-token pretraining on one long token stream: each step draws B windows of T+1 consecutive
 * tokens at seeded random offsets, trains on all T targets of each, clips the global gradient norm to
 * 1.0 and takes an AdamW step with a linear warm-up then cosine decay to a tenth of the peak rate.
 * Deterministic for a given stream, config and seed.
 */
public final class Pretrainer {

    /** Progress after each step. */
    @FunctionalInterface
    public interface Listener {
        void onStep(int step, int steps, float loss, double tokensPerSecond);
    }

    /**
     * @param stream  the corpus as token ids
     * @param batch   B
     * @param seqLen  T (at most the model's context)
     * @param steps   optimizer steps
     * @param peakLr  the learning rate after warm-up
     * @param seed    initialization and sampling seed
     */
    public record Plan(int batch, int seqLen, int steps, float peakLr, float weightDecay, long seed) {
        public Plan {
            if (batch < 1 || seqLen < 2 || steps < 1 || !(peakLr > 0)) {
                throw new IllegalArgumentException("invalid pretraining plan " + batch + "x" + seqLen + ", " + steps
                        + " steps, lr " + peakLr);
            }
        }
    }

    private Pretrainer() {
    }

    /** A freshly initialized model trained on {@code stream} as {@code plan} says. */
    public static GPT2 pretrain(GPT2Config config, int[] stream, Plan plan, Listener listener, BooleanSupplier cancelled) {
        int B = plan.batch();
        int T = plan.seqLen();
        if (T > config.maxSeqLen()) {
            throw new IllegalArgumentException("seqLen " + T + " exceeds the context " + config.maxSeqLen());
        }
        if (stream.length < T + 2) {
            throw new IllegalArgumentException("the corpus has " + stream.length + " tokens, fewer than one window of " + (T + 1));
        }
        GPT2 model = GPT2.randomInit(config, plan.seed(), 0.02f);
        AdamW opt = AdamW.withDefaults(model.optimizerSlices(GPT2.decayMatricesOnly()), plan.weightDecay());
        SplittableRandom rnd = new SplittableRandom(plan.seed() ^ 0x5DEECE66DL);
        int[] inputs = new int[B * T];
        int[] targets = new int[B * T];
        int warmup = Math.max(1, Math.min(100, plan.steps() / 10));
        long t0 = System.nanoTime();
        for (int step = 0; step < plan.steps(); step++) {
            if (cancelled.getAsBoolean()) {
                throw new java.util.concurrent.CancellationException("pretraining cancelled at step " + step);
            }
            for (int b = 0; b < B; b++) {
                int off = rnd.nextInt(stream.length - T);
                System.arraycopy(stream, off, inputs, b * T, T);
                System.arraycopy(stream, off + 1, targets, b * T, T);
            }
            float loss = model.forward(inputs, targets, B, T);
            if (!Float.isFinite(loss)) {
                throw new ArithmeticException("the loss became " + loss + " at step " + step);
            }
            model.zeroGrad();
            model.backward();
            opt.clipGradNorm(1.0);
            opt.step(learningRate(step, plan.steps(), warmup, plan.peakLr()));
            double secs = (System.nanoTime() - t0) / 1e9;
            listener.onStep(step + 1, plan.steps(), loss, (double) (step + 1) * B * T / secs);
        }
        return model;
    }

    /** Linear warm-up over {@code warmup} steps, then cosine from the peak down to peak/10. */
    static float learningRate(int step, int steps, int warmup, float peak) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        double progress = (double) (step - warmup) / Math.max(1, steps - warmup);
        double min = peak * 0.1;
        return (float) (min + (peak - min) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1.0, progress))));
    }
}
