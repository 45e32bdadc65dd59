package dev.finetune.kernel;

/**
 * Chooses the kernels once, at start-up. Today the only {@link Gemm} is the naive reference; the
 * blocked, parallel and vectorized kernels replace it here.
 */
public final class Kernels {
    private static final Gemm GEMM = new NaiveGemm();

    private Kernels() {
    }

    /** The fastest {@link Gemm} available on this JVM. */
    public static Gemm gemm() {
        return GEMM;
    }
}
