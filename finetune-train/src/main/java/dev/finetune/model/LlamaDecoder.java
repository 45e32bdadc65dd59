package dev.finetune.model;

import dev.finetune.kernel.MatVec;
import dev.finetune.kernel.WeightMatrix;
import dev.finetune.kernel.WeightType;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The Llama family's KV-cached single-token step, from the same {@link Layers} functions as its training
 * forward pass: RMSNorm, RoPE and SwiGLU with N = 1, {@link Layers#attentionStep} for grouped-query
 * attention over the cache. Its products run on {@link WeightMatrix} storage through {@link MatVec}, fused
 * where the layout allows: q, k and v in one pass (one stacked matrix), gate and up in one pass with
 * SwiGLU applied by the thread that computed those rows, the residual adds inside the o and down passes.
 * Keys are cached after RoPE. Memory: {@code 2·L·capacity·KVH·head_dim} floats of cache plus a few vectors.
 */
final class LlamaDecoder implements CausalLM.Decoder {
    /** Below this much attention work (positions·kv width) the heads run on the calling thread. */
    private static final int PARALLEL_ATTENTION = 1 << 14;

    private final Weights w;
    private final LlamaConfig c;
    private final int capacity;
    private final float[][] keys;
    private final float[][] values;
    private final float[] x;
    private final float[] h;
    private final float[] qkv;
    private final float[] k;
    private final float[] att;
    private final float[] tmp;
    private final float[] gate;
    private final float[] up;
    private final float[] mlp;
    private final float[] scores; // heads × capacity
    private final float[] logits;
    private final float[] rstd = new float[1];

    /**
     * The weights as the decoder reads them: the embedding, the head (the embedding's matrix when tied) and
     * per block q|k|v stacked (Qd + 2KV, C), o (C, Qd), gate and up (I, C), down (C, I), in some
     * {@link WeightType}; the norms and biases as floats at offsets of one array (-1 for an absent bias);
     * the RoPE tables.
     */
    static final class Weights {
        final LlamaConfig config;
        final float[] p;
        final int normf;
        final int[] ln1;
        final int[] ln2;
        final int[] bq;
        final int[] bk;
        final int[] bv;
        final int[] bo;
        final WeightMatrix embed;
        final WeightMatrix head;
        final WeightMatrix[] qkv;
        final WeightMatrix[] o;
        final WeightMatrix[] gate;
        final WeightMatrix[] up;
        final WeightMatrix[] down;
        final float[] cos;
        final float[] sin;
        /** Every matrix by its tensor name (for tests that compare against the weights as stored). */
        final Map<String, WeightMatrix> byName = new java.util.LinkedHashMap<>();

        /**
         * @param p      the floats holding the norms and biases
         * @param offset where each of those lives in p, by HF tensor name (asked only for tensors the config has)
         * @param matrix each matrix by HF tensor name
         */
        Weights(LlamaConfig config, float[] p, ToIntFunction<String> offset, Function<String, WeightMatrix> matrixOf) {
            Function<String, WeightMatrix> matrix = n -> {
                WeightMatrix m = matrixOf.apply(n);
                byName.put(n, m);
                return m;
            };
            this.config = config;
            this.p = p;
            int L = config.layers();
            normf = offset.applyAsInt("model.norm.weight");
            embed = matrix.apply("model.embed_tokens.weight");
            head = config.tiedEmbeddings() ? embed : matrix.apply("lm_head.weight");
            ln1 = new int[L];
            ln2 = new int[L];
            bq = new int[L];
            bk = new int[L];
            bv = new int[L];
            bo = new int[L];
            qkv = new WeightMatrix[L];
            o = new WeightMatrix[L];
            gate = new WeightMatrix[L];
            up = new WeightMatrix[L];
            down = new WeightMatrix[L];
            for (int l = 0; l < L; l++) {
                String n = "model.layers." + l + ".";
                ln1[l] = offset.applyAsInt(n + "input_layernorm.weight");
                ln2[l] = offset.applyAsInt(n + "post_attention_layernorm.weight");
                bq[l] = config.qkvBias() ? offset.applyAsInt(n + "self_attn.q_proj.bias") : -1;
                bk[l] = config.qkvBias() ? offset.applyAsInt(n + "self_attn.k_proj.bias") : -1;
                bv[l] = config.qkvBias() ? offset.applyAsInt(n + "self_attn.v_proj.bias") : -1;
                bo[l] = config.oBias() ? offset.applyAsInt(n + "self_attn.o_proj.bias") : -1;
                qkv[l] = WeightMatrix.stack(matrix.apply(n + "self_attn.q_proj.weight"), matrix.apply(n + "self_attn.k_proj.weight"),
                        matrix.apply(n + "self_attn.v_proj.weight"));
                o[l] = matrix.apply(n + "self_attn.o_proj.weight");
                gate[l] = matrix.apply(n + "mlp.gate_proj.weight");
                up[l] = matrix.apply(n + "mlp.up_proj.weight");
                down[l] = matrix.apply(n + "mlp.down_proj.weight");
            }
            float[][] rope = Llama.ropeTables(config);
            cos = rope[0];
            sin = rope[1];
        }

        /** Whether the decoder keeps tensor {@code name} as a matrix (else as floats: norms and biases). */
        static boolean isMatrix(String name) {
            return name.endsWith("_proj.weight") || name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight");
        }

        /** Views of the model's own parameters, no copy. */
        static Weights view(Llama m) {
            float[] params = m.parameters();
            return new Weights(m.config(), params, n -> m.tensor(n).offset(), n -> {
                TensorView v = m.tensor(n);
                return WeightMatrix.f32(params, v.offset(), v.shape()[0], v.shape()[1]);
            });
        }

        /** A copy of the matrices in {@code type}; norms and biases copied as floats. */
        static Weights pack(Llama m, WeightType type) {
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
                return WeightMatrix.pack(type, params, v.offset(), v.shape()[0], v.shape()[1]);
            });
        }

        /** Bytes of the matrices (the head once; an untied embedding too, though a step reads one row of it). */
        long matrixBytes() {
            long b = embed.bytes() + (head == embed ? 0 : head.bytes());
            for (int l = 0; l < qkv.length; l++) {
                b += qkv[l].bytes() + o[l].bytes() + gate[l].bytes() + up[l].bytes() + down[l].bytes();
            }
            return b;
        }

        /** Bytes one decode step streams: every matrix but an untied embedding (of which it reads one row). */
        long streamedBytes() {
            return matrixBytes() - (head == embed ? 0 : embed.bytes());
        }

        /** Bytes the weights take (the floats counted as the norms and biases they hold). */
        long bytes() {
            long b = matrixBytes();
            LlamaConfig c = config;
            long floats = (long) c.layers() * (2L * c.hiddenSize() + (c.qkvBias() ? c.qDim() + 2L * c.kvDim() : 0)
                    + (c.oBias() ? c.hiddenSize() : 0)) + c.hiddenSize();
            return b + 4 * floats;
        }
    }

    LlamaDecoder(Weights w, int capacity) {
        this.w = w;
        this.c = w.config;
        if (capacity < 1 || capacity > c.maxSeqLen()) {
            throw new IllegalArgumentException("capacity " + capacity + " is outside 1.." + c.maxSeqLen()
                    + " (the model's max_position_embeddings)");
        }
        this.capacity = capacity;
        int L = c.layers();
        keys = new float[L][capacity * c.kvDim()];
        values = new float[L][capacity * c.kvDim()];
        x = new float[c.hiddenSize()];
        h = new float[c.hiddenSize()];
        qkv = new float[c.qDim() + 2 * c.kvDim()];
        k = new float[c.kvDim()];
        att = new float[c.qDim()];
        tmp = new float[c.hiddenSize()];
        gate = new float[c.intermediateSize()];
        up = new float[c.intermediateSize()];
        mlp = new float[c.intermediateSize()];
        scores = new float[c.heads() * capacity];
        logits = new float[c.vocabSize()];
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public float[] step(int token, int t) {
        int C = c.hiddenSize();
        int V = c.vocabSize();
        int Qd = c.qDim();
        int KV = c.kvDim();
        int hd = c.headDim();
        int NH = c.heads();
        int KVH = c.kvHeads();
        float eps = c.rmsNormEps();
        if (token < 0 || token >= V) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary 0.." + (V - 1));
        }
        if (t < 0 || t >= capacity) {
            throw new IllegalStateException("position " + t + " is outside the cache of " + capacity + " positions");
        }
        float[] p = w.p;
        w.embed.rowInto(token, x, 0);
        for (int l = 0; l < c.layers(); l++) {
            float[] kl = keys[l];
            float[] vl = values[l];
            int bq = w.bq[l];
            int bk = w.bk[l];
            int bv = w.bv[l];
            int bo = w.bo[l];
            Layers.rmsnormForward(h, rstd, x, p, w.ln1[l], 1, C, eps);
            // q | k | v (Qd + 2KV) = [q_proj; k_proj; v_proj] · h (+ biases)
            MatVec.multiply(w.qkv[l], h, 0, qkv, 0, bq < 0 ? null : (a, b) -> {
                for (int r = a; r < b; r++) {
                    qkv[r] += r < Qd ? p[bq + r] : r < Qd + KV ? p[bk + r - Qd] : p[bv + r - Qd - KV];
                }
            });
            System.arraycopy(qkv, Qd, k, 0, KV);
            Layers.ropeForward(qkv, 1, 1, t, NH, hd, w.cos, w.sin);
            Layers.ropeForward(k, 1, 1, t, KVH, hd, w.cos, w.sin);
            System.arraycopy(k, 0, kl, t * KV, KV);
            System.arraycopy(qkv, Qd + KV, vl, t * KV, KV);
            MatVec.forRange(NH, (t + 1) * KV * (NH / KVH) < PARALLEL_ATTENTION ? NH : 1, (h0, h1) ->
                    Layers.attentionStep(att, qkv, 0, kl, vl, t, NH, KVH, hd, h0, h1, scores, h0 * capacity));
            // x += o_proj · att (+ bias)
            MatVec.multiply(w.o[l], att, 0, tmp, 0, (a, b) -> {
                for (int r = a; r < b; r++) {
                    x[r] += bo >= 0 ? tmp[r] + p[bo + r] : tmp[r];
                }
            });
            Layers.rmsnormForward(h, rstd, x, p, w.ln2[l], 1, C, eps);
            // mlp (I) = silu(gate_proj · h) * (up_proj · h)
            MatVec.multiply(w.gate[l], w.up[l], h, gate, up, (a, b) -> Layers.swigluForward(mlp, gate, up, a, b));
            // x += down_proj · mlp
            MatVec.multiply(w.down[l], mlp, 0, tmp, 0, (a, b) -> {
                for (int r = a; r < b; r++) {
                    x[r] += tmp[r];
                }
            });
        }
        Layers.rmsnormForward(h, rstd, x, p, w.normf, 1, C, eps);
        MatVec.multiply(w.head, h, 0, logits, 0);
        return logits;
    }
}
