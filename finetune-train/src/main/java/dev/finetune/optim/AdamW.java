package dev.finetune.optim;

import dev.finetune.kernel.Parallel;
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
 * kept elsewhere can share one optimizer; moments are kept for the slices only. Arithmetic per element
 * is in double, stored as float. Not thread-safe; {@link #step} parallelises inside.
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

    /** One update with learning rate {@code lr} from the current gradients. */
    public void step(float lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        double b1 = beta1;
        double b2 = beta2;
        for (int s = 0; s < slices.size(); s++) {
            Slice sl = slices.get(s);
            float[] p = sl.values();
            float[] g = sl.grads();
            int off = sl.offset();
            int so = stateOffset[s];
            double keep = sl.decay() ? 1 - (double) lr * weightDecay : 1;
            Parallel.forRange(sl.length(), GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) {
                    double gi = g[off + i];
                    double mi = b1 * m[so + i] + (1 - b1) * gi;
                    double vi = b2 * v[so + i] + (1 - b2) * gi * gi;
                    m[so + i] = (float) mi;
                    v[so + i] = (float) vi;
                    double pi = p[off + i] * keep;
                    p[off + i] = (float) (pi - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps));
                }
            });
        }
    }

    /** The L2 norm of all gradients of {@code slices}, summed in double. */
    public static double gradNorm(List<Slice> slices) {
        double sum = 0;
        for (Slice s : slices) {
            float[] g = s.grads();
            for (int i = s.offset(), end = s.offset() + s.length(); i < end; i++) {
                sum += (double) g[i] * g[i];
            }
        }
        return Math.sqrt(sum);
    }

    /**
     * Scales the gradients so that their global L2 norm is at most {@code maxNorm} (torch's
     * {@code clip_grad_norm_}: factor maxNorm/(norm + 1e-6) when that is below 1) and returns the norm
     * before clipping.
     */
    public double clipGradNorm(double maxNorm) {
        double norm = gradNorm(slices);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            float c = (float) coef;
            for (Slice s : slices) {
                float[] g = s.grads();
                for (int i = s.offset(), end = s.offset() + s.length(); i < end; i++) {
                    g[i] *= c;
                }
            }
        }
        return norm;
    }
}
