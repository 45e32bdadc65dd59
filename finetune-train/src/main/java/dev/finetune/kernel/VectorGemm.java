package dev.finetune.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API GEMM: {@link PackedGemm}'s packing and threading with a 4 x (2 vectors) register tile,
 * eight accumulators, four broadcasts of A (read in place) and two loads of packed B per step of k,
 * {@code fma} throughout. On AVX2 a tile is 4 x 16 floats, on AVX-512 4 x 32. Only loaded when {@code jdk.incubator.vector} is present
 * ({@link Kernels} checks before touching this class).
 */
public final class VectorGemm extends PackedGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 4;
    private static final int NR = 2 * L;

    public VectorGemm() {
        super(MR, NR);
    }

    VectorGemm(boolean inPlaceTransA) {
        super(MR, NR, inPlaceTransA);
    }

    /** Lanes per vector on this machine. */
    public static int lanes() {
        return L;
    }

    @Override
    void kernel(int kc, float[] a, int aStart, int aks, float[] bPack, int bStrip, float[] c, int cOff, int ldc,
                int rows, int cols, boolean add, float[] tile) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bo = bStrip + p * NR;
            int ao = aStart + p * aks;
            FloatVector b0 = FloatVector.fromArray(S, bPack, bo);
            FloatVector b1 = FloatVector.fromArray(S, bPack, bo + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ao]);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1]);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        if (rows == MR && cols == NR) {
            // written out, not a helper: vectors passed to a call that is not inlined are boxed
            int o1 = cOff + ldc;
            int o2 = cOff + 2 * ldc;
            int o3 = cOff + 3 * ldc;
            if (add) {
                c00 = c00.add(FloatVector.fromArray(S, c, cOff));
                c01 = c01.add(FloatVector.fromArray(S, c, cOff + L));
                c10 = c10.add(FloatVector.fromArray(S, c, o1));
                c11 = c11.add(FloatVector.fromArray(S, c, o1 + L));
                c20 = c20.add(FloatVector.fromArray(S, c, o2));
                c21 = c21.add(FloatVector.fromArray(S, c, o2 + L));
                c30 = c30.add(FloatVector.fromArray(S, c, o3));
                c31 = c31.add(FloatVector.fromArray(S, c, o3 + L));
            }
            c00.intoArray(c, cOff);
            c01.intoArray(c, cOff + L);
            c10.intoArray(c, o1);
            c11.intoArray(c, o1 + L);
            c20.intoArray(c, o2);
            c21.intoArray(c, o2 + L);
            c30.intoArray(c, o3);
            c31.intoArray(c, o3 + L);
            return;
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        store(tile, NR, c, cOff, ldc, rows, cols, add);
    }
}
