package dev.finetune.model;

import dev.finetune.kernel.Gemm;
import dev.finetune.kernel.Parallel;

/**
 * The GPT-2 layers on row-major {@code float[]}, each a {@code forward} and a {@code backward} side by
 * side, outputs first. {@code B} batch, {@code T} sequence length, {@code C} channels, {@code OC} output
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
    // causal multi-head self-attention

    /**
     * out (B,T,C) = softmax(q·kᵀ/sqrt(hs), causal) · v per head, from qkv (B,T,3C) holding q, k, v at
     * channel offsets 0, C, 2C (head h at {@code h·hs} within each). att (B,NH,T,T) keeps the softmax
     * weights for the backward pass (zero above the diagonal). Parallel over (b, h).
     */
    public static void attentionForward(float[] out, float[] att, float[] qkv, int B, int T, int C, int NH) {
        int hs = C / NH;
        int C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        Parallel.forRange(B * NH, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / NH;
                int h = bh % NH;
                for (int t = 0; t < T; t++) {
                    int q = (b * T + t) * C3 + h * hs;
                    int a = (bh * T + t) * T;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int t2 = 0; t2 <= t; t2++) {
                        int k = (b * T + t2) * C3 + C + h * hs;
                        float dot = 0;
                        for (int i = 0; i < hs; i++) {
                            dot += qkv[q + i] * qkv[k + i];
                        }
                        dot *= scale;
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
                    int o = (b * T + t) * C + h * hs;
                    for (int i = 0; i < hs; i++) {
                        out[o + i] = 0;
                    }
                    for (int t2 = 0; t2 <= t; t2++) {
                        int v = (b * T + t2) * C3 + 2 * C + h * hs;
                        float w = att[a + t2];
                        for (int i = 0; i < hs; i++) {
                            out[o + i] += w * qkv[v + i];
                        }
                    }
                }
            }
        });
    }

    /**
     * dqkv (B,T,3C) += gradient of {@link #attentionForward}. datt (B·NH·T) is scratch, one row per
     * (b, h) so that the parallel tasks never share memory. With a = att row, da = dout·v:
     * dpreatt = a ⊙ (da - a·da), then dq += dpreatt·k/sqrt(hs), dk += dpreattᵀ·q/sqrt(hs), dv += aᵀ·dout.
     */
    public static void attentionBackward(float[] dqkv, float[] datt, float[] dout, float[] qkv, float[] att,
                                         int B, int T, int C, int NH) {
        int hs = C / NH;
        int C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        Parallel.forRange(B * NH, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / NH;
                int h = bh % NH;
                int da = bh * T;
                for (int t = 0; t < T; t++) {
                    int a = (bh * T + t) * T;
                    int o = (b * T + t) * C + h * hs;
                    float dot = 0;
                    for (int t2 = 0; t2 <= t; t2++) {
                        int v = (b * T + t2) * C3 + 2 * C + h * hs;
                        float w = att[a + t2];
                        float d = 0;
                        for (int i = 0; i < hs; i++) {
                            d += dout[o + i] * qkv[v + i];
                            dqkv[v + i] += w * dout[o + i];
                        }
                        datt[da + t2] = d;
                        dot += w * d;
                    }
                    int q = (b * T + t) * C3 + h * hs;
                    for (int t2 = 0; t2 <= t; t2++) {
                        int k = (b * T + t2) * C3 + C + h * hs;
                        float dpre = att[a + t2] * (datt[da + t2] - dot) * scale;
                        for (int i = 0; i < hs; i++) {
                            dqkv[q + i] += dpre * qkv[k + i];
                            dqkv[k + i] += dpre * qkv[q + i];
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // GELU, tanh approximation (HuggingFace gelu_new, torch approximate="tanh")

    /** out (n) = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))). */
    public static void geluForward(float[] out, float[] inp, int n) {
        Parallel.forRange(n, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                double x = inp[i];
                out[i] = (float) (0.5 * x * (1 + tanh(GELU_K * (x + 0.044715 * x * x * x))));
            }
        });
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
