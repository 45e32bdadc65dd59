package dev.finetune.inference;

import dev.finetune.kernel.Parallel;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;

/**
 * Incremental decoding of one sequence with a key/value cache: {@link #append(int)} runs the model on a
 * single new token, attending to the keys and values kept for every earlier position, so that each new
 * token costs O(position·C + weights) instead of a forward pass over the whole prefix.
 *
 * <p>The session reads the weights of a {@link GPT2} and never writes them; many sessions may decode
 * from one model on many threads at once as long as nobody trains that model meanwhile. A session
 * itself is not thread-safe. Its memory is the cache, {@code 2·L·capacity·C} floats, plus a few
 * vectors of size {@code 4·C} and V, allocated once.
 */
public final class DecodeSession {
    private static final int COLUMN_GRAIN = 256;
    private static final dev.finetune.kernel.Dot DOT = dev.finetune.kernel.Kernels.dot();

    private final float[] p;
    private final GPT2Config cfg;
    private final int capacity;
    private final int L;
    private final int C;
    private final int NH;
    private final int hs;
    private final int V;
    private final float eps;

    // weight offsets, per layer
    private final int wte;
    private final int wpe;
    private final int lnfw;
    private final int lnfb;
    private final int[] ln1w;
    private final int[] ln1b;
    private final int[] qkvw;
    private final int[] qkvb;
    private final int[] projw;
    private final int[] projb;
    private final int[] ln2w;
    private final int[] ln2b;
    private final int[] fcw;
    private final int[] fcb;
    private final int[] fcprojw;
    private final int[] fcprojb;

    /** keys[l] and values[l]: (capacity, C), row t holds position t's key/value for every head. */
    private final float[][] keys;
    private final float[][] values;
    private final float[] x;      // (C) residual stream
    private final float[] ln;     // (C)
    private final float[] qkv;    // (3C)
    private final float[] att;    // (C) attention output
    private final float[] scores; // (capacity)
    private final float[] tmp;    // (C)
    private final float[] hidden; // (4C)
    private final float[] logits; // (V)
    private int position;

    /**
     * A session over {@code model}'s weights that can hold up to {@code capacity} positions
     * (at most the model's {@code n_positions}).
     */
    public DecodeSession(GPT2 model, int capacity) {
        this.cfg = model.config();
        if (capacity < 1 || capacity > cfg.maxSeqLen()) {
            throw new IllegalArgumentException("capacity " + capacity + " is outside 1.." + cfg.maxSeqLen()
                    + " (the model's n_positions)");
        }
        this.p = model.parameters();
        this.capacity = capacity;
        this.L = cfg.layers();
        this.C = cfg.channels();
        this.NH = cfg.heads();
        this.hs = cfg.headSize();
        this.V = cfg.vocabSize();
        this.eps = cfg.layerNormEpsilon();
        wte = model.tensor("wte.weight").offset();
        wpe = model.tensor("wpe.weight").offset();
        lnfw = model.tensor("ln_f.weight").offset();
        lnfb = model.tensor("ln_f.bias").offset();
        ln1w = offsets(model, "ln_1.weight");
        ln1b = offsets(model, "ln_1.bias");
        qkvw = offsets(model, "attn.c_attn.weight");
        qkvb = offsets(model, "attn.c_attn.bias");
        projw = offsets(model, "attn.c_proj.weight");
        projb = offsets(model, "attn.c_proj.bias");
        ln2w = offsets(model, "ln_2.weight");
        ln2b = offsets(model, "ln_2.bias");
        fcw = offsets(model, "mlp.c_fc.weight");
        fcb = offsets(model, "mlp.c_fc.bias");
        fcprojw = offsets(model, "mlp.c_proj.weight");
        fcprojb = offsets(model, "mlp.c_proj.bias");
        keys = new float[L][capacity * C];
        values = new float[L][capacity * C];
        x = new float[C];
        ln = new float[C];
        qkv = new float[3 * C];
        att = new float[C];
        scores = new float[capacity];
        tmp = new float[C];
        hidden = new float[4 * C];
        logits = new float[V];
    }

    private int[] offsets(GPT2 model, String suffix) {
        int[] o = new int[L];
        for (int l = 0; l < L; l++) {
            o[l] = model.tensor("h." + l + "." + suffix).offset();
        }
        return o;
    }

    /** Number of positions decoded so far (the next token's position). */
    public int position() {
        return position;
    }

    public int capacity() {
        return capacity;
    }

    /** Forgets every position; the cache is reused. */
    public void reset() {
        position = 0;
    }

    /**
     * Keeps only the first {@code n} positions (their keys and values stay valid), so a caller can
     * back up, e.g. to re-decode after a stop sequence or to share a prompt between continuations.
     */
    public void truncate(int n) {
        if (n < 0 || n > position) {
            throw new IllegalArgumentException("cannot truncate " + position + " positions to " + n);
        }
        position = n;
    }

