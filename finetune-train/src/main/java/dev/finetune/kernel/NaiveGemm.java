package dev.finetune.kernel;

import dev.finetune.safetensors.HalfFloats;

/**
 * The reference {@link Gemm}: a plain triple loop with a double accumulator. Slow and obviously right;
 * the fast kernels are tested against it.
 */
public final class NaiveGemm implements Gemm {

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc,
                     boolean accumulate) {
        run(transA, transB, m, n, k, a, aOff, lda, i -> b[i], bOff, ldb, c, cOff, ldc, accumulate);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda,
                     short[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc,
                     boolean accumulate) {
        run(transA, transB, m, n, k, a, aOff, lda, i -> HalfFloats.bf16ToFloat(b[i]), bOff, ldb, c, cOff, ldc, accumulate);
    }

    /** B's element at an index of its array, in whatever type B is stored. */
    private interface Element {
        float at(int index);
    }

    private static void run(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                            Element b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = b.at(transB ? bOff + j * ldb + p : bOff + p * ldb + j);
                    sum += (double) av * bv;
                }
                int ci = cOff + i * ldc + j;
                c[ci] = accumulate ? c[ci] + (float) sum : (float) sum;
            }
        }
    }
}
