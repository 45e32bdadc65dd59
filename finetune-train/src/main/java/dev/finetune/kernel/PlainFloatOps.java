package dev.finetune.kernel;

/**
 * {@link FloatOps} in plain Java: the scalar definition of every element-wise function (the Vector API
 * version computes its lanes with exactly these operations, and uses these methods for its tails), and
 * sums in double.
 */
public final class PlainFloatOps implements FloatOps {
    /** log2(e). */
    static final float LOG2E = 1.44269504f;
    /** 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer (ties to even). */
    static final float ROUND = 12582912f;
    static final int ROUND_BITS = 0x4B400000;
    /** ln 2 split in two: the high part has few bits, so k·LN2_HI is exact for |k| below 2⁸. */
    static final float LN2_HI = 0.693145751953125f;
    static final float LN2_LO = 1.42860682e-6f;
    /** exp's input range: 2^k stays a normal float for k in [-126, 127]. */
    static final float EXP_LO = -87f;
    static final float EXP_HI = 88f;
    /** Taylor coefficients 1/k! of e^r, k = 2..7 (on |r| <= ln2/2 the rest is below 6e-9 relative). */
    static final float C2 = 1f / 2;
    static final float C3 = 1f / 6;
    static final float C4 = 1f / 24;
    static final float C5 = 1f / 120;
    static final float C6 = 1f / 720;
    static final float C7 = 1f / 5040;
    /** 2·sqrt(2/π) and 2·sqrt(2/π)·0.044715: GELU's 2u = x·(K2 + K2C·x²). */
    static final float K2 = (float) (2 * Math.sqrt(2 / Math.PI));
    static final float K2C = (float) (2 * Math.sqrt(2 / Math.PI) * 0.044715);
    /** d(2u)/dx = K2 + K2C3·x². */
    static final float K2C3 = (float) (2 * Math.sqrt(2 / Math.PI) * 3 * 0.044715);

