package dev.finetune.model;

import dev.finetune.kernel.FloatOps;
import dev.finetune.kernel.Gemm;
import dev.finetune.kernel.Parallel;
import dev.finetune.kernel.StepProfile;
import dev.finetune.kernel.StepProfile.Phase;
import dev.finetune.safetensors.HalfFloats;
import java.util.Arrays;

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
    private static final int ROW_GRAIN = 8;
    /** Dot products of attention (q·k, dout·v): the Vector API one when present, the same in training and decoding. */
    private static final dev.finetune.kernel.Dot DOT = dev.finetune.kernel.Kernels.dot();
    /** Row and element kernels (norms, activations, softmax sums): the Vector API ones when present. */
    private static final FloatOps OPS = dev.finetune.kernel.Kernels.floatOps();
    /** Elements per task of the element-wise loops (activations, residual adds). */
    private static final int ELEMENT_GRAIN = 1 << 14;
    /** Columns per task of the column sums (norm weight and bias gradients). */
    private static final int COLUMN_GRAIN = 32;

    /**
     * Query rows per band of causal attention: band [r0, r1) needs the scores against keys [0, r1) only,
     * so the products above the diagonal's bands are skipped: the forward's two and the backward's dP and dq
     * (at T = 128 and 64-row bands, 75% of their square's work); dv and dk stay one product over all rows.
     * The results are the whole square's bit for bit for sequences up to the GEMM's deepest k slice (576).
     * {@code -Dfinetune.attention.rows} changes it (for benches).
     */
    static final int ATTENTION_ROWS = attentionRows();

    private static int attentionRows() {
        int rows = Integer.getInteger("finetune.attention.rows", 64);
        if (rows < 1) {
            throw new IllegalArgumentException("finetune.attention.rows must be at least 1, got " + rows);
        }
        return rows;
    }

    private Layers() {
    }

    // ---------------------------------------------------------------------------------------------
    // encoder: token embedding + position embedding

    /** out (B,T,C) = wte[tokens[b,t]] + wpe[t]; wte is (V,C), wpe is (maxT,C). */
    public static void encoderForward(float[] out, int[] tokens, float[] p, int wteOff, int wpeOff, int B, int T, int C) {
        encoderForward(out, tokens, null, p, wteOff, wpeOff, B, T, C);
    }

    /**
     * As above with the position of (b,t) taken from {@code pos} (B,T) when it is not null: packed rows,
     * where each sequence's positions restart at 0 (see {@link #attentionForward(float[], float[], float[], int, int,
     * float[], int, int, float[], int, int, int[], int, int, int, int, int) attention}).
     */
    public static void encoderForward(float[] out, int[] tokens, int[] pos, float[] p, int wteOff, int wpeOff, int B, int T,
                                      int C) {
        long t0 = StepProfile.start();
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int o = (b * T + t) * C;
                int w = wteOff + tokens[b * T + t] * C;
                int q = wpeOff + (pos == null ? t : pos[b * T + t]) * C;
                for (int i = 0; i < C; i++) {
                    out[o + i] = p[w + i] + p[q + i];
                }
            }
        }
        StepProfile.stop(Phase.RESIDUAL_EMBEDDING, t0);
    }

    /** dwte[tokens[b,t]] += dout[b,t]; dwpe[t] += dout[b,t]; either offset may be -1 (frozen). */
    public static void encoderBackward(float[] g, int dwteOff, int dwpeOff, float[] dout, int[] tokens, int B, int T, int C) {
        encoderBackward(g, dwteOff, dwpeOff, dout, tokens, null, B, T, C);
    }

    /** As above with the positions {@code pos} (B,T) of packed rows (null: position t). */
    public static void encoderBackward(float[] g, int dwteOff, int dwpeOff, float[] dout, int[] tokens, int[] pos, int B, int T,
                                       int C) {
        long t0 = StepProfile.start();
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
                    int q = dwpeOff + (pos == null ? t : pos[b * T + t]) * C;
                    for (int i = 0; i < C; i++) {
                        g[q + i] += dout[o + i];
                    }
                }
            }
        }
        StepProfile.stop(Phase.RESIDUAL_EMBEDDING, t0);
    }

    // ---------------------------------------------------------------------------------------------
    // layernorm over the last dimension

    /**
     * out (N,C) = (inp - mean) · rstd · weight + bias, row by row; keeps mean (N) and rstd (N) for the
     * backward pass. The statistics are the biased variance, as torch uses, summed per row
     * ({@link FloatOps#sum}, {@link FloatOps#sumSquares} about the mean: float lanes into a double).
     */
    public static void layernormForward(float[] out, float[] mean, float[] rstd, float[] inp,
                                        float[] p, int wOff, int bOff, int N, int C, float eps) {
        long t0 = StepProfile.start();
        Parallel.forRange(N, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * C;
                float m = (float) (OPS.sum(inp, x, C) / C);
                double var = OPS.sumSquares(inp, x, C, m) / C;
                float s = (float) (1.0 / Math.sqrt(var + eps));
                OPS.normalize(out, x, inp, x, C, m, s, p, wOff, bOff);
                mean[r] = m;
                rstd[r] = s;
            }
        });
        StepProfile.stop(Phase.NORM, t0);
    }

    /**
     * dinp (N,C) += layernorm input gradient; dweight, dbias (C) += their gradients unless their offset
     * is -1. With n = (x - mean)·rstd and d = weight·dout:
     * dx = rstd · (d - mean(d) - n · mean(d·n)). Rows run in parallel for dinp; the weight and bias
     * sums run in parallel over columns, each summing its rows in order (the order does not depend on
     * the thread count).
     */
    public static void layernormBackward(float[] dinp, float[] g, int dwOff, int dbOff, float[] dout, float[] inp,
                                         float[] p, int wOff, float[] mean, float[] rstd, int N, int C) {
        layernormBackward(dinp, true, g, dwOff, dbOff, dout, inp, p, wOff, mean, rstd, N, C);
    }

    /** As {@link #layernormBackward(float[], float[], int, int, float[], float[], float[], int, float[], float[], int, int)}; dinp overwritten unless {@code accumulate}. */
    public static void layernormBackward(float[] dinp, boolean accumulate, float[] g, int dwOff, int dbOff, float[] dout,
                                         float[] inp, float[] p, int wOff, float[] mean, float[] rstd, int N, int C) {
        long t0 = StepProfile.start();
        Parallel.forRange(N, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * C;
                float m = mean[r];
                float s = rstd[r];
                float dMean = (float) (OPS.dot(p, wOff, dout, x, C) / C);
                float dNormMean = (float) (OPS.dotCentered(p, wOff, dout, x, inp, x, C, m) * s / C);
                OPS.normBackward(dinp, dout, inp, x, C, m, s, p, wOff, dMean, dNormMean, accumulate);
            }
        });
        normWeightGrads(g, dwOff, dbOff, dout, inp, mean, rstd, N, C);
        StepProfile.stop(Phase.NORM, t0);
    }

    /** dweight[i] += Σ_r n[r,i]·dout[r,i], dbias[i] += Σ_r dout[r,i] (n = (x - mean[r])·rstd[r]), parallel over columns. */
    private static void normWeightGrads(float[] g, int dwOff, int dbOff, float[] dout, float[] inp, float[] mean,
                                        float[] rstd, int N, int C) {
        if (dwOff < 0 && dbOff < 0) {
            return;
        }
        Parallel.forRange(C, COLUMN_GRAIN, (from, to) -> {
            for (int r = 0; r < N; r++) {
                OPS.normWeightGrad(g, dwOff, dbOff, dout, inp, r * C, from, to, mean == null ? 0f : mean[r], rstd[r]);
            }
        });
    }

    /** Each of the N rows of out (N,OC) set to the bias at {@code bias[bOff ..]} (the products then add into it); bOff -1: none. */
    private static void broadcastBias(float[] out, float[] bias, int bOff, int N, int OC) {
        if (bOff >= 0) {
            for (int r = 0; r < N; r++) {
                System.arraycopy(bias, bOff, out, r * OC, OC);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // matmul: a Conv1D layer, weight stored [in, out] as HuggingFace's GPT-2 keeps it

    /** out (N,OC) = inp (N,C) · weight (C,OC) + bias (OC); bOff -1 for no bias. */
    public static void matmulForward(Gemm gemm, float[] out, float[] inp, float[] p, int wOff, int bOff, int N, int C, int OC) {
        long t0 = StepProfile.start();
        broadcastBias(out, p, bOff, N, OC);
        gemm.gemm(false, false, N, OC, C, inp, 0, C, p, wOff, OC, out, 0, OC, bOff >= 0);
        StepProfile.stop(Phase.MATMUL_FORWARD, t0, 2.0 * N * C * OC);
    }

    /**
     * dinp (N,C) += dout (N,OC) · weightᵀ (skipped when dinp is null); dweight (C,OC) += inpᵀ · dout and
     * dbias (OC) += column sums of dout, each skipped when its offset is -1.
     */
    public static void matmulBackward(Gemm gemm, float[] dinp, float[] g, int dwOff, int dbOff,
                                      float[] dout, float[] inp, float[] p, int wOff, int N, int C, int OC) {
        matmulBackward(gemm, dinp, true, g, dwOff, dbOff, dout, inp, p, wOff, N, C, OC);
    }

    /** As {@link #matmulBackward}, dinp overwritten instead of accumulated unless {@code accumulate}. */
    public static void matmulBackward(Gemm gemm, float[] dinp, boolean accumulate, float[] g, int dwOff, int dbOff,
                                      float[] dout, float[] inp, float[] p, int wOff, int N, int C, int OC) {
        if (dinp != null) {
            long t0 = StepProfile.start();
            gemm.gemm(false, true, N, C, OC, dout, 0, OC, p, wOff, OC, dinp, 0, C, accumulate);
            StepProfile.stop(Phase.MATMUL_BACKWARD_INPUT, t0, 2.0 * N * C * OC);
        }
        if (dwOff >= 0) {
            long t0 = StepProfile.start();
            gemm.gemm(true, false, C, OC, N, inp, 0, C, dout, 0, OC, g, dwOff, OC, true);
            StepProfile.stop(Phase.MATMUL_BACKWARD_WEIGHT, t0, 2.0 * N * C * OC);
        }
        if (dbOff >= 0) {
            biasBackward(g, dbOff, dout, N, OC, 0, OC);
        }
    }

    /** dbias[from, to) += column sums of dout (N,OC) over columns [from, to), parallel over columns (rows summed in order). */
    public static void biasBackward(float[] g, int dbOff, float[] dout, int N, int OC, int from, int to) {
        long t0 = StepProfile.start();
        Parallel.forRange(to - from, 64, (c0, c1) -> {
            int j0 = from + c0;
            int j1 = from + c1;
            for (int r = 0; r < N; r++) {
                int o = r * OC;
                for (int j = j0; j < j1; j++) {
                    g[dbOff + j] += dout[o + j];
                }
            }
        });
        StepProfile.stop(Phase.RESIDUAL_EMBEDDING, t0);
    }

    // ---------------------------------------------------------------------------------------------
    // causal multi-head self-attention, grouped-query when KVH < NH, optionally over packed rows

    /**
     * out (B,T,C) = softmax(q·kᵀ/sqrt(hs), causal) · v per head, from qkv (B,T,3C) holding q, k, v at
     * channel offsets 0, C, 2C (GPT-2's packed c_attn output). See the general form below.
     */
    public static void attentionForward(float[] out, float[] att, float[] qkv, int B, int T, int C, int NH) {
        attentionForward(out, att, qkv, null, B, T, C, NH);
    }

    /** The packed-qkv form over packed rows: {@code pos} (B,T) as in the general form (null: one sequence per row). */
    public static void attentionForward(float[] out, float[] att, float[] qkv, int[] pos, int B, int T, int C, int NH) {
        attentionForward(out, att, qkv, 3 * C, 0, qkv, 3 * C, C, qkv, 3 * C, 2 * C, pos, B, T, NH, NH, C / NH);
    }

    /** The general form with one sequence per row (no packing). */
    public static void attentionForward(float[] out, float[] att, float[] q, int qStride, int qOff,
                                        float[] k, int kStride, int kOff, float[] v, int vStride, int vOff,
                                        int B, int T, int NH, int KVH, int hs) {
        attentionForward(out, att, q, qStride, qOff, k, kStride, kOff, v, vStride, vOff, null, B, T, NH, KVH, hs);
    }

    /**
     * Causal attention with NH query heads and KVH key/value heads (KVH divides NH; query head h reads
     * key/value head {@code h / (NH/KVH)}, as transformers' repeat_kv), head size hs, scores scaled by
     * 1/sqrt(hs). Row (b,t) of q starts at {@code qOff + (b·T+t)·qStride} and holds NH heads of hs; k and v
     * likewise with KVH heads. out (B,T,NH·hs); att (B,NH,T,T) keeps the softmax weights.
     *
     * <p>Packed rows: with {@code pos} (B,T) not null, a row holds several sequences one after the other,
     * {@code pos[b·T+t]} the position of (b,t) in its own sequence: 0 where a sequence starts, else the
     * previous position + 1 (see {@link #segmentEnd}). A position attends only to the earlier positions of its
     * own sequence, so packed sequences never see each other; each sequence's block is computed on its own
     * (the work is Σ n² over sequences of n, not T²). att holds each sequence's (n,n) block on the diagonal
     * of its (T,T) matrix, zero above the block's diagonal; entries outside the blocks are not written (no
     * reader looks at them). With {@code pos} null a row is one sequence and the block is the whole (T,T).
     * Per (b, h) and sequence two GEMMs, scores = q·kᵀ (n,n) and out = att·v (n,hs), with the causal softmax
     * between them; parallel over (b, h), each GEMM inline in its task.
     */
    public static void attentionForward(float[] out, float[] att, float[] q, int qStride, int qOff,
                                        float[] k, int kStride, int kOff, float[] v, int vStride, int vOff, int[] pos,
                                        int B, int T, int NH, int KVH, int hs) {
        attentionForward(out, att, q, qStride, qOff, k, kStride, kOff, v, vStride, vOff, pos, B, T, NH, KVH, hs,
                ATTENTION_ROWS);
    }

    /** The general form in bands of {@code band} query rows (a band of T or more: the whole square at once). */
    static void attentionForward(float[] out, float[] att, float[] q, int qStride, int qOff,
                                 float[] k, int kStride, int kOff, float[] v, int vStride, int vOff, int[] pos,
                                 int B, int T, int NH, int KVH, int hs, int band) {
        if (band < 1) {
            throw new IllegalArgumentException("band must be at least 1 row, got " + band);
        }
        int group = NH / KVH;
        int OC = NH * hs;
        float scale = (float) (1.0 / Math.sqrt(hs));
        Gemm gemm = dev.finetune.kernel.Kernels.gemm();
        Parallel.forRange(B * NH, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / NH;
                int h = bh % NH;
                int kvh = h / group;
                int qb = qOff + b * T * qStride + h * hs;
                int kb = kOff + b * T * kStride + kvh * hs;
                int vb = vOff + b * T * vStride + kvh * hs;
                int ob = b * T * OC + h * hs;
                for (int s = 0, e; s < T; s = e) {
                    e = segmentEnd(pos, b * T, s, T);
                    int n = e - s;
                    int a0 = bh * T * T + s * T + s; // the sequence's (n,n) block, row stride T
                    // in bands of ATTENTION_ROWS query rows: band [r0, r1) needs keys [0, r1) only
                    for (int r0 = 0; r0 < n; r0 += band) {
                        int r1 = Math.min(n, r0 + band);
                        int rows = r1 - r0;
                        int ab = a0 + r0 * T;
                        // att[r0..r1, 0..r1) = q_h rows · k_kvhᵀ
                        gemm.gemm(false, true, rows, r1, hs, q, qb + (s + r0) * qStride, qStride, k, kb + s * kStride,
                                kStride, att, ab, T, false);
                        // the causal softmax of each row through the float kernels (vectorized max, exp and
                        // scaling; exp is FloatOps' own, within 2 ulp): a scalar Math.exp per score was about
                        // half of a SmolLM2-shaped step's attention time
                        for (int t = r0; t < r1; t++) {
                            int a = a0 + t * T;
                            int len = t + 1;
                            for (int t2 = 0; t2 < len; t2++) {
                                att[a + t2] *= scale;
                            }
                            float max = OPS.max(att, a, len);
                            double sum = OPS.sumExp(att, a, len, max);
                            OPS.expScaled(att, a, att, a, len, max, (float) (1.0 / sum));
                            Arrays.fill(att, a + len, a + n, 0f);
                        }
                        // out_h rows = att[r0..r1, 0..r1) · v_kvh[0..r1)
                        gemm.gemm(false, false, rows, hs, r1, att, ab, T, v, vb + s * vStride, vStride,
                                out, ob + (s + r0) * OC, OC, false);
                    }
                }
            }
        });
    }

    /**
     * Where the sequence that starts at position {@code s} of a packed row ends (exclusive): the next
     * position whose {@code pos} is 0, or T. With {@code pos} null the row is one sequence: T.
     * {@code row} is the row's first index in pos (b·T).
     */
    public static int segmentEnd(int[] pos, int row, int s, int T) {
        if (pos == null) {
            return T;
        }
        int e = s + 1;
        while (e < T && pos[row + e] != 0) {
            e++;
        }
        return e;
    }

    /** Gradient of the packed-qkv {@link #attentionForward(float[], float[], float[], int, int, int, int)}. */
    public static void attentionBackward(float[] dqkv, float[] datt, float[] dout, float[] qkv, float[] att,
                                         int B, int T, int C, int NH) {
        attentionBackward(dqkv, datt, dout, qkv, att, null, B, T, C, NH);
    }

    /** Gradient of the packed-qkv attention over packed rows ({@code pos} as in the forward pass, or null). */
    public static void attentionBackward(float[] dqkv, float[] datt, float[] dout, float[] qkv, float[] att, int[] pos,
                                         int B, int T, int C, int NH) {
        attentionBackward(dqkv, dqkv, dqkv, datt, dout, att, qkv, 3 * C, 0, qkv, 3 * C, C, qkv, 3 * C, 2 * C, pos,
                B, T, NH, NH, C / NH);
    }

    /** The general form's gradient with one sequence per row (no packing). */
    public static void attentionBackward(float[] dq, float[] dk, float[] dv, float[] datt, float[] dout, float[] att,
                                         float[] q, int qStride, int qOff, float[] k, int kStride, int kOff,
                                         float[] v, int vStride, int vOff, int B, int T, int NH, int KVH, int hs) {
        attentionBackward(dq, dk, dv, datt, dout, att, q, qStride, qOff, k, kStride, kOff, v, vStride, vOff, null,
                B, T, NH, KVH, hs);
    }

    /**
     * dq, dk, dv += gradient of the general {@link #attentionForward}; each gradient array has the layout
     * (stride, offset) of its input; {@code pos} the forward pass's packing (null: one sequence per row).
     * datt (B,NH,T,T) is scratch. Per (b, h) and sequence, with P the att block (n,n):
     * dP = dout·vᵀ, dv += Pᵀ·dout, dS = P ⊙ (dP - rowsum(P ⊙ dP)) / sqrt(hs), dq += dS·k, dk += dSᵀ·q.
     * Parallel over (b, key/value head): the query heads sharing a key/value head run in one task.
     */
    public static void attentionBackward(float[] dq, float[] dk, float[] dv, float[] datt, float[] dout, float[] att,
                                         float[] q, int qStride, int qOff, float[] k, int kStride, int kOff,
                                         float[] v, int vStride, int vOff, int[] pos, int B, int T, int NH, int KVH, int hs) {
        attentionBackward(dq, dk, dv, datt, dout, att, q, qStride, qOff, k, kStride, kOff, v, vStride, vOff, pos,
                B, T, NH, KVH, hs, ATTENTION_ROWS);
    }

    /** The general gradient in bands of {@code band} query rows, as {@link #attentionForward} with a band. */
    static void attentionBackward(float[] dq, float[] dk, float[] dv, float[] datt, float[] dout, float[] att,
                                  float[] q, int qStride, int qOff, float[] k, int kStride, int kOff,
                                  float[] v, int vStride, int vOff, int[] pos, int B, int T, int NH, int KVH, int hs,
                                  int band) {
        if (band < 1) {
            throw new IllegalArgumentException("band must be at least 1 row, got " + band);
        }
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
                    int qb = qOff + b * T * qStride + h * hs;
                    int ob = b * T * OC + h * hs;
                    for (int s = 0, e; s < T; s = e) {
                        e = segmentEnd(pos, b * T, s, T);
                        int n = e - s;
                        int a0 = bh * T * T + s * T + s;
                        int qs = qb + s * qStride;
                        int ks = kb + s * kStride;
                        int vs = vb + s * vStride;
                        int os = ob + s * OC;
                        // in the forward pass's bands: band [r0, r1) of query rows touches keys [0, r1) only, so
                        // dP and dq (sums over hs and over keys, zero past the diagonal) are computed band by band
                        for (int r0 = 0; r0 < n; r0 += band) {
                            int r1 = Math.min(n, r0 + band);
                            int rows = r1 - r0;
                            int ab = a0 + r0 * T;
                            // dP rows (rows,r1) = dout_h rows · v_kvh[0..r1)ᵀ
                            gemm.gemm(false, true, rows, r1, hs, dout, os + r0 * OC, OC, v, vs, vStride, datt, ab, T, false);
                            for (int t = r0; t < r1; t++) {
                                int a = a0 + t * T;
                                int len = t + 1;
                                float dot = (float) OPS.dot(att, a, datt, a, len);
                                for (int t2 = 0; t2 < len; t2++) {
                                    datt[a + t2] = att[a + t2] * (datt[a + t2] - dot) * scale;
                                }
                                Arrays.fill(datt, a + len, a + n, 0f);
                            }
                            // dq_h rows += dS rows · k_kvh[0..r1)
                            gemm.gemm(false, false, rows, hs, r1, datt, ab, T, k, ks, kStride, dq, qs + r0 * qStride,
                                    qStride, true);
                        }
                        // dv and dk sum over query rows: one product each over all n rows, so that their sums are
                        // the whole square's, bit for bit (bands would add each band's sum separately)
                        // dv_kvh (n,hs) += Pᵀ · dout_h ; dk_kvh (n,hs) += dSᵀ · q_h
                        gemm.gemm(true, false, n, hs, n, att, a0, T, dout, os, OC, dv, vs, vStride, true);
                        gemm.gemm(true, false, n, hs, n, datt, a0, T, q, qs, qStride, dk, ks, kStride, true);
                    }
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

    /**
     * out (n) = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))), computed as x·σ(2·sqrt(2/π)·(x + 0.044715·x³))
     * (the same function: 0.5·(1 + tanh u) = σ(2u)) in float with {@link FloatOps}' exp.
     */
    public static void geluForward(float[] out, float[] inp, int n) {
        long t0 = StepProfile.start();
        Parallel.forRange(n, ELEMENT_GRAIN, (from, to) -> OPS.gelu(out, inp, from, to));
        StepProfile.stop(Phase.ACTIVATION, t0);
    }

    /** {@link #geluForward} on elements {@code [from, to)}, on the calling thread (the decode step's). */
    public static void geluForward(float[] out, float[] inp, int from, int to) {
        OPS.gelu(out, inp, from, to);
    }

    /** dinp (n) += gelu'(inp) · dout. */
    public static void geluBackward(float[] dinp, float[] inp, float[] dout, int n) {
        geluBackward(dinp, inp, dout, n, true);
    }

    /** dinp (n) (+)= gelu'(inp) · dout: overwritten unless {@code accumulate}. */
    public static void geluBackward(float[] dinp, float[] inp, float[] dout, int n, boolean accumulate) {
        long t0 = StepProfile.start();
        Parallel.forRange(n, ELEMENT_GRAIN, (from, to) -> OPS.geluBackward(dinp, inp, dout, from, to, accumulate));
        StepProfile.stop(Phase.ACTIVATION, t0);
    }

    // ---------------------------------------------------------------------------------------------
    // token embedding (no positions; the Llama family rotates q and k instead)

    /** out (N,C) = emb[tokens[r]]; emb is (V,C). */
    public static void embeddingForward(float[] out, int[] tokens, float[] p, int wOff, int N, int C) {
        long t0 = StepProfile.start();
        for (int r = 0; r < N; r++) {
            System.arraycopy(p, wOff + tokens[r] * C, out, r * C, C);
        }
        StepProfile.stop(Phase.RESIDUAL_EMBEDDING, t0);
    }

    /** out[r] = emb[tokens[r]] widened from the BF16 rows at {@code w16[wOff ..]}. */
    public static void embeddingForward(float[] out, int[] tokens, short[] w16, int wOff, int N, int C) {
        long t0 = StepProfile.start();
        for (int r = 0; r < N; r++) {
            int src = wOff + tokens[r] * C;
            for (int i = 0; i < C; i++) {
                out[r * C + i] = HalfFloats.bf16ToFloat(w16[src + i]);
            }
        }
        StepProfile.stop(Phase.RESIDUAL_EMBEDDING, t0);
    }

    /** demb[tokens[r]] += dout[r]. */
    public static void embeddingBackward(float[] g, int dwOff, float[] dout, int[] tokens, int N, int C) {
        long t0 = StepProfile.start();
        for (int r = 0; r < N; r++) {
            int w = dwOff + tokens[r] * C;
            int o = r * C;
            for (int i = 0; i < C; i++) {
                g[w + i] += dout[o + i];
            }
        }
        StepProfile.stop(Phase.RESIDUAL_EMBEDDING, t0);
    }

    // ---------------------------------------------------------------------------------------------
    // RMSNorm over the last dimension

    /**
     * out (N,C) = x · rstd · weight with rstd = 1/sqrt(mean(x²) + eps), the squares summed per row
     * ({@link FloatOps#sumSquares}: float lanes into a double); keeps rstd (N).
     */
    public static void rmsnormForward(float[] out, float[] rstd, float[] inp, float[] p, int wOff, int N, int C, float eps) {
        long t0 = StepProfile.start();
        Parallel.forRange(N, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * C;
                float s = (float) (1.0 / Math.sqrt(OPS.sumSquares(inp, x, C, 0f) / C + eps));
                OPS.normalize(out, x, inp, x, C, 0f, s, p, wOff, -1);
                rstd[r] = s;
            }
        });
        StepProfile.stop(Phase.NORM, t0);
    }

    /**
     * dinp (N,C) += RMSNorm input gradient; dweight (C) += its gradient unless dwOff is -1. With
     * n = x·rstd and d = weight·dout: dx = rstd · (d - n · mean(d·n)). Parallel over rows for dinp and
     * over columns for dweight (rows summed in order).
     */
    public static void rmsnormBackward(float[] dinp, float[] g, int dwOff, float[] dout, float[] inp,
                                       float[] p, int wOff, float[] rstd, int N, int C) {
        rmsnormBackward(dinp, true, g, dwOff, dout, inp, p, wOff, rstd, N, C);
    }

    /** As {@link #rmsnormBackward(float[], float[], int, float[], float[], float[], int, float[], int, int)}; dinp overwritten unless {@code accumulate}. */
    public static void rmsnormBackward(float[] dinp, boolean accumulate, float[] g, int dwOff, float[] dout, float[] inp,
                                       float[] p, int wOff, float[] rstd, int N, int C) {
        long t0 = StepProfile.start();
        Parallel.forRange(N, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * C;
                float s = rstd[r];
                float dNormMean = (float) (OPS.dotCentered(p, wOff, dout, x, inp, x, C, 0f) * s / C);
                OPS.normBackward(dinp, dout, inp, x, C, 0f, s, p, wOff, 0f, dNormMean, accumulate);
            }
        });
        normWeightGrads(g, dwOff, -1, dout, inp, null, rstd, N, C);
        StepProfile.stop(Phase.NORM, t0);
    }

    // ---------------------------------------------------------------------------------------------
    // linear: nn.Linear, weight stored [out, in] as HuggingFace's Llama family keeps it

    /** out (N,OC) = inp (N,C) · weightᵀ + bias, weight (OC,C); bOff -1 for no bias. */
    public static void linearForward(Gemm gemm, float[] out, float[] inp, float[] p, int wOff, int bOff, int N, int C, int OC) {
        long t0 = StepProfile.start();
        broadcastBias(out, p, bOff, N, OC);
        gemm.gemm(false, true, N, OC, C, inp, 0, C, p, wOff, C, out, 0, OC, bOff >= 0);
        StepProfile.stop(Phase.MATMUL_FORWARD, t0, 2.0 * N * C * OC);
    }

    /** {@link #linearForward} with the weight (OC,C) in BF16 at {@code w16[wOff ..]}, the bias (float) at {@code bias[bOff ..]}. */
    public static void linearForward(Gemm gemm, float[] out, float[] inp, short[] w16, int wOff, float[] bias, int bOff,
                                     int N, int C, int OC) {
        long t0 = StepProfile.start();
        broadcastBias(out, bias, bOff, N, OC);
        gemm.gemm(false, true, N, OC, C, inp, 0, C, w16, wOff, C, out, 0, OC, bOff >= 0);
        StepProfile.stop(Phase.MATMUL_FORWARD, t0, 2.0 * N * C * OC);
    }

    /**
     * The backward of a frozen BF16 weight's {@link #linearForward}: dinp (N,C) (+)= dout · weight (skipped
     * when dinp is null), dbias (OC) += column sums of dout when {@code dbOff} is not -1; no weight gradient.
     */
    public static void linearBackward(Gemm gemm, float[] dinp, boolean accumulate, float[] g, int dbOff, float[] dout,
                                      short[] w16, int wOff, int N, int C, int OC) {
        if (dinp != null) {
            long t0 = StepProfile.start();
            gemm.gemm(false, false, N, C, OC, dout, 0, OC, w16, wOff, C, dinp, 0, C, accumulate);
            StepProfile.stop(Phase.MATMUL_BACKWARD_INPUT, t0, 2.0 * N * C * OC);
        }
        if (dbOff >= 0) {
            biasBackward(g, dbOff, dout, N, OC, 0, OC);
        }
    }

    /**
     * dinp (N,C) += dout (N,OC) · weight (skipped when dinp is null); dweight (OC,C) += doutᵀ · inp and
     * dbias (OC) += column sums of dout, each skipped when its offset is -1.
     */
    public static void linearBackward(Gemm gemm, float[] dinp, float[] g, int dwOff, int dbOff,
                                      float[] dout, float[] inp, float[] p, int wOff, int N, int C, int OC) {
        linearBackward(gemm, dinp, true, g, dwOff, dbOff, dout, inp, p, wOff, N, C, OC);
    }

    /** As {@link #linearBackward}, dinp overwritten instead of accumulated unless {@code accumulate}. */
    public static void linearBackward(Gemm gemm, float[] dinp, boolean accumulate, float[] g, int dwOff, int dbOff,
                                      float[] dout, float[] inp, float[] p, int wOff, int N, int C, int OC) {
        if (dinp != null) {
            long t0 = StepProfile.start();
            gemm.gemm(false, false, N, C, OC, dout, 0, OC, p, wOff, C, dinp, 0, C, accumulate);
            StepProfile.stop(Phase.MATMUL_BACKWARD_INPUT, t0, 2.0 * N * C * OC);
        }
        if (dwOff >= 0) {
            long t0 = StepProfile.start();
            gemm.gemm(true, false, OC, C, N, dout, 0, OC, inp, 0, C, g, dwOff, C, true);
            StepProfile.stop(Phase.MATMUL_BACKWARD_WEIGHT, t0, 2.0 * N * C * OC);
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
        ropeForward(x, N, T, pos0, null, H, hd, cos, sin);
    }

    /**
     * As above, the angle of row r being that of position {@code pos[r]} when {@code pos} (N) is not null
     * (packed rows, whose sequences' positions restart at 0), else of {@code pos0 + r mod T}.
     */
    public static void ropeForward(float[] x, int N, int T, int pos0, int[] pos, int H, int hd, float[] cos, float[] sin) {
        long t0 = StepProfile.start();
        int half = hd / 2;
        for (int r = 0; r < N; r++) {
            int tab = (pos == null ? pos0 + r % T : pos[r]) * half;
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
        StepProfile.stop(Phase.ROPE, t0);
    }

    /** In place, dx = Rᵀ · dy for the rotation of {@link #ropeForward} (the inverse rotation). */
    public static void ropeBackward(float[] dx, int N, int T, int pos0, int H, int hd, float[] cos, float[] sin) {
        ropeBackward(dx, N, T, pos0, null, H, hd, cos, sin);
    }

    /** The inverse rotation of {@link #ropeForward(float[], int, int, int, int[], int, int, float[], float[])}. */
    public static void ropeBackward(float[] dx, int N, int T, int pos0, int[] pos, int H, int hd, float[] cos, float[] sin) {
        long t0 = StepProfile.start();
        int half = hd / 2;
        for (int r = 0; r < N; r++) {
            int tab = (pos == null ? pos0 + r % T : pos[r]) * half;
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
        StepProfile.stop(Phase.ROPE, t0);
    }

    // ---------------------------------------------------------------------------------------------
    // SwiGLU: silu(gate) ⊙ up

    /** out (n) = silu(gate) · up, silu(g) = g · sigmoid(g), in float with {@link FloatOps}' exp. */
    public static void swigluForward(float[] out, float[] gate, float[] up, int n) {
        long t0 = StepProfile.start();
        Parallel.forRange(n, ELEMENT_GRAIN, (from, to) -> OPS.swiglu(out, gate, up, from, to));
        StepProfile.stop(Phase.ACTIVATION, t0);
    }

    /** {@link #swigluForward} on elements {@code [from, to)}, on the calling thread (the decode step's). */
    public static void swigluForward(float[] out, float[] gate, float[] up, int from, int to) {
        OPS.swiglu(out, gate, up, from, to);
    }

    /** dgate += dout · up · silu'(gate), dup += dout · silu(gate); silu'(g) = σ(g)·(1 + g·(1 - σ(g))). */
    public static void swigluBackward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int n) {
        swigluBackward(dgate, dup, dout, gate, up, n, true);
    }

    /** As {@link #swigluBackward(float[], float[], float[], float[], float[], int)}; overwrites unless {@code accumulate}. */
    public static void swigluBackward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int n,
                                      boolean accumulate) {
        long t0 = StepProfile.start();
        Parallel.forRange(n, ELEMENT_GRAIN, (from, to) -> OPS.swigluBackward(dgate, dup, dout, gate, up, from, to, accumulate));
        StepProfile.stop(Phase.ACTIVATION, t0);
    }

    // ---------------------------------------------------------------------------------------------
    // residual, zero

    /**
     * out (n) = a + b. Its backward is the identity on both inputs, so the model carries one residual
     * gradient buffer through the blocks instead of calling a residual backward.
     */
    public static void residualForward(float[] out, float[] a, float[] b, int n) {
        long t0 = StepProfile.start();
        Parallel.forRange(n, ELEMENT_GRAIN, (from, to) -> OPS.add(out, a, b, from, to));
        StepProfile.stop(Phase.RESIDUAL_EMBEDDING, t0);
    }

    /**
     * Zeroes the gradients of the trainable tensors ({@code trainable[i]} for {@code tensors.get(i)}, laid
     * out in order in {@code grads}): each run of adjacent trainable tensors is one contiguous range.
     */
    static void zeroTrainable(float[] grads, java.util.List<TensorView> tensors, boolean[] trainable) {
        int i = 0;
        while (i < tensors.size()) {
            if (!trainable[i]) {
                i++;
                continue;
            }
            // a run of trainable tensors is one contiguous range of the buffer
            int from = tensors.get(i).offset();
            while (i < tensors.size() && trainable[i]) {
                i++;
            }
            TensorView last = tensors.get(i - 1);
            Layers.zero(grads, from, last.offset() + last.size() - from);
        }
    }

    /** x[off, off+n) = 0, in parallel chunks when the run is long (a gradient buffer). */
    public static void zero(float[] x, int off, int n) {
        Parallel.forRange(n, 1 << 18, (from, to) -> java.util.Arrays.fill(x, off + from, off + to, 0f));
    }

    // ---------------------------------------------------------------------------------------------
    // softmax + cross-entropy, fused

    /**
     * Per row r of logits (N,V): lse[r] = log Σ exp(logits[r]) and rowLoss[r] = lse[r] - logits[r, target]
     * (0 where target is {@code ignoreIndex}). Returns Σ rowLoss, summed in order (deterministic). Each
     * row is read twice while it sits in cache (its max, then Σ exp(x - max) in float lanes flushed into
     * a double); no probabilities are stored: {@link #crossEntropyBackward} makes them from lse.
     */
    public static double crossEntropyForward(float[] lse, float[] rowLoss, float[] logits, int[] targets,
                                             int ignoreIndex, int N, int V) {
        long t0 = StepProfile.start();
        Parallel.forRange(N, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * V;
                float max = OPS.max(logits, x, V);
                double l = max + Math.log(OPS.sumExp(logits, x, V, max));
                lse[r] = (float) l;
                int target = targets == null ? ignoreIndex : targets[r];
                rowLoss[r] = target == ignoreIndex ? 0f : (float) (l - logits[x + target]);
            }
        });
        double total = 0;
        for (int r = 0; r < N; r++) {
            total += rowLoss[r];
        }
        StepProfile.stop(Phase.CROSS_ENTROPY, t0);
        return total;
    }

    /**
     * dlogits (N,V) = (softmax(logits) - onehot(target)) · scale, and 0 on rows whose target is
     * {@code ignoreIndex}: one pass per row, softmax = exp(logits - lse). Overwrites (it starts the
     * backward chain); dlogits may be the logits array itself, each element is read before it is written.
     */
    public static void crossEntropyBackward(float[] dlogits, float[] logits, float[] lse, int[] targets,
                                            int ignoreIndex, float scale, int N, int V) {
        long t0 = StepProfile.start();
        Parallel.forRange(N, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int x = r * V;
                int target = targets[r];
                if (target == ignoreIndex) {
                    java.util.Arrays.fill(dlogits, x, x + V, 0f);
                    continue;
                }
                OPS.expScaled(dlogits, x, logits, x, V, lse[r], scale);
                dlogits[x + target] -= scale;
            }
        });
        StepProfile.stop(Phase.CROSS_ENTROPY, t0);
    }
}
