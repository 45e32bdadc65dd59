package dev.finetune.model;

import dev.finetune.kernel.Dot;
import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.Parallel;

/**
 * GPT-2's KV-cached single-token step, assembled from the same {@link Layers} functions as its training
 * forward pass (LayerNorm and GELU with N = 1, {@link Layers#attentionStep} for attention). Reads the
 * weights, never writes them. Memory: the cache, {@code 2·L·capacity·C} floats, and a few vectors.
 */
final class GPT2Decoder implements CausalLM.Decoder {
    private static final Dot DOT = Kernels.dot();

    private final float[] p;
    private final int capacity;
    private final int L;
    private final int C;
    private final int NH;
    private final int V;
    private final float eps;
    private final int wte;
    private final int wpe;
    private final int lnfw;
    private final int lnfb;
    private final int[][] w; // per layer: ln1w ln1b qkvw qkvb projw projb ln2w ln2b fcw fcb fcprojw fcprojb

    private final float[][] keys;   // L × (capacity, C)
    private final float[][] values; // L × (capacity, C)
    private final float[] res;
    private final float[] ln;
    private final float[] qkv;
    private final float[] att;
    private final float[] tmp;
    private final float[] hidden;
    private final float[] hiddenGelu;
    private final float[] scores;
    private final float[] logits;
    private final float[] stat = new float[2];

    private static final String[] SUFFIXES = {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
        "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
        "mlp.c_proj.weight", "mlp.c_proj.bias"};

    GPT2Decoder(GPT2 model, int capacity) {
        GPT2Config cfg = model.config();
        if (capacity < 1 || capacity > cfg.maxSeqLen()) {
            throw new IllegalArgumentException("capacity " + capacity + " is outside 1.." + cfg.maxSeqLen()
                    + " (the model's n_positions)");
        }
        this.p = model.parameters();
        this.capacity = capacity;
        this.L = cfg.layers();
        this.C = cfg.channels();
        this.NH = cfg.heads();
        this.V = cfg.vocabSize();
        this.eps = cfg.layerNormEpsilon();
        wte = model.tensor("wte.weight").offset();
        wpe = model.tensor("wpe.weight").offset();
        lnfw = model.tensor("ln_f.weight").offset();
        lnfb = model.tensor("ln_f.bias").offset();
        w = new int[L][SUFFIXES.length];
        for (int l = 0; l < L; l++) {
            for (int i = 0; i < SUFFIXES.length; i++) {
                w[l][i] = model.tensor("h." + l + "." + SUFFIXES[i]).offset();
            }
        }
        keys = new float[L][capacity * C];
        values = new float[L][capacity * C];
        res = new float[C];
        ln = new float[C];
        qkv = new float[3 * C];
        att = new float[C];
        tmp = new float[C];
        hidden = new float[4 * C];
        hiddenGelu = new float[4 * C];
        scores = new float[capacity];
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
        for (int i = 0; i < C; i++) {
            res[i] = p[wte + token * C + i] + p[wpe + t * C + i];
        }
        for (int l = 0; l < L; l++) {
            int[] o = w[l];
            Layers.layernormForward(ln, stat, stat, res, p, o[0], o[1], 1, C, eps);
            Layers.matmulStep(qkv, ln, p, o[2], o[3], C, 3 * C);
            System.arraycopy(qkv, C, keys[l], t * C, C);
            System.arraycopy(qkv, 2 * C, values[l], t * C, C);
            Layers.attentionStep(att, qkv, 0, keys[l], values[l], t, NH, NH, C / NH, scores);
            Layers.matmulStep(tmp, att, p, o[4], o[5], C, C);
            for (int i = 0; i < C; i++) {
                res[i] += tmp[i];
            }
            Layers.layernormForward(ln, stat, stat, res, p, o[6], o[7], 1, C, eps);
            Layers.matmulStep(hidden, ln, p, o[8], o[9], C, 4 * C);
            Layers.geluForward(hiddenGelu, hidden, 4 * C);
            Layers.matmulStep(tmp, hiddenGelu, p, o[10], o[11], 4 * C, C);
            for (int i = 0; i < C; i++) {
                res[i] += tmp[i];
            }
        }
        Layers.layernormForward(ln, stat, stat, res, p, lnfw, lnfb, 1, C, eps);
        // logits (V) = wte (V, C) · ln, the tied head
        Parallel.forRange(V, 1024, (from, to) -> {
            for (int v = from; v < to; v++) {
                logits[v] = DOT.dot(p, wte + v * C, ln, 0, C);
            }
        });
        return logits;
    }
}
