package dev.finetune.kernel;

/**
 * General matrix multiply on row-major {@code float[]} with offsets and leading dimensions:
 * {@code C[M,N] = op(A)[M,K] · op(B)[K,N]} (or {@code +=} when {@code accumulate}).
 *
 * <p>{@code op(A)} is A, stored {@code [M, lda]}, or, when {@code transA}, Aᵀ with A stored {@code [K, lda]}.
 * {@code op(B)} is B, stored {@code [K, ldb]}, or, when {@code transB}, Bᵀ with B stored {@code [N, ldb]}.
 * The GPT-2 layers use three shapes: forward {@code x·W} (NN, Conv1D weights are {@code [in, out]}),
 * the tied LM head {@code x·wteᵀ} (NT), and the weight gradient {@code xᵀ·dout} (TN).
 *
 * <p>Implementations are thread-safe and allocate nothing per call.
 */
public interface Gemm {

    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float[] a, int aOff, int lda,
              float[] b, int bOff, int ldb,
              float[] c, int cOff, int ldc,
              boolean accumulate);

    /**
     * As {@link #gemm(boolean, boolean, int, int, int, float[], int, int, float[], int, int, float[], int, int,
     * boolean) gemm} with B held in BF16: each {@code short} the upper 16 bits of a float (a checkpoint's
     * bfloat16 weights as stored), widened exactly as it is read, so the result is bit for bit that of the
     * float overload on the widened B. For frozen 16-bit weights that stay 2 bytes a weight in memory.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float[] a, int aOff, int lda,
              short[] b, int bOff, int ldb,
              float[] c, int cOff, int ldc,
              boolean accumulate);
}
