package dev.finetune.model;

import dev.finetune.kernel.Gemm;
import dev.finetune.kernel.Parallel;

/**
 * Every layer the model families assemble (GPT-2: embeddings, LayerNorm, Conv1D, GELU; the Llama family:
 * RMSNorm, nn.Linear, RoPE, SwiGLU; both: causal attention, grouped-query when asked, and cross-entropy),
 * on row-major {@code float[]}, each a {@code forward} and a {@code backward} side by side, outputs first.
 * The KV-cached single-token decode steps use the same functions (with N = 1; GELU and SwiGLU on the
 * range of outputs a thread computed) or, for attention, {@link #attentionStep}, and run their products
 * through {@link dev.finetune.kernel.MatVec}, so training and inference compute the same numbers. {@code B} batch, {@code T} sequence length, {@code C} channels, {@code OC} output
 * channels, {@code V} vocabulary, {@code NH} heads, {@code N = B·T} rows. Activations are whole arrays
 * (rows packed from index 0); weights and their gradients are (array, offset) pairs into the model's
 * flat parameter and gradient buffers, where an offset of {@code -1} means "absent" or "frozen, skip".
 *
 * <p>Backward functions accumulate ({@code +=}) into their gradient outputs, so every gradient buffer
 * is zeroed once per step by the caller; {@link #crossEntropyBackward} is the one exception (it starts
 * the chain and overwrites). Nothing here allocates arrays; row-parallel loops run on {@link Parallel}.
 */
public final class Layers {
    /** sqrt(2/π), the GELU tanh-approximation constant. */
    private static final double GELU_K = Math.sqrt(2.0 / Math.PI);
    private static final int ROW_GRAIN = 8;
    /** Dot products of attention (q·k, dout·v): the Vector API one when present, the same in training and decoding. */
    private static final dev.finetune.kernel.Dot DOT = dev.finetune.kernel.Kernels.dot();

    private Layers() {
    }

    // ---------------------------------------------------------------------------------------------
    // encoder: token embedding + position embedding

