package dev.finetune.model;

import dev.finetune.kernel.MatVec;
import dev.finetune.kernel.WeightMatrix;
import dev.finetune.kernel.WeightType;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * GPT-2's KV-cached single-token step, assembled from the same {@link Layers} functions as its training
 * forward pass (LayerNorm and GELU with N = 1, {@link Layers#attentionStep} for attention), its
 * products on {@link WeightMatrix} storage through {@link MatVec}: one parallel pass per matrix, with
 * the bias, the GELU or the residual add done in the same pass by the thread that computed those rows.
 * The tied head is the token embedding's matrix. Reads the weights, never writes them. Memory: the
 * cache, {@code 2·L·capacity·C} floats, and a few vectors.
 */
final class GPT2Decoder implements CausalLM.Decoder {
    /** Below this much attention work (positions·C) the heads run on the calling thread. */
    private static final int PARALLEL_ATTENTION = 1 << 14;

    private final Weights w;
    private final int capacity;
    private final int L;
    private final int C;
    private final int NH;
    private final int V;
    private final float eps;

    private final float[][] keys;   // L × (capacity, C)
    private final float[][] values; // L × (capacity, C)
    private final float[] res;
    private final float[] ln;
    private final float[] qkv;
    private final float[] att;
    private final float[] tmp;
    private final float[] hidden;
    private final float[] hiddenGelu;
    private final float[] scores; // NH × capacity
    private final float[] logits;
    private final float[] stat = new float[2];

    /**
     * GPT-2's weights as the decoder reads them: the matrices ({@code wte} (V, C), which is also the
     * tied head, and per block c_attn (3C, C), attn.c_proj (C, C), c_fc (4C, C), mlp.c_proj (C, 4C), as
     * linear maps out ← in) in some {@link WeightType}, and the position embedding, norms and biases as
     * floats at offsets of one array.
     */
    static final class Weights {
        static final String[] MATRICES = {"attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"};
        static final String[] SMALL = {"ln_1.weight", "ln_1.bias", "attn.c_attn.bias", "attn.c_proj.bias", "ln_2.weight",
            "ln_2.bias", "mlp.c_fc.bias", "mlp.c_proj.bias"};

        final GPT2Config config;
        final float[] p;
        final int wpe;
        final int lnfw;
        final int lnfb;
        final int[][] small; // per layer, in SMALL's order
        final WeightMatrix wte;
        final WeightMatrix[][] mats; // per layer, in MATRICES' order
        /** Every matrix by its tensor name (for tests that compare against the weights as stored). */
        final Map<String, WeightMatrix> byName = new java.util.LinkedHashMap<>();

        /**
         * @param p      the floats holding wpe, the norms and the biases
         * @param offset where each of those lives in p, by tensor name (no {@code transformer.} prefix)
         * @param matrix each matrix by tensor name ({@code wte.weight} and MATRICES per block)
         */
        Weights(GPT2Config config, float[] p, ToIntFunction<String> offset, Function<String, WeightMatrix> matrixOf) {
            Function<String, WeightMatrix> matrix = n -> {
                WeightMatrix m = matrixOf.apply(n);
                byName.put(n, m);
                return m;
            };
            this.config = config;
            this.p = p;
            int L = config.layers();
            wpe = offset.applyAsInt("wpe.weight");
            lnfw = offset.applyAsInt("ln_f.weight");
            lnfb = offset.applyAsInt("ln_f.bias");
            wte = matrix.apply("wte.weight");
            small = new int[L][SMALL.length];
            mats = new WeightMatrix[L][MATRICES.length];
            for (int l = 0; l < L; l++) {
                for (int i = 0; i < SMALL.length; i++) {
                    small[l][i] = offset.applyAsInt("h." + l + "." + SMALL[i]);
                }
                for (int i = 0; i < MATRICES.length; i++) {
                    mats[l][i] = matrix.apply("h." + l + "." + MATRICES[i]);
                }
            }
        }

        /** Whether the decoder keeps tensor {@code name} as a matrix (else as floats). */
        static boolean isMatrix(String name) {
            if (name.equals("wte.weight")) {
                return true;
            }
            for (String s : MATRICES) {
                if (name.endsWith("." + s)) {
                    return true;
                }
            }
            return false;
        }

        /** Views of the model's own parameters, no copy: the Conv1D weights stay [in, out]. */
        static Weights view(GPT2 m) {
            float[] p = m.parameters();
            return new Weights(m.config(), p, n -> m.tensor(n).offset(), n -> {
                TensorView v = m.tensor(n);
                int[] s = v.shape();
                return n.equals("wte.weight") ? WeightMatrix.f32(p, v.offset(), s[0], s[1])
                        : WeightMatrix.f32Transposed(p, v.offset(), s[0], s[1]);
            });
        }

        /** A copy in {@code type}, each Conv1D weight transposed to (out, in); wpe, norms and biases as floats. */
        static Weights pack(GPT2 m, WeightType type) {
            float[] params = m.parameters();
            Map<String, Integer> offsets = new HashMap<>();
            int n = 0;
            for (TensorView v : m.tensors()) {
                if (!isMatrix(v.name())) {
                    offsets.put(v.name(), n);
                    n += v.size();
                }
            }
            float[] p = new float[n];
            for (TensorView v : m.tensors()) {
                if (!isMatrix(v.name())) {
                    System.arraycopy(params, v.offset(), p, offsets.get(v.name()), v.size());
                }
            }
            return new Weights(m.config(), p, offsets::get, name -> {
                TensorView v = m.tensor(name);
                int[] s = v.shape();
                return name.equals("wte.weight") ? WeightMatrix.pack(type, params, v.offset(), s[0], s[1])
                        : WeightMatrix.packTransposed(type, params, v.offset(), s[0], s[1]);
            });
        }

        /** Bytes of the matrices: what one decode step reads (the head pass reads all of wte). */
        long matrixBytes() {
            long b = wte.bytes();
            for (WeightMatrix[] layer : mats) {
                for (WeightMatrix x : layer) {
                    b += x.bytes();
                }
            }
            return b;
        }

        /** Bytes the weights take: the matrices and the floats (counted as the tensors they hold, even in a view of more). */
        long bytes() {
            long b = matrixBytes();
            long floats = (long) config.maxSeqLen() * config.channels() + (long) config.layers() * 13 * config.channels()
                    + 2L * config.channels();
            return b + 4 * floats;
        }
    }

    GPT2Decoder(Weights w, int capacity) {
        GPT2Config cfg = w.config;
        if (capacity < 1 || capacity > cfg.maxSeqLen()) {
            throw new IllegalArgumentException("capacity " + capacity + " is outside 1.." + cfg.maxSeqLen()
                    + " (the model's n_positions)");
        }
        this.w = w;
        this.capacity = capacity;
        this.L = cfg.layers();
        this.C = cfg.channels();
        this.NH = cfg.heads();
        this.V = cfg.vocabSize();
        this.eps = cfg.layerNormEpsilon();
        keys = new float[L][capacity * C];
        values = new float[L][capacity * C];
        res = new float[C];
        ln = new float[C];
        qkv = new float[3 * C];
        att = new float[C];
        tmp = new float[C];
        hidden = new float[4 * C];
        hiddenGelu = new float[4 * C];
        scores = new float[NH * capacity];
        logits = new float[V];
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public float[] step(int token, int t) {
        if (token < 0 || token >= V) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary 0.." + (V - 1));
        }
        if (t < 0 || t >= capacity) {
            throw new IllegalStateException("position " + t + " is outside the cache of " + capacity + " positions");
        }
        float[] p = w.p;
        w.wte.rowInto(token, res, 0);
        for (int i = 0; i < C; i++) {
            res[i] += p[w.wpe + t * C + i];
        }
        int hs = C / NH;
        for (int l = 0; l < L; l++) {
            int[] o = w.small[l];
            WeightMatrix[] m = w.mats[l];
            float[] kl = keys[l];
            float[] vl = values[l];
            Layers.layernormForward(ln, stat, stat, res, p, o[0], o[1], 1, C, eps);
            // qkv (3C) = c_attn · ln + bias
            MatVec.multiply(m[0], ln, 0, qkv, 0, (a, b) -> {
                for (int r = a; r < b; r++) {
                    qkv[r] += p[o[2] + r];
                }
            });
            System.arraycopy(qkv, C, kl, t * C, C);
            System.arraycopy(qkv, 2 * C, vl, t * C, C);
            MatVec.forRange(NH, (t + 1) * C < PARALLEL_ATTENTION ? NH : 1, (h0, h1) ->
                    Layers.attentionStep(att, qkv, 0, kl, vl, t, NH, NH, hs, h0, h1, scores, h0 * capacity));
            // res += attn.c_proj · att + bias
            MatVec.multiply(m[1], att, 0, tmp, 0, (a, b) -> {
                for (int r = a; r < b; r++) {
                    res[r] += tmp[r] + p[o[3] + r];
                }
            });
            Layers.layernormForward(ln, stat, stat, res, p, o[4], o[5], 1, C, eps);
            // hiddenGelu (4C) = gelu(c_fc · ln + bias)
            MatVec.multiply(m[2], ln, 0, hidden, 0, (a, b) -> {
                for (int r = a; r < b; r++) {
                    hidden[r] += p[o[6] + r];
                }
                Layers.geluForward(hiddenGelu, hidden, a, b);
            });
            // res += mlp.c_proj · hiddenGelu + bias
            MatVec.multiply(m[3], hiddenGelu, 0, tmp, 0, (a, b) -> {
                for (int r = a; r < b; r++) {
                    res[r] += tmp[r] + p[o[7] + r];
                }
            });
        }
        Layers.layernormForward(ln, stat, stat, res, p, w.lnfw, w.lnfb, 1, C, eps);
        // logits (V) = wte (V, C) · ln, the tied head
        MatVec.multiply(w.wte, ln, 0, logits, 0);
        return logits;
    }
}
