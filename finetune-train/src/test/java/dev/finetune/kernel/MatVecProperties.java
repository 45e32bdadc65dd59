package dev.finetune.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.safetensors.HalfFloats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The decode kernels on every storage type, plain Java and Vector API, against a double-precision sum of
 * the very weights the matrix holds ({@link WeightMatrix#get}: a BF16/F16 weight widened, a Q8_0 weight
 * dequantized), on random shapes whose rows and columns are not multiples of the vector length or the
 * Q8_0 block.
 *
 * <p>Tolerance, reasoned: each output is a float sum of {@code cols} products, in some order, with or
 * without fused multiply-adds. Every product and every addition rounds by at most u = 2^-24 relative,
 * and an addition's error is relative to the running sum, bounded by Σ|w·x|; so the result is within
 * {@code (cols + 1)·u·Σ|w·x|} of the exact sum (the classic bound for recursive summation, which also
 * covers blocked and pairwise orders). We allow twice that.
 */
class MatVecProperties {
    private static final double U = 0x1p-24;

    /** The kernels this JVM has: plain Java always, the Vector API one when the module is there. */
    private static List<MatVecKernel> kernels() {
        List<MatVecKernel> ks = new ArrayList<>();
        ks.add(MatVecKernel.PLAIN);
        Kernels.vectorMatVec().ifPresent(ks::add);
        return ks;
    }

    @Test
    void theVectorKernelIsTestedWhenTheModuleIsThere() {
        // Surefire runs with --add-modules jdk.incubator.vector: the properties below must cover both paths
        assertEquals(2, kernels().size(), "expected the Vector API kernel next to the plain one");
    }

    private static float[] random(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    private static WeightMatrix build(WeightType type, boolean transposed, float[] w, int off, int rows, int cols) {
        if (type == WeightType.F32) {
            return transposed ? WeightMatrix.f32Transposed(w, off, cols, rows) : WeightMatrix.f32(w, off, rows, cols);
        }
        return transposed ? WeightMatrix.packTransposed(type, w, off, cols, rows) : WeightMatrix.pack(type, w, off, rows, cols);
    }

    @Property(tries = 400)
    void everyKernelOnEveryTypeMatchesADoubleSumOfTheStoredWeights(
            @ForAll @IntRange(min = 1, max = 23) int rows, @ForAll @IntRange(min = 1, max = 300) int cols,
            @ForAll @IntRange(min = 0, max = 3) int typeIndex, @ForAll boolean transposed,
            @ForAll @IntRange(min = 0, max = 5) int off, @ForAll long seed) {
        WeightType type = WeightType.values()[typeIndex];
        Random r = new Random(seed);
        float[] w = random(r, off + rows * cols, 0.5f);
        float[] x = random(r, off + cols, 1f);
        WeightMatrix m = build(type, transposed, w, off, rows, cols);
        assertEquals(type, m.type());
        // a range of rows that need not start at 0 nor end at a multiple of 4
        int r0 = r.nextInt(rows);
        int r1 = r0 + 1 + r.nextInt(rows - r0);
        for (MatVecKernel k : kernels()) {
            float[] y = new float[2 + rows];
            java.util.Arrays.fill(y, 12345f);
            m.multiply(k, x, off, y, 2, r0, r1);
            for (int i = 0; i < y.length; i++) {
                int row = i - 2;
                if (row < r0 || row >= r1) {
                    assertEquals(12345f, y[i], k + ": rows outside [" + r0 + ", " + r1 + ") are not written");
                    continue;
                }
                double exact = 0;
                double mag = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) m.get(row, c) * x[off + c];
                    exact += p;
                    mag += Math.abs(p);
                }
                double tol = 2 * (cols + 1) * U * mag;
                assertEquals(exact, y[i], tol, k.getClass().getSimpleName() + " " + type + (transposed ? " transposed" : "")
                        + " row " + row + " of " + rows + " x " + cols);
            }
        }
    }

    @Property(tries = 200)
    void storedWeightsAreTheRoundedOrQuantizedInputs(@ForAll @IntRange(min = 1, max = 9) int rows,
                                                     @ForAll @IntRange(min = 1, max = 100) int cols, @ForAll long seed) {
        Random r = new Random(seed);
        float[] w = random(r, rows * cols, 3f);
        WeightMatrix bf = WeightMatrix.pack(WeightType.BF16, w, 0, rows, cols);
        WeightMatrix hf = WeightMatrix.pack(WeightType.F16, w, 0, rows, cols);
        WeightMatrix q8 = WeightMatrix.pack(WeightType.Q8_0, w, 0, rows, cols);
        WeightMatrix t = WeightMatrix.packTransposed(WeightType.BF16, w, 0, cols, rows); // w read as [cols, rows]
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            q8.rowInto(i, row, 0);
            for (int c = 0; c < cols; c++) {
                float v = w[i * cols + c];
                assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v)), bf.get(i, c));
                assertEquals(HalfFloats.f16ToFloat(HalfFloats.floatToF16(v)), hf.get(i, c));
                assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(w[c * rows + i])), t.get(i, c));
                // Q8_0: within half a step d = max|block| / 127 of the input
                int b0 = c / WeightType.Q8_BLOCK * WeightType.Q8_BLOCK;
                float amax = 0;
                for (int j = b0; j < Math.min(cols, b0 + WeightType.Q8_BLOCK); j++) {
                    amax = Math.max(amax, Math.abs(w[i * cols + j]));
                }
                double step = amax / 127.0;
                assertTrue(Math.abs(q8.get(i, c) - v) <= step / 2 * (1 + 1e-5), "q8 (" + i + ", " + c + "): " + q8.get(i, c) + " vs " + v);
                assertEquals(q8.get(i, c), row[c]);
            }
        }
    }

    @Test
    void everyFiniteF16WidensExactly() {
        for (int h = 0; h < 1 << 16; h++) {
            if ((h & 0x7c00) == 0x7c00) {
                continue; // infinities and NaNs are refused as weights
            }
            assertEquals(Float.floatToIntBits(HalfFloats.f16ToFloat(h)), Float.floatToIntBits(MatVecKernel.f16ToFloat((short) h)),
                    "F16 0x" + Integer.toHexString(h));
        }
        short[] bits = new short[65536 - 2048];
        int n = 0;
        for (int h = 0; h < 1 << 16; h++) {
            if ((h & 0x7c00) != 0x7c00) {
                bits[n++] = (short) h;
            }
        }
        // the vector kernel widens lane by lane the same way: a one-hot x picks each weight out exactly
        WeightMatrix m = WeightMatrix.f16(bits, bits.length / 8, 8);
        for (MatVecKernel k : kernels()) {
            for (int c = 0; c < 8; c++) {
                float[] x = new float[8];
                x[c] = 1;
                float[] y = new float[m.rows()];
                m.multiply(k, x, 0, y, 0, 0, m.rows());
                for (int i = 0; i < m.rows(); i++) {
                    // + 0f: a sum starting from +0 turns -0 into +0
                    assertEquals(Float.floatToIntBits(HalfFloats.f16ToFloat(bits[i * 8 + c]) + 0f), Float.floatToIntBits(y[i] + 0f),
                            k.getClass().getSimpleName() + " F16 0x" + Integer.toHexString(bits[i * 8 + c] & 0xffff));
                }
            }
        }
    }

    @Test
    void nonFiniteF16WeightsAreRefusedNamingTheElement() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightMatrix.f16(new short[] {0, 0x7c00, 0, 0}, 2, 2));
        assertTrue(e.getMessage().contains("(0, 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WeightMatrix.pack(WeightType.F16, new float[] {1, 1e6f}, 0, 1, 2));
        assertTrue(e.getMessage().contains("65504"), e.getMessage());
    }

    @Property(tries = 100)
    void aStackComputesItsPartsInOnePass(@ForAll @IntRange(min = 1, max = 9) int a, @ForAll @IntRange(min = 1, max = 9) int b,
                                         @ForAll @IntRange(min = 1, max = 70) int cols, @ForAll long seed) {
        Random r = new Random(seed);
        float[] w = random(r, (a + b) * cols, 1f);
        float[] x = random(r, cols, 1f);
        WeightMatrix whole = WeightMatrix.f32(w, 0, a + b, cols);
        WeightMatrix stack = WeightMatrix.stack(WeightMatrix.f32(w, 0, a, cols), WeightMatrix.pack(WeightType.F32, w, a * cols, b, cols));
        assertEquals(a + b, stack.rows());
        int r0 = r.nextInt(a + b);
        int r1 = r0 + 1 + r.nextInt(a + b - r0);
        for (MatVecKernel k : kernels()) {
            float[] y1 = new float[a + b];
            float[] y2 = new float[a + b];
            whole.multiply(k, x, 0, y1, 0, r0, r1);
            stack.multiply(k, x, 0, y2, 0, r0, r1);
            for (int i = r0; i < r1; i++) {
                assertEquals(whole.get(i, cols - 1), stack.get(i, cols - 1));
                // each row's sum is computed the same way whichever rows share its pass: bit for bit
                assertEquals(Float.floatToIntBits(y1[i]), Float.floatToIntBits(y2[i]), "row " + i);
            }
        }
    }

    @Property(tries = 50)
    void theParallelDriverSplitsRowsWithoutChangingThem(@ForAll @IntRange(min = 1, max = 700) int rows,
                                                        @ForAll @IntRange(min = 60, max = 200) int cols, @ForAll long seed) {
        Random r = new Random(seed);
        float[] w = random(r, rows * cols, 1f);
        float[] x = random(r, cols, 1f);
        WeightMatrix m = WeightMatrix.pack(WeightType.BF16, w, 0, rows, cols);
        float[] serial = new float[rows];
        m.multiply(x, 0, serial, 0, 0, rows);
        float[] par = new float[rows];
        boolean[] seen = new boolean[rows];
        MatVec.multiply(m, x, 0, par, 0, (a, b) -> {
            for (int i = a; i < b; i++) {
                seen[i] = true;
            }
        });
        for (int i = 0; i < rows; i++) {
            assertTrue(seen[i], "row " + i + " reached the epilogue");
            // the same kernel on the same rows: bit for bit
            assertEquals(Float.floatToIntBits(serial[i]), Float.floatToIntBits(par[i]), "row " + i);
        }
    }

    @Property(tries = 100)
    void sumsMatchADoubleSum(@ForAll @IntRange(min = 0, max = 1000) int n, @ForAll @IntRange(min = 0, max = 7) int from,
                             @ForAll long seed) {
        float[] a = random(new Random(seed), from + n, 1f);
        double exact = 0;
        double mag = 0;
        for (int i = from; i < from + n; i++) {
            exact += a[i];
            mag += Math.abs(a[i]);
        }
        for (MatVecKernel k : kernels()) {
            assertEquals(exact, k.sum(a, from, from + n), 2 * (n + 1) * U * mag);
        }
    }

    @Property(tries = 100)
    void maxAndSumExpMatchTheirDefinitions(@ForAll @IntRange(min = 1, max = 1000) int n, @ForAll @IntRange(min = 0, max = 7) int from,
                                           @ForAll long seed) {
        float[] a = random(new Random(seed), from + n, 4f);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            max = Math.max(max, a[i]);
        }
        double sum = 0;
        for (int i = from; i < from + n; i++) {
            sum += Math.exp(a[i] - (double) max);
        }
        for (MatVecKernel k : kernels()) {
            assertEquals(max, k.max(a, from, from + n));
            // every term within an ulp or two of Math.exp's (both are within 1 ulp of exp), summed in double
            assertEquals(sum, k.sumExp(a, from, from + n, max), 1e-14 * n * sum);
        }
    }
}