    /** out (B,T,C) = wte[tokens[b,t]] + wpe[t]; wte is (V,C), wpe is (maxT,C). */
    public static void encoderForward(float[] out, int[] tokens, float[] p, int wteOff, int wpeOff, int B, int T, int C) {
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int o = (b * T + t) * C;
                int w = wteOff + tokens[b * T + t] * C;
                int q = wpeOff + t * C;
                for (int i = 0; i < C; i++) {
                    out[o + i] = p[w + i] + p[q + i];
                }
            }
        }
    }

    /** dwte[tokens[b,t]] += dout[b,t]; dwpe[t] += dout[b,t]; either offset may be -1 (frozen). */
    public static void encoderBackward(float[] g, int dwteOff, int dwpeOff, float[] dout, int[] tokens, int B, int T, int C) {
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int o = (b * T + t) * C;
                if (dwteOff >= 0) {
                    int w = dwteOff + tokens[b * T + t] * C;
                    for (int i = 0; i < C; i++) {
                        g[w + i] += dout[o + i];
                    }
                }
                if (dwpeOff >= 0) {
                    int q = dwpeOff + t * C;
                    for (int i = 0; i < C; i++) {
                        g[q + i] += dout[o + i];
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // layernorm over the last dimension

    /**
     * out (N,C) = (inp - mean) · rstd · weight + bias, row by row; keeps mean (N) and rstd (N) for the
     * backward pass. Statistics are summed in double (the biased variance, as torch uses).
     */
    public static void layernormForward(float[] out, float[] mean, float[] rstd, float[] inp,
                                        float[] p, int wOff, int bOff, int N, int C, float eps) {
        Parallel.forRange(N, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * C;
                double sum = 0;
                for (int i = 0; i < C; i++) {
                    sum += inp[x + i];
                }
                double m = sum / C;
                double var = 0;
                for (int i = 0; i < C; i++) {
                    double d = inp[x + i] - m;
                    var += d * d;
                }
                float s = (float) (1.0 / Math.sqrt(var / C + eps));
                float mf = (float) m;
                for (int i = 0; i < C; i++) {
                    out[x + i] = (inp[x + i] - mf) * s * p[wOff + i] + p[bOff + i];
                }
                mean[r] = mf;
                rstd[r] = s;
            }
        });
    }

    /**
     * dinp (N,C) += layernorm input gradient; dweight, dbias (C) += their gradients unless their offset
     * is -1. With n = (x - mean)·rstd and d = weight·dout:
     * dx = rstd · (d - mean(d) - n · mean(d·n)).
     */
    public static void layernormBackward(float[] dinp, float[] g, int dwOff, int dbOff, float[] dout, float[] inp,
                                         float[] p, int wOff, float[] mean, float[] rstd, int N, int C) {
        for (int r = 0; r < N; r++) {
            int x = r * C;
            float m = mean[r];
            float s = rstd[r];
            float dMean = 0;
            float dNormMean = 0;
            for (int i = 0; i < C; i++) {
                float n = (inp[x + i] - m) * s;
                float d = p[wOff + i] * dout[x + i];
                dMean += d;
                dNormMean += d * n;
            }
            dMean /= C;
            dNormMean /= C;
            for (int i = 0; i < C; i++) {
                float n = (inp[x + i] - m) * s;
                float dy = dout[x + i];
                if (dbOff >= 0) {
                    g[dbOff + i] += dy;
                }
                if (dwOff >= 0) {
                    g[dwOff + i] += n * dy;
                }
                dinp[x + i] += (p[wOff + i] * dy - dMean - n * dNormMean) * s;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // matmul: a Conv1D layer, weight stored [in, out] as HuggingFace's GPT-2 keeps it

    /** out (N,OC) = inp (N,C) · weight (C,OC) + bias (OC); bOff -1 for no bias. */
    public static void matmulForward(Gemm gemm, float[] out, float[] inp, float[] p, int wOff, int bOff, int N, int C, int OC) {
        if (bOff >= 0) {
            for (int r = 0; r < N; r++) {
                System.arraycopy(p, bOff, out, r * OC, OC);
            }
        }
        gemm.gemm(false, false, N, OC, C, inp, 0, C, p, wOff, OC, out, 0, OC, bOff >= 0);
    }

    /**
     * dinp (N,C) += dout (N,OC) · weightᵀ (skipped when dinp is null); dweight (C,OC) += inpᵀ · dout and
     * dbias (OC) += column sums of dout, each skipped when its offset is -1.
     */
    public static void matmulBackward(Gemm gemm, float[] dinp, float[] g, int dwOff, int dbOff,
                                      float[] dout, float[] inp, float[] p, int wOff, int N, int C, int OC) {
        if (dinp != null) {
            gemm.gemm(false, true, N, C, OC, dout, 0, OC, p, wOff, OC, dinp, 0, C, true);
        }
        if (dwOff >= 0) {
            gemm.gemm(true, false, C, OC, N, inp, 0, C, dout, 0, OC, g, dwOff, OC, true);
        }
        if (dbOff >= 0) {
            biasBackward(g, dbOff, dout, N, OC, 0, OC);
        }
    }

    /** dbias[from, to) += column sums of dout (N,OC) over columns [from, to). */
    public static void biasBackward(float[] g, int dbOff, float[] dout, int N, int OC, int from, int to) {
        for (int r = 0; r < N; r++) {
            int o = r * OC;
            for (int j = from; j < to; j++) {
                g[dbOff + j] += dout[o + j];
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // causal multi-head self-attention, grouped-query when KVH < NH

    /**
     * out (B,T,C) = softmax(q·kᵀ/sqrt(hs), causal) · v per head, from qkv (B,T,3C) holding q, k, v at
     * channel offsets 0, C, 2C (GPT-2's packed c_attn output). See the general form below.
     */
    public static void attentionForward(float[] out, float[] att, float[] qkv, int B, int T, int C, int NH) {
        attentionForward(out, att, qkv, 3 * C, 0, qkv, 3 * C, C, qkv, 3 * C, 2 * C, B, T, NH, NH, C / NH);
    }

    /**
     * Causal attention with NH query heads and KVH key/value heads (KVH divides NH; query head h reads
     * key/value head {@code h / (NH/KVH)}, as transformers' repeat_kv), head size hs, scores scaled by
     * 1/sqrt(hs). Row (b,t) of q starts at {@code qOff + (b·T+t)·qStride} and holds NH heads of hs; k and v
     * likewise with KVH heads. out (B,T,NH·hs); att (B,NH,T,T) keeps the softmax weights (zero above the
     * diagonal). Per (b, h) two GEMMs, scores = q·kᵀ (T,T) and out = att·v (T,hs), with the causal
     * softmax between them; parallel over (b, h), each GEMM inline in its task.
     */
    public static void attentionForward(float[] out, float[] att, float[] q, int qStride, int qOff,
                                        float[] k, int kStride, int kOff, float[] v, int vStride, int vOff,
                                        int B, int T, int NH, int KVH, int hs) {
        int group = NH / KVH;
        int OC = NH * hs;
        float scale = (float) (1.0 / Math.sqrt(hs));
        Gemm gemm = dev.finetune.kernel.Kernels.gemm();
        Parallel.forRange(B * NH, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / NH;
                int h = bh % NH;
                int kvh = h / group;
                int a0 = bh * T * T;
                int qb = qOff + b * T * qStride + h * hs;
                // att (T,T) = q_h (T,hs) · k_kvhᵀ
                gemm.gemm(false, true, T, T, hs, q, qb, qStride, k, kOff + b * T * kStride + kvh * hs, kStride,
                        att, a0, T, false);
                for (int t = 0; t < T; t++) {
                    int a = a0 + t * T;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int t2 = 0; t2 <= t; t2++) {
                        float dot = att[a + t2] * scale;
                        att[a + t2] = dot;
                        max = Math.max(max, dot);
                    }
                    double sum = 0;
                    for (int t2 = 0; t2 <= t; t2++) {
                        float e = (float) Math.exp(att[a + t2] - max);
                        att[a + t2] = e;
                        sum += e;
                    }
                    float inv = (float) (1.0 / sum);
                    for (int t2 = 0; t2 <= t; t2++) {
                        att[a + t2] *= inv;
                    }
                    for (int t2 = t + 1; t2 < T; t2++) {
                        att[a + t2] = 0;
                    }
                }
                // out_h (T,hs) = att (T,T) · v_kvh (T,hs)
                gemm.gemm(false, false, T, hs, T, att, a0, T, v, vOff + b * T * vStride + kvh * hs, vStride,
                        out, b * T * OC + h * hs, OC, false);
            }
        });
    }

    /** Gradient of the packed-qkv {@link #attentionForward(float[], float[], float[], int, int, int, int)}. */
    public static void attentionBackward(float[] dqkv, float[] datt, float[] dout, float[] qkv, float[] att,
                                         int B, int T, int C, int NH) {
        attentionBackward(dqkv, dqkv, dqkv, datt, dout, att, qkv, 3 * C, 0, qkv, 3 * C, C, qkv, 3 * C, 2 * C,
                B, T, NH, NH, C / NH);
    }

    /**
     * dq, dk, dv += gradient of the general {@link #attentionForward}; each gradient array has the layout
     * (stride, offset) of its input. datt (B,NH,T,T) is scratch. Per (b, h), with P the att block:
     * dP = dout·vᵀ, dv += Pᵀ·dout, dS = P ⊙ (dP - rowsum(P ⊙ dP)) / sqrt(hs), dq += dS·k, dk += dSᵀ·q.
     * Parallel over (b, key/value head): the query heads sharing a key/value head run in one task.
     */
    public static void attentionBackward(float[] dq, float[] dk, float[] dv, float[] datt, float[] dout, float[] att,
                                         float[] q, int qStride, int qOff, float[] k, int kStride, int kOff,
                                         float[] v, int vStride, int vOff, int B, int T, int NH, int KVH, int hs) {
        int group = NH / KVH;
        int OC = NH * hs;
        float scale = (float) (1.0 / Math.sqrt(hs));
        Gemm gemm = dev.finetune.kernel.Kernels.gemm();
        Parallel.forRange(B * KVH, 1, (from, to) -> {
            for (int bk = from; bk < to; bk++) {
                int b = bk / KVH;
                int kvh = bk % KVH;
                int kb = kOff + b * T * kStride + kvh * hs;
                int vb = vOff + b * T * vStride + kvh * hs;
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    int bh = b * NH + h;
                    int a0 = bh * T * T;
                    int qb = qOff + b * T * qStride + h * hs;
                    int ob = b * T * OC + h * hs;
                    // dP (T,T) = dout_h (T,hs) · v_kvhᵀ ; dv_kvh (T,hs) += Pᵀ · dout_h
                    gemm.gemm(false, true, T, T, hs, dout, ob, OC, v, vb, vStride, datt, a0, T, false);
                    gemm.gemm(true, false, T, hs, T, att, a0, T, dout, ob, OC, dv, vb, vStride, true);
                    for (int t = 0; t < T; t++) {
                        int a = a0 + t * T;
                        float dot = 0;
                        for (int t2 = 0; t2 <= t; t2++) {
                            dot += att[a + t2] * datt[a + t2];
                        }
                        for (int t2 = 0; t2 <= t; t2++) {
                            datt[a + t2] = att[a + t2] * (datt[a + t2] - dot) * scale;
                        }
                        for (int t2 = t + 1; t2 < T; t2++) {
                            datt[a + t2] = 0;
                        }
                    }
                    // dq_h (T,hs) += dS (T,T) · k_kvh ; dk_kvh (T,hs) += dSᵀ · q_h
                    gemm.gemm(false, false, T, hs, T, datt, a0, T, k, kb, kStride, dq, qb, qStride, true);
                    gemm.gemm(true, false, T, hs, T, datt, a0, T, q, qb, qStride, dk, kb, kStride, true);
                }
            }
        });
    }

    /**
     * One query position against a key/value cache (the decode step of {@link #attentionForward}, same
     * arithmetic): out (NH·hs) from q (NH·hs at qOff) and positions 0..t of keys, values (rows of
     * {@code KVH·hs}). scores (t+1) is scratch.
     */
    public static void attentionStep(float[] out, float[] q, int qOff, float[] keys, float[] values, int t,
                                     int NH, int KVH, int hs, float[] scores) {
        attentionStep(out, q, qOff, keys, values, t, NH, KVH, hs, 0, NH, scores, 0);
    }

    /**
     * {@link #attentionStep} for heads {@code [h0, h1)} only, with {@code scores[scoresOff ..]} (t+1) as
     * scratch, so that threads can take disjoint heads (each with its own scratch).
     */
    public static void attentionStep(float[] out, float[] q, int qOff, float[] keys, float[] values, int t,
                                     int NH, int KVH, int hs, int h0, int h1, float[] scores, int scoresOff) {
        int group = NH / KVH;
        int KD = KVH * hs;
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int h = h0; h < h1; h++) {
            int qi = qOff + h * hs;
            int kvh = h / group;
            float max = Float.NEGATIVE_INFINITY;
            for (int t2 = 0; t2 <= t; t2++) {
                int ki = t2 * KD + kvh * hs;
                float s = DOT.dot(q, qi, keys, ki, hs) * scale;
                scores[scoresOff + t2] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int t2 = 0; t2 <= t; t2++) {
                float e = (float) Math.exp(scores[scoresOff + t2] - max);
                scores[scoresOff + t2] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            int o = h * hs;
            for (int i = 0; i < hs; i++) {
                out[o + i] = 0;
            }
            for (int t2 = 0; t2 <= t; t2++) {
                float w = scores[scoresOff + t2] * inv;
                int vi = t2 * KD + kvh * hs;
                for (int i = 0; i < hs; i++) {
                    out[o + i] += w * values[vi + i];
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // GELU, tanh approximation (HuggingFace gelu_new, torch approximate="tanh")

    /** out (n) = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))). */
    public static void geluForward(float[] out, float[] inp, int n) {
        Parallel.forRange(n, 1 << 14, (from, to) -> geluForward(out, inp, from, to));
    }

    /** {@link #geluForward} on elements {@code [from, to)}, on the calling thread. */
    public static void geluForward(float[] out, float[] inp, int from, int to) {
        for (int i = from; i < to; i++) {
            double x = inp[i];
            out[i] = (float) (0.5 * x * (1 + tanh(GELU_K * (x + 0.044715 * x * x * x))));
        }
    }

    /** dinp (n) += gelu'(inp) · dout. */
    public static void geluBackward(float[] dinp, float[] inp, float[] dout, int n) {
        Parallel.forRange(n, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                double x = inp[i];
                double th = tanh(GELU_K * (x + 0.044715 * x * x * x));
                double local = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_K * (1 + 3 * 0.044715 * x * x);
                dinp[i] += (float) (local * dout[i]);
            }
        });
    }

    /** tanh through one exp (Math.tanh is not an intrinsic); exact to double rounding for our range. */
    private static double tanh(double u) {
        if (u > 20) {
            return 1;
        }
        if (u < -20) {
            return -1;
        }
        double e = Math.exp(2 * u);
        return (e - 1) / (e + 1);
    }

    // ---------------------------------------------------------------------------------------------
    // token embedding (no positions; the Llama family rotates q and k instead)

    /** out (N,C) = emb[tokens[r]]; emb is (V,C). */
    public static void embeddingForward(float[] out, int[] tokens, float[] p, int wOff, int N, int C) {
        for (int r = 0; r < N; r++) {
            System.arraycopy(p, wOff + tokens[r] * C, out, r * C, C);
        }
    }

    /** demb[tokens[r]] += dout[r]. */
    public static void embeddingBackward(float[] g, int dwOff, float[] dout, int[] tokens, int N, int C) {
        for (int r = 0; r < N; r++) {
            int w = dwOff + tokens[r] * C;
            int o = r * C;
            for (int i = 0; i < C; i++) {
                g[w + i] += dout[o + i];
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // RMSNorm over the last dimension

    /** out (N,C) = x · rstd · weight with rstd = 1/sqrt(mean(x²) + eps), summed in double; keeps rstd (N). */
    public static void rmsnormForward(float[] out, float[] rstd, float[] inp, float[] p, int wOff, int N, int C, float eps) {
        Parallel.forRange(N, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * C;
                double ss = 0;
                for (int i = 0; i < C; i++) {
                    ss += (double) inp[x + i] * inp[x + i];
                }
                float s = (float) (1.0 / Math.sqrt(ss / C + eps));
                for (int i = 0; i < C; i++) {
                    out[x + i] = inp[x + i] * s * p[wOff + i];
                }
                rstd[r] = s;
            }
        });
    }

    /**
     * dinp (N,C) += RMSNorm input gradient; dweight (C) += its gradient unless dwOff is -1. With
     * n = x·rstd and d = weight·dout: dx = rstd · (d - n · mean(d·n)).
     */
    public static void rmsnormBackward(float[] dinp, float[] g, int dwOff, float[] dout, float[] inp,
                                       float[] p, int wOff, float[] rstd, int N, int C) {
        for (int r = 0; r < N; r++) {
            int x = r * C;
            float s = rstd[r];
            float dNormMean = 0;
            for (int i = 0; i < C; i++) {
                dNormMean += p[wOff + i] * dout[x + i] * inp[x + i] * s;
            }
            dNormMean /= C;
            for (int i = 0; i < C; i++) {
                float n = inp[x + i] * s;
                float dy = dout[x + i];
                if (dwOff >= 0) {
                    g[dwOff + i] += n * dy;
                }
                dinp[x + i] += (p[wOff + i] * dy - n * dNormMean) * s;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // linear: nn.Linear, weight stored [out, in] as HuggingFace's Llama family keeps it

    /** out (N,OC) = inp (N,C) · weightᵀ + bias, weight (OC,C); bOff -1 for no bias. */
    public static void linearForward(Gemm gemm, float[] out, float[] inp, float[] p, int wOff, int bOff, int N, int C, int OC) {
        if (bOff >= 0) {
            for (int r = 0; r < N; r++) {
                System.arraycopy(p, bOff, out, r * OC, OC);
            }
        }
        gemm.gemm(false, true, N, OC, C, inp, 0, C, p, wOff, C, out, 0, OC, bOff >= 0);
    }

    /**
     * dinp (N,C) += dout (N,OC) · weight (skipped when dinp is null); dweight (OC,C) += doutᵀ · inp and
     * dbias (OC) += column sums of dout, each skipped when its offset is -1.
     */
    public static void linearBackward(Gemm gemm, float[] dinp, float[] g, int dwOff, int dbOff,
                                      float[] dout, float[] inp, float[] p, int wOff, int N, int C, int OC) {
        if (dinp != null) {
            gemm.gemm(false, false, N, C, OC, dout, 0, OC, p, wOff, C, dinp, 0, C, true);
        }
        if (dwOff >= 0) {
            gemm.gemm(true, false, OC, C, N, dout, 0, OC, inp, 0, C, g, dwOff, C, true);
        }
        if (dbOff >= 0) {
            biasBackward(g, dbOff, dout, N, OC, 0, OC);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // rotary position embedding, HuggingFace's rotate_half layout

    /**
     * Rotates, in place, every head of every row of x (N rows of H heads of hd, row r at {@code r·H·hd}):
     * channel i pairs with i + hd/2, x1' = x1·cos - x2·sin, x2' = x2·cos + x1·sin, with the angle of
     * position {@code pos0 + r mod T} and frequency i. cos, sin are (positions, hd/2) tables.
     */
    public static void ropeForward(float[] x, int N, int T, int pos0, int H, int hd, float[] cos, float[] sin) {
        int half = hd / 2;
        for (int r = 0; r < N; r++) {
            int tab = (pos0 + r % T) * half;
            for (int h = 0; h < H; h++) {
                int o = (r * H + h) * hd;
                for (int i = 0; i < half; i++) {
                    float c = cos[tab + i];
                    float s = sin[tab + i];
                    float x1 = x[o + i];
                    float x2 = x[o + half + i];
                    x[o + i] = x1 * c - x2 * s;
                    x[o + half + i] = x2 * c + x1 * s;
                }
            }
        }
    }

    /** In place, dx = Rᵀ · dy for the rotation of {@link #ropeForward} (the inverse rotation). */
    public static void ropeBackward(float[] dx, int N, int T, int pos0, int H, int hd, float[] cos, float[] sin) {
        int half = hd / 2;
        for (int r = 0; r < N; r++) {
            int tab = (pos0 + r % T) * half;
            for (int h = 0; h < H; h++) {
                int o = (r * H + h) * hd;
                for (int i = 0; i < half; i++) {
                    float c = cos[tab + i];
                    float s = sin[tab + i];
                    float d1 = dx[o + i];
                    float d2 = dx[o + half + i];
                    dx[o + i] = d1 * c + d2 * s;
                    dx[o + half + i] = d2 * c - d1 * s;
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // SwiGLU: silu(gate) ⊙ up

    /** out (n) = silu(gate) · up, silu(g) = g · sigmoid(g). */
    public static void swigluForward(float[] out, float[] gate, float[] up, int n) {
        Parallel.forRange(n, 1 << 14, (from, to) -> swigluForward(out, gate, up, from, to));
    }

    /** {@link #swigluForward} on elements {@code [from, to)}, on the calling thread. */
    public static void swigluForward(float[] out, float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i++) {
            double g = gate[i];
            out[i] = (float) (g / (1 + Math.exp(-g)) * up[i]);
        }
    }

    /** dgate += dout · up · silu'(gate), dup += dout · silu(gate); silu'(g) = σ(g)·(1 + g·(1 - σ(g))). */
    public static void swigluBackward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int n) {
        Parallel.forRange(n, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                double g = gate[i];
                double sig = 1 / (1 + Math.exp(-g));
                double d = dout[i];
                dup[i] += (float) (d * g * sig);
                dgate[i] += (float) (d * up[i] * sig * (1 + g * (1 - sig)));
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // residual

    /**
     * out (n) = a + b. Its backward is the identity on both inputs, so the model carries one residual
     * gradient buffer through the blocks instead of calling a residual backward.
     */
    public static void residualForward(float[] out, float[] a, float[] b, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = a[i] + b[i];
        }
    }

    // ---------------------------------------------------------------------------------------------
    // softmax + cross-entropy, fused

    /**
     * Per row r of logits (N,V): lse[r] = log Σ exp(logits[r]) and rowLoss[r] = lse[r] - logits[r, target]
     * (0 where target is {@code ignoreIndex}). Returns Σ rowLoss, summed in order (deterministic).
     */
    public static double crossEntropyForward(float[] lse, float[] rowLoss, float[] logits, int[] targets,
                                             int ignoreIndex, int N, int V) {
        Parallel.forRange(N, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * V;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < V; i++) {
                    max = Math.max(max, logits[x + i]);
                }
                double sum = 0;
                for (int i = 0; i < V; i++) {
                    sum += Math.exp(logits[x + i] - max);
                }
                double l = max + Math.log(sum);
                lse[r] = (float) l;
                int target = targets == null ? ignoreIndex : targets[r];
                rowLoss[r] = target == ignoreIndex ? 0f : (float) (l - logits[x + target]);
            }
        });
        double total = 0;
        for (int r = 0; r < N; r++) {
            total += rowLoss[r];
        }
        return total;
    }

    /**
     * dlogits (N,V) = (softmax(logits) - onehot(target)) · scale, and 0 on rows whose target is
     * {@code ignoreIndex}. Overwrites (it starts the backward chain); dlogits may be the logits array
     * itself, each element is read before it is written.
     */
    public static void crossEntropyBackward(float[] dlogits, float[] logits, float[] lse, int[] targets,
                                            int ignoreIndex, float scale, int N, int V) {
        Parallel.forRange(N, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * V;
                int target = targets[r];
                if (target == ignoreIndex) {
                    java.util.Arrays.fill(dlogits, x, x + V, 0f);
                    continue;
                }
                float l = lse[r];
                for (int i = 0; i < V; i++) {
                    dlogits[x + i] = (float) Math.exp(logits[x + i] - l) * scale;
                }
                dlogits[x + target] -= scale;
            }
        });
    }
}
