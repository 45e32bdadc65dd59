package dev.finetune.kernel;

/**
 * The plain-Java blocked GEMM: {@link PackedGemm}'s packing and threading with a 4 x 16 register-tile
 * kernel whose inner loop is axpy-shaped ({@code tile[j] += a * b[j]}), which C2 turns into SIMD
 * without the Vector API.
 */
public final class BlockedGemm extends PackedGemm {
    private static final int MR = 4;
    private static final int NR = 16;

    public BlockedGemm() {
        super(MR, NR);
    }

    /** A blocked GEMM with the given cache blocking (for tests). */
    BlockedGemm(int kc, int mc, int nc) {
        super(MR, NR, true, kc, mc, nc);
    }

    @Override
    void kernel(int kc, float[] a, int aStart, int aks, float[] bPack, int bStrip, float[] c, int cOff, int ldc,
                int rows, int cols, boolean add, float[] tile) {
        java.util.Arrays.fill(tile, 0, MR * NR, 0f);
        for (int p = 0; p < kc; p++) {
            int bo = bStrip + p * NR;
            int ao = aStart + p * aks;
            float a0 = a[ao];
            float a1 = a[ao + 1];
            float a2 = a[ao + 2];
            float a3 = a[ao + 3];
            for (int j = 0; j < NR; j++) {
                float bv = bPack[bo + j];
                tile[j] += a0 * bv;
                tile[NR + j] += a1 * bv;
                tile[2 * NR + j] += a2 * bv;
                tile[3 * NR + j] += a3 * bv;
            }
        }
        store(tile, NR, c, cOff, ldc, rows, cols, add);
    }
}