    /**
     * e^x in float: x clamped to [-87, 88], x = k·ln2 + r with k = round(x·log2 e) and |r| <= ln2/2,
     * e^r by its degree-7 Taylor polynomial (Horner, fused multiply-adds), times 2^k built in the
     * exponent bits. Within 2 ulp of the correctly rounded e^x on the range; NaN stays NaN.
     */
    public static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = Math.fma(x, LOG2E, ROUND);
        float k = t - ROUND;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = C7;
        p = Math.fma(p, r, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) - ROUND_BITS + 127) << 23);
    }

    /** σ(z) = 1 / (1 + e^-z). */
    static float sigmoid(float z) {
        return 1f / (1f + exp(-z));
    }

    static float gelu(float x) {
        float x2 = x * x;
        float z = x * Math.fma(x2, K2C, K2);
        return x * sigmoid(z);
    }

    static float geluGrad(float x) {
        float x2 = x * x;
        float z = x * Math.fma(x2, K2C, K2);
        float s = sigmoid(z);
        float t = x * s * (1f - s);
        return Math.fma(t, Math.fma(x2, K2C3, K2), s);
    }

    @Override
    public float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = off, end = off + n; i < end; i++) {
            m = Math.max(m, x[i]);
        }
        return m;
    }

    @Override
    public double sumExp(float[] x, int off, int n, float shift) {
        double s = 0;
        for (int i = off, end = off + n; i < end; i++) {
            s += exp(x[i] - shift);
        }
        return s;
    }

    @Override
    public void expScaled(float[] out, int oOff, float[] x, int xOff, int n, float shift, float scale) {
        for (int i = 0; i < n; i++) {
            out[oOff + i] = exp(x[xOff + i] - shift) * scale;
        }
    }

    @Override
    public double sum(float[] x, int off, int n) {
        double s = 0;
        for (int i = off, end = off + n; i < end; i++) {
            s += x[i];
        }
        return s;
    }

    @Override
    public double sumSquares(float[] x, int off, int n, float c) {
        double s = 0;
        for (int i = off, end = off + n; i < end; i++) {
            float d = x[i] - c;
            s += d * d;
        }
        return s;
    }

    @Override
    public double dot(float[] w, int wOff, float[] d, int dOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += w[wOff + i] * d[dOff + i];
        }
        return s;
    }

    @Override
    public double dotCentered(float[] w, int wOff, float[] d, int dOff, float[] x, int xOff, int n, float c) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += w[wOff + i] * d[dOff + i] * (x[xOff + i] - c);
        }
        return s;
    }

    @Override
    public void normalize(float[] out, int oOff, float[] x, int xOff, int n, float c, float s, float[] p, int wOff, int bOff) {
        if (bOff >= 0) {
            for (int i = 0; i < n; i++) {
                out[oOff + i] = Math.fma((x[xOff + i] - c) * s, p[wOff + i], p[bOff + i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                out[oOff + i] = (x[xOff + i] - c) * s * p[wOff + i];
            }
        }
    }

    @Override
    public void normBackward(float[] dinp, float[] dy, float[] x, int off, int n, float c, float s, float[] p, int wOff,
                             float a, float k, boolean accumulate) {
        for (int i = 0; i < n; i++) {
            float r = normGrad(dy[off + i], x[off + i], c, s, p[wOff + i], a, k);
            dinp[off + i] = accumulate ? dinp[off + i] + r : r;
        }
    }

    static float normGrad(float dy, float x, float c, float s, float w, float a, float k) {
        float nrm = (x - c) * s;
        float t = w * dy - a;
        return Math.fma(nrm, -k, t) * s;
    }

    @Override
    public void normWeightGrad(float[] g, int dwOff, int dbOff, float[] dy, float[] x, int off, int from, int to, float c,
                               float s) {
        if (dwOff >= 0) {
            for (int i = from; i < to; i++) {
                g[dwOff + i] = Math.fma((x[off + i] - c) * s, dy[off + i], g[dwOff + i]);
            }
        }
        if (dbOff >= 0) {
            for (int i = from; i < to; i++) {
                g[dbOff + i] += dy[off + i];
            }
        }
    }

    @Override
    public void gelu(float[] out, float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            out[i] = gelu(x[i]);
        }
    }

    @Override
    public void geluBackward(float[] dinp, float[] x, float[] dout, int from, int to, boolean accumulate) {
        for (int i = from; i < to; i++) {
            float r = geluGrad(x[i]) * dout[i];
            dinp[i] = accumulate ? dinp[i] + r : r;
        }
    }

    @Override
    public void swiglu(float[] out, float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i++) {
            float g = gate[i];
            out[i] = g * sigmoid(g) * up[i];
        }
    }

    @Override
    public void swigluBackward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int from, int to,
                               boolean accumulate) {
        for (int i = from; i < to; i++) {
            float g = gate[i];
            float s = sigmoid(g);
            float d = dout[i];
            float ru = d * (g * s);
            float rg = d * up[i] * s * Math.fma(g, 1f - s, 1f);
            dup[i] = accumulate ? dup[i] + ru : ru;
            dgate[i] = accumulate ? dgate[i] + rg : rg;
        }
    }

    @Override
    public void add(float[] out, float[] a, float[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            out[i] = a[i] + b[i];
        }
    }

    @Override
    public void adamw(float[] p, float[] g, int off, float[] m, float[] v, int mOff, int n, float gradScale, float beta1,
                      float beta2, float keep, float stepSize, float bc2Sqrt, float eps) {
        float ob1 = 1f - beta1;
        float ob2 = 1f - beta2;
        float inv = 1f / bc2Sqrt;
        for (int i = 0; i < n; i++) {
            float gi = g[off + i] * gradScale;
            float mi = Math.fma(beta1, m[mOff + i], ob1 * gi);
            float vi = Math.fma(beta2, v[mOff + i], ob2 * gi * gi);
            m[mOff + i] = mi;
            v[mOff + i] = vi;
            float den = Math.fma((float) Math.sqrt(vi), inv, eps);
            p[off + i] = Math.fma(p[off + i], keep, -(stepSize * mi / den));
        }
    }
}
