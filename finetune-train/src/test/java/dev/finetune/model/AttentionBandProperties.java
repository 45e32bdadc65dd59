package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Causal attention in bands of query rows (each band multiplies only the keys up to its last row) computes
 * what the whole (T,T) square computes, bit for bit (up to the sign of zero), for any band height,
 * grouped-query shape and packing of the rows. A score and dP are the same hs-long sums in both (the band
 * changes which tiles are computed, not how an element is summed); att·v and dS·k over keys [0, r1) only
 * drop terms whose weight is an exact 0 (past the diagonal), which add nothing to an FMA's sum; dv and dk,
 * sums over query rows, are one product over all rows in both. This holds while a sequence is at most the
 * GEMM's deepest k slice (576 positions): longer sums are cut into slices that differ with their length.
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
            for (int i = 0; i < whole[g].length; i++) {
                assertEquals(whole[g][i], bands[g][i], 0f, what + ": " + names[g - 1] + "[" + i + "]");
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
