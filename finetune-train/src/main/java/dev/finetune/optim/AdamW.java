package dev.finetune.optim;

import dev.finetune.kernel.FloatOps;
import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.Parallel;
import dev.finetune.kernel.StepProfile;
import java.util.List;

/**
 * AdamW with torch.optim.AdamW semantics: per step t, for each element with gradient g,
 * <pre>
 *   p ← p · (1 − lr·wd)                       (decoupled weight decay, only on slices with decay)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1ᵗ) · m / (sqrt(v)/sqrt(1 − β2ᵗ) + ε)
 * </pre>
 * The parameters are {@link Slice}s of any float arrays, so a model's flat buffer and adapter weights
 * kept elsewhere can share one optimizer; moments are kept for the slices only (a frozen tensor has no
 * slice, so no state). Arithmetic per element is in float, as torch's. Not thread-safe; {@link #step}
 * parallelises inside.
 */
public final class AdamW {
    /**
     * One run of trainable parameters: {@code values[offset, offset+length)} with its gradient at the
     * same indices of {@code grads}.
     */
    public record Slice(String name, float[] values, float[] grads, int offset, int length, boolean decay) {
        public Slice {
            if (offset < 0 || length < 0 || offset + length > values.length || offset + length > grads.length) {
                throw new IllegalArgumentException("slice " + name + " [" + offset + ", " + (offset + length)
                        + ") outside its arrays");
            }
        }
    }

    private static final int GRAIN = 1 << 15;

    private final List<Slice> slices;
    private final int[] stateOffset;
    private final float[] m;
    private final float[] v;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private long step;
    /** Block sums of the gradient norm, allocated once. */
    private final double[] normBlocks;
    /** Set by {@link #clipGradNorm}, used and reset by {@link #step}. */
    private float pendingScale = 1f;
    private static final FloatOps OPS = Kernels.floatOps();

    public AdamW(List<Slice> slices, float beta1, float beta2, float eps, float weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("eps and weight_decay must be >= 0, got " + eps + ", " + weightDecay);
        }
        this.slices = List.copyOf(slices);
        this.stateOffset = new int[this.slices.size()];
        long total = 0;
        for (int i = 0; i < this.slices.size(); i++) {
            stateOffset[i] = (int) total;
            total += this.slices.get(i).length();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many parameters for one optimizer: " + total);
        }
        this.m = new float[(int) total];
        this.v = new float[(int) total];
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.normBlocks = new double[blocks(this.slices)];
    }

    /** torch's defaults: β (0.9, 0.999), ε 1e-8, and the given weight decay. */
    public static AdamW withDefaults(List<Slice> slices, float weightDecay) {
        return new AdamW(slices, 0.9f, 0.999f, 1e-8f, weightDecay);
    }

    public List<Slice> slices() {
        return slices;
    }

    /** Steps taken so far (t of the last update). */
    public long stepCount() {
        return step;
    }

    /** First moments, slice after slice (for checkpoints); the optimizer's own array. */
    public float[] firstMoments() {
        return m;
    }

    /** Second moments, slice after slice (for checkpoints); the optimizer's own array. */
    public float[] secondMoments() {
        return v;
    }

    /** Restores the step count from a checkpoint (moments go through {@link #firstMoments()} etc.). */
    public void restoreStepCount(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("step count must be >= 0, got " + steps);
        }
        this.step = steps;
    }

    /**
     * One update with learning rate {@code lr} from the current gradients (times the coefficient the
     * last {@link #clipGradNorm} chose, if it clipped). Vectorised ({@link FloatOps#adamw}, in float as
     * torch does) and parallel over each slice; every element's update is independent, so the result
     * does not depend on the thread count.
     */
    public void step(float lr) {
        long t0 = StepProfile.start();
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float gradScale = pendingScale;
        pendingScale = 1f;
        for (int s = 0; s < slices.size(); s++) {
            Slice sl = slices.get(s);
            float[] p = sl.values();
            float[] g = sl.grads();
            int off = sl.offset();
            int so = stateOffset[s];
            float keep = sl.decay() ? (float) (1 - (double) lr * weightDecay) : 1f;
            Parallel.forRange(sl.length(), GRAIN, (from, to) -> OPS.adamw(p, g, off + from, m, v, so + from, to - from,
                    gradScale, beta1, beta2, keep, stepSize, bc2Sqrt, eps));
        }
        StepProfile.stop(StepProfile.Phase.ADAMW, t0);
    }

    /** Elements per block of the gradient norm: each block's sum of squares is one double, blocks added in order. */
    private static final int NORM_BLOCK = 1 << 16;

    /**
     * The L2 norm of all gradients of {@code slices}: each slice in blocks of {@value #NORM_BLOCK}
     * elements summed in parallel (float lanes into a double per block), the block sums added in order,
     * so the result does not depend on the thread count.
     */
    public static double gradNorm(List<Slice> slices) {
        return Math.sqrt(sumOfSquares(slices, new double[blocks(slices)]));
    }

    private static int blocks(List<Slice> slices) {
        int n = 0;
        for (Slice s : slices) {
            n += (s.length() + NORM_BLOCK - 1) / NORM_BLOCK;
        }
        return n;
    }

    private static double sumOfSquares(List<Slice> slices, double[] blockSums) {
        int b0 = 0;
        for (Slice s : slices) {
            int nb = (s.length() + NORM_BLOCK - 1) / NORM_BLOCK;
            float[] g = s.grads();
            int off = s.offset();
            int len = s.length();
            int base = b0;
            Parallel.forRange(nb, 1, (from, to) -> {
                for (int b = from; b < to; b++) {
                    int start = b * NORM_BLOCK;
                    blockSums[base + b] = OPS.sumSquares(g, off + start, Math.min(NORM_BLOCK, len - start), 0f);
                }
            });
            b0 += nb;
        }
        double sum = 0;
        for (int b = 0; b < b0; b++) {
            sum += blockSums[b];
        }
        return sum;
    }

    /**
     * Clips the gradients so that their global L2 norm is at most {@code maxNorm} (torch's
     * {@code clip_grad_norm_}: factor maxNorm/(norm + 1e-6) when that is below 1) and returns the norm
     * before clipping. The factor is applied by the next {@link #step} as it reads each gradient (the
     * same float product as scaling the gradients in place, without a pass over them); the gradient
     * buffers themselves are left as they are.
     */
    public double clipGradNorm(double maxNorm) {
        long t0 = StepProfile.start();
        double norm = Math.sqrt(sumOfSquares(slices, normBlocks));
        double coef = maxNorm / (norm + 1e-6);
        pendingScale = coef < 1 ? (float) coef : 1f;
        StepProfile.stop(StepProfile.Phase.CLIP, t0);
        return norm;
    }

    /** The factor the next {@link #step} multiplies the gradients by (1 unless the last clip clipped). */
    public float pendingGradientScale() {
        return pendingScale;
    }
}
