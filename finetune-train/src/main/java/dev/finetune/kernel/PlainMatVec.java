package dev.finetune.kernel;

/**
 * {@link MatVecKernel} in plain Java: two rows at a time, each with four partial sums (a single running
 * sum would be one long dependency chain); the transposed F32 form is axpy-shaped, which C2 vectorises.
 */
final class PlainMatVec implements MatVecKernel {

    @Override
    public void f32(float[] w, int wOff, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            int o = wOff + r * cols;
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            int c = 0;
            for (; c + 3 < cols; c += 4) {
                s0 += w[o + c] * x[xOff + c];
                s1 += w[o + c + 1] * x[xOff + c + 1];
                s2 += w[o + c + 2] * x[xOff + c + 2];
                s3 += w[o + c + 3] * x[xOff + c + 3];
            }
            for (; c < cols; c++) {
                s0 += w[o + c] * x[xOff + c];
            }
            y[yOff + r] = (s0 + s1) + (s2 + s3);
        }
    }

    @Override
    public void f32Transposed(float[] w, int wOff, int ld, int in, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        java.util.Arrays.fill(y, yOff + r0, yOff + r1, 0f);
        for (int i = 0; i < in; i++) {
            float s = x[xOff + i];
            int row = wOff + i * ld;
            for (int r = r0; r < r1; r++) {
                y[yOff + r] += s * w[row + r];
            }
        }
    }

    @Override
    public void bf16(short[] w, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        halves(true, w, cols, x, xOff, y, yOff, r0, r1);
    }

    @Override
    public void f16(short[] w, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        halves(false, w, cols, x, xOff, y, yOff, r0, r1);
    }

    private static float half(boolean brain, short h) {
        return brain ? MatVecKernel.bf16ToFloat(h) : MatVecKernel.f16ToFloat(h);
    }

    /** Rows of 16-bit weights (BF16 when {@code brain}, else F16) times x. */
    private static void halves(boolean brain, short[] w, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            int o = r * cols;
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            int c = 0;
            for (; c + 3 < cols; c += 4) {
                s0 += half(brain, w[o + c]) * x[xOff + c];
                s1 += half(brain, w[o + c + 1]) * x[xOff + c + 1];
                s2 += half(brain, w[o + c + 2]) * x[xOff + c + 2];
                s3 += half(brain, w[o + c + 3]) * x[xOff + c + 3];
            }
            for (; c < cols; c++) {
                s0 += half(brain, w[o + c]) * x[xOff + c];
            }
            y[yOff + r] = (s0 + s1) + (s2 + s3);
        }
    }

    @Override
    public void q8(byte[] q, float[] d, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        int nb = (cols + WeightType.Q8_BLOCK - 1) / WeightType.Q8_BLOCK;
        for (int r = r0; r < r1; r++) {
            int o = r * cols;
            float acc = 0;
            for (int b = 0; b < nb; b++) {
                int c0 = b * WeightType.Q8_BLOCK;
                int c1 = Math.min(cols, c0 + WeightType.Q8_BLOCK);
                float s0 = 0;
                float s1 = 0;
                int c = c0;
                for (; c + 1 < c1; c += 2) {
                    s0 += q[o + c] * x[xOff + c];
                    s1 += q[o + c + 1] * x[xOff + c + 1];
                }
                if (c < c1) {
                    s0 += q[o + c] * x[xOff + c];
                }
                acc += d[r * nb + b] * (s0 + s1);
            }
            y[yOff + r] = acc;
        }
    }

    @Override
    public float sum(float[] a, int from, int to) {
        int q = (to - from) / 4;
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        for (int i = from; i < from + q; i++) {
            s0 += a[i];
            s1 += a[i + q];
            s2 += a[i + 2 * q];
            s3 += a[i + 3 * q];
        }
        for (int i = from + 4 * q; i < to; i++) {
            s0 += a[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public float max(float[] a, int from, int to) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            m = Math.max(m, a[i]);
        }
        return m;
    }

    @Override
    public double sumExp(float[] a, int from, int to, double shift) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += Math.exp(a[i] - shift);
        }
        return s;
    }
}