    /**
     * Runs the model on {@code token} at the next position and returns the logits (V) for the token
     * after it. The array is the session's own buffer: valid until the next call.
     */
    public float[] append(int token) {
        if (token < 0 || token >= V) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary 0.." + (V - 1));
        }
        if (position >= capacity) {
            throw new IllegalStateException("the session is full: " + capacity + " positions");
        }
        int t = position;
        // x (C) = wte[token] + wpe[t]
        for (int i = 0; i < C; i++) {
            x[i] = p[wte + token * C + i] + p[wpe + t * C + i];
        }
        for (int l = 0; l < L; l++) {
            layernorm(ln, x, ln1w[l], ln1b[l]);
            // qkv (3C) = ln · W (C, 3C) + b
            matvec(qkv, ln, qkvw[l], qkvb[l], C, 3 * C);
            System.arraycopy(qkv, C, keys[l], t * C, C);
            System.arraycopy(qkv, 2 * C, values[l], t * C, C);
            attend(l, t);
            matvec(tmp, att, projw[l], projb[l], C, C);
            for (int i = 0; i < C; i++) {
                x[i] += tmp[i];
            }
            layernorm(ln, x, ln2w[l], ln2b[l]);
            matvec(hidden, ln, fcw[l], fcb[l], C, 4 * C);
            gelu(hidden);
            matvec(tmp, hidden, fcprojw[l], fcprojb[l], 4 * C, C);
            for (int i = 0; i < C; i++) {
                x[i] += tmp[i];
            }
        }
        layernorm(ln, x, lnfw, lnfb);
        // logits (V) = wte (V, C) · ln
        Parallel.forRange(V, 1024, (from, to) -> {
            for (int v = from; v < to; v++) {
                logits[v] = DOT.dot(p, wte + v * C, ln, 0, C);
            }
        });
        position++;
        return logits;
    }

    /** att (C) = per head, softmax(q·kᵀ/sqrt(hs)) over positions 0..t, times the values. */
    private void attend(int l, int t) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] k = keys[l];
        float[] v = values[l];
        for (int h = 0; h < NH; h++) {
            int q = h * hs;
            float max = Float.NEGATIVE_INFINITY;
            for (int t2 = 0; t2 <= t; t2++) {
                float s = 0;
                int kk = t2 * C + h * hs;
                for (int i = 0; i < hs; i++) {
                    s += qkv[q + i] * k[kk + i];
                }
                s *= scale;
                scores[t2] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int t2 = 0; t2 <= t; t2++) {
                float e = (float) Math.exp(scores[t2] - max);
                scores[t2] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            int o = h * hs;
            for (int i = 0; i < hs; i++) {
                att[o + i] = 0;
            }
            for (int t2 = 0; t2 <= t; t2++) {
                float w = scores[t2] * inv;
                int vv = t2 * C + h * hs;
                for (int i = 0; i < hs; i++) {
                    att[o + i] += w * v[vv + i];
                }
            }
        }
    }

    /** out (OC) = inp (IC) · W (IC, OC) + b, split over output columns; axpy-shaped so C2 vectorizes it. */
    private void matvec(float[] out, float[] inp, int wOff, int bOff, int IC, int OC) {
        Parallel.forRange(OC, COLUMN_GRAIN, (from, to) -> {
            System.arraycopy(p, bOff + from, out, from, to - from);
            for (int i = 0; i < IC; i++) {
                float s = inp[i];
                int row = wOff + i * OC;
                for (int j = from; j < to; j++) {
                    out[j] += s * p[row + j];
                }
            }
        });
    }

    private void layernorm(float[] out, float[] inp, int wOff, int bOff) {
        double sum = 0;
        for (int i = 0; i < C; i++) {
            sum += inp[i];
        }
        double m = sum / C;
        double var = 0;
        for (int i = 0; i < C; i++) {
            double d = inp[i] - m;
            var += d * d;
        }
        float s = (float) (1.0 / Math.sqrt(var / C + eps));
        float mf = (float) m;
        for (int i = 0; i < C; i++) {
            out[i] = (inp[i] - mf) * s * p[wOff + i] + p[bOff + i];
        }
    }

    private static final double GELU_K = Math.sqrt(2.0 / Math.PI);

    private static void gelu(float[] h) {
        for (int i = 0; i < h.length; i++) {
            double v = h[i];
            h[i] = (float) (0.5 * v * (1 + Math.tanh(GELU_K * (v + 0.044715 * v * v * v))));
        }
    }

    /** The model shape this session decodes. */
    public GPT2Config config() {
        return cfg;
    }
}
