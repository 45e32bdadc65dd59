package dev.finetune.kernel;

/**
 * The row and element kernels of a training step outside matmul: the softmax sums of cross-entropy,
 * the statistics and affine maps of layernorm and RMSNorm, GELU and SwiGLU, the AdamW update, on runs
 * of {@code float[]} given as (array, offset, length). {@link Kernels#floatOps()} picks the Vector API
 * version ({@code VectorFloatOps}) when the module is present, else {@link PlainFloatOps}.
 *
 * <p>Arithmetic contract, shared by both: {@code exp} is {@link PlainFloatOps#exp}, a float
 * range reduction and a degree-7 polynomial (within 2 ulp of {@code Math.exp} over [-87, 88], the
 * input clamped to that range), and every element-wise function computes each element with the same
 * float operations in the same order, vector lane or scalar tail alike, so the two implementations
 * agree bit for bit on element-wise results and a result never depends on how a range was split
 * across threads. Sums ({@code sum*}, {@code dot*}) are per run: lanes in float, flushed into a double
 * every {@link #FLUSH} elements; they may differ between the two implementations in the last bits.
 * Nothing allocates.
 */
public interface FloatOps {
    /** Elements summed in float lanes before the partial sum goes into a double. */
    int FLUSH = 512;

    /** max of x[off, off+n) (NEGATIVE_INFINITY when n is 0). */
    float max(float[] x, int off, int n);

    /** Σ exp(x[i] - shift) over x[off, off+n). */
    double sumExp(float[] x, int off, int n, float shift);

    /** out[oOff+i] = exp(x[xOff+i] - shift) · scale; out may be x at the same offset. */
    void expScaled(float[] out, int oOff, float[] x, int xOff, int n, float shift, float scale);

    /** Σ x[i]. */
    double sum(float[] x, int off, int n);

    /** Σ (x[i] - c)². */
    double sumSquares(float[] x, int off, int n, float c);

    /** Σ w[i]·d[i] (w at wOff, d and x rows at their offsets). */
    double dot(float[] w, int wOff, float[] d, int dOff, int n);

    /** Σ w[i]·d[i]·(x[i] - c). */
    double dotCentered(float[] w, int wOff, float[] d, int dOff, float[] x, int xOff, int n, float c);

    /**
     * out[i] = (x[i] - c)·s·w[i] + b[i] over one row of n (the layernorm output; RMSNorm with c 0 and
     * bOff -1, no bias).
     */
    void normalize(float[] out, int oOff, float[] x, int xOff, int n, float c, float s, float[] p, int wOff, int bOff);

    /**
     * The norm's input gradient over one row: dinp[i] (+)= (w[i]·dy[i] - a - (x[i] - c)·s·k)·s, with
     * a = mean(w·dy) (0 for RMSNorm) and k = mean(w·dy·n); overwrites unless {@code accumulate}.
     */
    void normBackward(float[] dinp, float[] dy, float[] x, int off, int n, float c, float s, float[] p, int wOff,
                      float a, float k, boolean accumulate);

    /**
     * The norm's weight and bias gradients from one row, over its columns [from, to):
     * g[dwOff+i] += (x[i] - c)·s·dy[i] unless dwOff is -1, g[dbOff+i] += dy[i] unless dbOff is -1
     * (row offset {@code off}, column i of the row at off + i).
     */
    void normWeightGrad(float[] g, int dwOff, int dbOff, float[] dy, float[] x, int off, int from, int to, float c, float s);

    /** out[i] = gelu(x[i]) for i in [from, to), the tanh form: x·σ(2·sqrt(2/π)·(x + 0.044715·x³)). */
    void gelu(float[] out, float[] x, int from, int to);

    /** dinp[i] (+)= gelu'(x[i])·dout[i] for i in [from, to); overwrites unless {@code accumulate}. */
    void geluBackward(float[] dinp, float[] x, float[] dout, int from, int to, boolean accumulate);

    /** out[i] = silu(gate[i])·up[i], silu(g) = g·σ(g), for i in [from, to). */
    void swiglu(float[] out, float[] gate, float[] up, int from, int to);

    /**
     * dgate[i] (+)= dout·up·σ(g)·(1 + g·(1 - σ(g))), dup[i] (+)= dout·silu(g), for i in [from, to);
     * overwrites unless {@code accumulate}.
     */
    void swigluBackward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int from, int to,
                        boolean accumulate);

    /** out[i] = a[i] + b[i] for i in [from, to). */
    void add(float[] out, float[] a, float[] b, int from, int to);

    /**
     * One AdamW update of p[off, off+n) from gradients g (times {@code gradScale}) with moments m, v at
     * [mOff, mOff+n), in float: m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
     * p = p·keep - stepSize·m / (sqrt(v)/bc2Sqrt + eps).
     */
    void adamw(float[] p, float[] g, int off, float[] m, float[] v, int mOff, int n, float gradScale, float beta1,
               float beta2, float keep, float stepSize, float bc2Sqrt, float eps);
}
