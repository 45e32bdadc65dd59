package dev.finetune.model;

import dev.finetune.kernel.Dot;
import dev.finetune.kernel.Kernels;

/**
 * The Llama family's KV-cached single-token step, from the same {@link Layers} functions as its training
 * forward pass: RMSNorm and RoPE and SwiGLU with N = 1, {@link Layers#linearStep} for the projections,
 * {@link Layers#attentionStep} for grouped-query attention over the cache. Keys are cached after RoPE.
 * Memory: {@code 2·L·capacity·KVH·head_dim} floats of cache plus a few vectors.
 */
final class LlamaDecoder implements CausalLM.Decoder {
    private static final Dot DOT = Kernels.dot();

    private final Llama m;
    private final LlamaConfig c;
    private final float[] p;
    private final int capacity;
    private final float[][] keys;
    private final float[][] values;
    private final float[] x;
    private final float[] h;
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] att;
    private final float[] tmp;
    private final float[] gate;
    private final float[] up;
    private final float[] mlp;
    private final float[] scores;
    private final float[] logits;
    private final float[] rstd = new float[1];

    LlamaDecoder(Llama model, int capacity) {
        this.m = model;
        this.c = model.config();
        if (capacity < 1 || capacity > c.maxSeqLen()) {
            throw new IllegalArgumentException("capacity " + capacity + " is outside 1.." + c.maxSeqLen()
                    + " (the model's max_position_embeddings)");
        }
        this.p = model.parameters();
        this.capacity = capacity;
        int L = c.layers();
        keys = new float[L][capacity * c.kvDim()];
        values = new float[L][capacity * c.kvDim()];
        x = new float[c.hiddenSize()];
        h = new float[c.hiddenSize()];
        q = new float[c.qDim()];
        k = new float[c.kvDim()];
        v = new float[c.kvDim()];
        att = new float[c.qDim()];
        tmp = new float[c.hiddenSize()];
        gate = new float[c.intermediateSize()];
        up = new float[c.intermediateSize()];
        mlp = new float[c.intermediateSize()];
        scores = new float[capacity];
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
        int I = c.intermediateSize();
        int hd = c.headDim();
        float eps = c.rmsNormEps();
        if (token < 0 || token >= V) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary 0.." + (V - 1));
        }
        if (t < 0 || t >= capacity) {
            throw new IllegalStateException("position " + t + " is outside the cache of " + capacity + " positions");
        }
        System.arraycopy(p, m.embed + token * C, x, 0, C);
        for (int l = 0; l < c.layers(); l++) {
            Layers.rmsnormForward(h, rstd, x, p, m.ln1[l], 1, C, eps);
            Layers.linearStep(DOT, q, h, p, m.wq[l], m.bq[l], C, Qd);
            Layers.linearStep(DOT, k, h, p, m.wk[l], m.bk[l], C, KV);
            Layers.linearStep(DOT, v, h, p, m.wv[l], m.bv[l], C, KV);
            Layers.ropeForward(q, 1, 1, t, c.heads(), hd, m.cos, m.sin);
            Layers.ropeForward(k, 1, 1, t, c.kvHeads(), hd, m.cos, m.sin);
            System.arraycopy(k, 0, keys[l], t * KV, KV);
            System.arraycopy(v, 0, values[l], t * KV, KV);
            Layers.attentionStep(att, q, 0, keys[l], values[l], t, c.heads(), c.kvHeads(), hd, scores);
            Layers.linearStep(DOT, tmp, att, p, m.wo[l], m.bo[l], Qd, C);
            for (int i = 0; i < C; i++) {
                x[i] += tmp[i];
            }
            Layers.rmsnormForward(h, rstd, x, p, m.ln2[l], 1, C, eps);
            Layers.linearStep(DOT, gate, h, p, m.wg[l], -1, C, I);
            Layers.linearStep(DOT, up, h, p, m.wu[l], -1, C, I);
            Layers.swigluForward(mlp, gate, up, I);
            Layers.linearStep(DOT, tmp, mlp, p, m.wd[l], -1, I, C);
            for (int i = 0; i < C; i++) {
                x[i] += tmp[i];
            }
        }
        Layers.rmsnormForward(h, rstd, x, p, m.normf, 1, C, eps);
        Layers.linearStep(DOT, logits, h, p, m.head, -1, C, V);
        return logits;
    }
}
