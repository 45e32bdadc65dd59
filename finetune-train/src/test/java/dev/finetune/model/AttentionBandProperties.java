package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Causal attention in bands of query rows (each band multiplies only the keys up to its last row) computes
 * what the whole (T,T) square computes, for any band height, grouped-query shape and packing of the rows.
 *
 * <p>Forward: exactly, bit for bit up to the sign of zero. A score is the same k-step sum in both (the
 * band changes which tiles are computed, not how an element is summed), and att·v over keys [0, r1) only
 * drops terms whose weight is an exact 0 (above the diagonal), which add nothing to an FMA's sum.
 *
 * <p>Backward: dv, dk and dq sum over query rows, and the bands split those sums into one accumulation
 * per band, so they move by reassociation only: at most about N·2⁻²⁴ of the sum of the terms' magnitudes
 * for N ≤ 48 terms, each term a product of values below ~4 here (inputs in [-1, 1], hs ≤ 8). We allow 1e-5
 * of the largest gradient plus 1e-6 absolute; a band that misses keys or rows moves gradients by a
 * sizeable part of their scale.
 */
class AttentionBandProperties {

    @Property(tries = 150)
    void bandsComputeTheWholeSquare(@ForAll @IntRange(min = 1, max = 2) int B,
                                    @ForAll @IntRange(min = 1, max = 48) int T,
                                    @ForAll @IntRange(min = 1, max = 3) int KVH,
                                    @ForAll @IntRange(min = 1, max = 3) int group,
                                    @ForAll @IntRange(min = 1, max = 8) int hs,
                                    @ForAll @IntRange(min = 1, max = 50) int band,
                                    @ForAll boolean packed,
                                    @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Random r = new Random(seed);
        int NH = KVH * group;
        int Q = NH * hs;
        int KV = KVH * hs;
        float[] q = random(r, B * T * Q);
        float[] k = random(r, B * T * KV);
        float[] v = random(r, B * T * KV);
        float[] dout = random(r, B * T * Q);
        int[] pos = null;
        if (packed) {
            pos = new int[B * T];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = i % T == 0 || r.nextInt(6) == 0 ? 0 : pos[i - 1] + 1;
            }
        }
        float[][] whole = run(q, k, v, dout, pos, B, T, NH, KVH, hs, T);
        float[][] bands = run(q, k, v, dout, pos, B, T, NH, KVH, hs, band);
        String what = "B " + B + ", T " + T + ", NH " + NH + ", KVH " + KVH + ", hs " + hs + ", band " + band
                + (packed ? ", packed" : "");
        for (int i = 0; i < whole[0].length; i++) {
            assertEquals(whole[0][i], bands[0][i], 0f, what + ": out[" + i + "]");
        }
        String[] names = {"dq", "dk", "dv"};
        for (int g = 1; g <= 3; g++) {
            float scale = 0;
            for (float x : whole[g]) {
                scale = Math.max(scale, Math.abs(x));
            }
            float tol = 1e-5f * scale + 1e-6f;
            for (int i = 0; i < whole[g].length; i++) {
                assertEquals(whole[g][i], bands[g][i], tol, what + ": " + names[g - 1] + "[" + i + "]");
            }
        }
    }

    /** {out, dq, dk, dv} of the attention over (q, k, v) with upstream gradient dout, in bands of {@code band} rows. */
    private static float[][] run(float[] q, float[] k, float[] v, float[] dout, int[] pos, int B, int T, int NH,
                                 int KVH, int hs, int band) {
        int Q = NH * hs;
        int KV = KVH * hs;
        float[] out = new float[B * T * Q];
        float[] att = new float[B * NH * T * T];
        Layers.attentionForward(out, att, q, Q, 0, k, KV, 0, v, KV, 0, pos, B, T, NH, KVH, hs, band);
        float[] dq = new float[q.length];
        float[] dk = new float[k.length];
        float[] dv = new float[v.length];
        Layers.attentionBackward(dq, dk, dv, new float[B * NH * T * T], dout, att, q, Q, 0, k, KV, 0, v, KV, 0, pos,
                B, T, NH, KVH, hs, band);
        return new float[][] {out, dq, dk, dv};
    }

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextFloat() * 2 - 1;
        }
        return x;
    }
}
