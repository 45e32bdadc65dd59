package dev.finetune.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The blocked and the Vector API GEMM against the naive reference, every transpose combination,
 * with and without accumulation, with offsets and leading dimensions wider than the matrices.
 *
 * <p>Tolerance: the kernels sum the k products in another order than the reference (blocks of 256,
 * fma), so each element may differ by a few ulps of the running sum; with inputs in [-1, 1] the sum of
 * |products| is at most k, and 1e-5·(k + 1) relative to that bound holds with room to spare while a
 * wrong index (a missing or doubled product) shows up as an error of order 1.
 */
class GemmProperties {
    static List<Gemm> fast() {
        List<Gemm> g = new ArrayList<>();
        g.add(new BlockedGemm());
        Kernels.vectorGemm().ifPresent(g::add);
        if (Kernels.vectorGemm().isPresent()) {
            // both register tiles, whichever this machine's default is (6 rows on 8 lanes, 4 on 16)
            g.add(new VectorGemm(4));
            g.add(new VectorGemm(6));
            // small cache blocks, so that the generated sizes cross several k slices, A blocks and B panels
            g.add(new VectorGemm(6, 40, 12, 48));
            g.add(new VectorGemm(4, 24, 8, 32));
        }
        return g;
    }

    @Test
    void theVectorKernelIsTestedHere() {
        assertTrue(Kernels.vectorGemm().isPresent(), "tests run with --add-modules jdk.incubator.vector");
    }

    @Property(tries = 150)
    void matchesTheNaiveKernel(@ForAll @IntRange(min = 1, max = 70) int m, @ForAll @IntRange(min = 1, max = 70) int n,
                               @ForAll @IntRange(min = 1, max = 300) int k, @ForAll boolean transA,
                               @ForAll boolean transB, @ForAll boolean accumulate, @ForAll long seed) {
        check(m, n, k, transA, transB, accumulate, seed);
    }

    @Test
    void oddSizesTailsAndBlockEdges() {
        int[] sizes = {1, 7, 15, 17, 33, 95, 97, 100, 257};
        long seed = 1;
        for (int m : sizes) {
            for (int n : new int[] {1, 16, 31, 33, 100}) {
                for (int k : new int[] {1, 255, 257, 513}) {
                    check(m, n, k, (m + n) % 2 == 0, (n + k) % 2 == 0, k % 2 == 1, seed++);
                }
            }
        }
        check(300, 1100, 70, false, true, false, 99); // several NC column blocks and row blocks
    }

    @Test
    void aTransposedAWithLongRowsIsPackedRowByRow() {
        // lda above PackedGemm.IN_PLACE_MAX_LDA takes the packing path (the vocabulary's dlogits in dW = dlogitsᵀ·x),
        // with a bottom strip of fewer than MR rows and several KC slices of k
        check(4099, 21, 300, true, false, false, 11);
        check(4101, 40, 37, true, true, true, 12);
    }

    static void check(int m, int n, int k, boolean transA, boolean transB, boolean accumulate, long seed) {
        Random r = new Random(seed);
        int pad = 3;
        int lda = (transA ? m : k) + r.nextInt(4);
        int ldb = (transB ? k : n) + r.nextInt(4);
        int ldc = n + r.nextInt(4);
        float[] a = random(r, pad + (transA ? k : m) * lda);
        float[] b = random(r, pad + (transB ? n : k) * ldb);
        float[] c0 = random(r, pad + m * ldc);
        float[] expected = c0.clone();
        new NaiveGemm().gemm(transA, transB, m, n, k, a, pad, lda, b, pad, ldb, expected, pad, ldc, accumulate);
        for (Gemm g : fast()) {
            float[] c = c0.clone();
            g.gemm(transA, transB, m, n, k, a, pad, lda, b, pad, ldb, c, pad, ldc, accumulate);
            double tol = 1e-5 * (k + 1);
            for (int i = 0; i < c.length; i++) {
                int row = (i - pad) / ldc;
                int col = (i - pad) % ldc;
                boolean inside = i >= pad && row < m && col < n;
                if (inside) {
                    assertEquals(expected[i], c[i], tol, g.getClass().getSimpleName() + " m=" + m + " n=" + n + " k=" + k
                            + " tA=" + transA + " tB=" + transB + " acc=" + accumulate + " at (" + row + "," + col + ")");
                } else {
                    assertEquals(c0[i], c[i], 0f, g.getClass().getSimpleName() + " wrote outside C at " + i);
                }
            }
        }
    }

    /**
     * B in BF16 gives, bit for bit, what the same GEMM gives on B widened to float (the widening is exact
     * and happens in the pack, before any arithmetic), for every kernel, the naive one included; and
     * outside C nothing is written.
     */
    @Property(tries = 150)
    void bf16BIsTheWidenedFloatB(@ForAll @IntRange(min = 1, max = 70) int m, @ForAll @IntRange(min = 1, max = 70) int n,
                                 @ForAll @IntRange(min = 1, max = 300) int k, @ForAll boolean transA,
                                 @ForAll boolean transB, @ForAll boolean accumulate, @ForAll long seed) {
        Random r = new Random(seed);
        int pad = 3;
        int lda = (transA ? m : k) + r.nextInt(4);
        int ldb = (transB ? k : n) + r.nextInt(4);
        int ldc = n + r.nextInt(4);
        float[] a = random(r, pad + (transA ? k : m) * lda);
        short[] b16 = new short[pad + (transB ? n : k) * ldb];
        float[] b = new float[b16.length];
        for (int i = 0; i < b16.length; i++) {
            b16[i] = (short) (Float.floatToRawIntBits(r.nextFloat() * 2 - 1) >>> 16);
            b[i] = Float.intBitsToFloat((b16[i] & 0xFFFF) << 16);
        }
        float[] c0 = random(r, pad + m * ldc);
        List<Gemm> gemms = new ArrayList<>(fast());
        gemms.add(new NaiveGemm());
        for (Gemm g : gemms) {
            float[] expected = c0.clone();
            g.gemm(transA, transB, m, n, k, a, pad, lda, b, pad, ldb, expected, pad, ldc, accumulate);
            float[] c = c0.clone();
            g.gemm(transA, transB, m, n, k, a, pad, lda, b16, pad, ldb, c, pad, ldc, accumulate);
            for (int i = 0; i < c.length; i++) {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(c[i]),
                        g.getClass().getSimpleName() + " m=" + m + " n=" + n + " k=" + k + " tA=" + transA + " tB="
                                + transB + " acc=" + accumulate + " at " + i);
            }
        }
    }

    static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextFloat() * 2 - 1;
        }
        return x;
    }
}
