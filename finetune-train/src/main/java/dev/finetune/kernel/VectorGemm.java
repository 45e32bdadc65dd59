package dev.finetune.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API GEMM: {@link PackedGemm}'s packing and threading with an MR x (2 vectors) register tile,
 * MR broadcasts of A and two loads of packed B per step of k, {@code fma} throughout. MR is 6 with 8-lane
 * vectors (AVX2: 12 accumulators of the 16 registers, enough independent FMAs to cover their latency on
 * both FMA pipes; measured 7-20% faster than 4 rows on an AVX2 EPYC) and 4 with 16 lanes (AVX-512: 4 x 32
 * floats, measured at ~80% of the FMA peak on the AVX-512 machine), or {@code -Dfinetune.gemm.rows=4|6}.
 * On Java 25 and later the default is 4 rows on 8 lanes too: C2 25 keeps one of the 6-row tile's 12
 * accumulators on the stack (a load, FMA, store chain every k step, seen in its disassembly), and the
 * small training config ran at 579-621 tokens/s with 4 rows against 523-527 with 6 on Java 25 (Java 17,
 * 6 rows: 622 in the same run).
 * Only loaded when {@code jdk.incubator.vector} is present ({@link Kernels} checks before touching this class).
 */
public final class VectorGemm extends PackedGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = rows();
    private static final int NR = 2 * L;

    public VectorGemm() {
        super(MR, NR);
    }

    VectorGemm(boolean inPlaceTransA) {
        super(MR, NR, inPlaceTransA);
    }

    /** A GEMM with register tiles of {@code rows} (4 or 6) rows whatever this machine's default (for tests and benches). */
    VectorGemm(int rows) {
        super(checked(rows), NR);
    }

    /** A GEMM with the given register-tile rows and cache blocking (for benches and tests). */
    VectorGemm(int rows, int kc, int mc, int nc) {
        super(checked(rows), NR, true, kc, mc, nc);
    }

    private static int rows() {
        return checked(Integer.getInteger("finetune.gemm.rows", L >= 16 || Runtime.version().feature() >= 25 ? 4 : 6));
    }

    private static int checked(int rows) {
        if (rows != 4 && rows != 6) {
            throw new IllegalArgumentException("finetune.gemm.rows must be 4 or 6, got " + rows);
        }
        return rows;
    }

    /** Rows of the register tile on this machine (4 or 6). */
    public static int tileRows() {
        return MR;
    }

    /** Lanes per vector on this machine. */
    public static int lanes() {
        return L;
    }

    /**
     * One row of B's full strips in two vector loads and stores per strip: measured 10-30% faster GEMMs on
     * the model's forward and weight-gradient shapes than {@code arraycopy}s of 16 floats (the pack of the
     * weight matrix was a quarter of a 256 x 2304 x 768 product on one thread).
     */
    @Override
    void packRow(float[] b, int src, float[] bPack, int dst, int strips, int stripSize) {
        for (int s = 0; s < strips; s++) {
            int from = src + s * NR;
            int to = dst + s * stripSize;
            FloatVector.fromArray(S, b, from).intoArray(bPack, to);
            FloatVector.fromArray(S, b, from + L).intoArray(bPack, to + L);
        }
    }

    /** One row of a BF16 B's full strips, widened in registers two vectors a strip (as {@link VectorMatVec} reads BF16). */
    @Override
    void packRow16(short[] b, int src, float[] bPack, int dst, int strips, int stripSize) {
        for (int s = 0; s < strips; s++) {
            int from = src + s * NR;
            int to = dst + s * stripSize;
            VectorMatVec.bf16(b, from).intoArray(bPack, to);
            VectorMatVec.bf16(b, from + L).intoArray(bPack, to + L);
        }
    }

    @Override
    void kernel(int kc, float[] a, int aStart, int aks, float[] bPack, int bStrip, float[] c, int cOff, int ldc,
                int rows, int cols, boolean add, float[] tile) {
        if (mr == 6) { // one predictable branch per tile of kc steps
            kernel6(kc, a, aStart, aks, bPack, bStrip, c, cOff, ldc, rows, cols, add, tile);
        } else {
            kernel4(kc, a, aStart, aks, bPack, bStrip, c, cOff, ldc, rows, cols, add, tile);
        }
    }

    private static void kernel4(int kc, float[] a, int aStart, int aks, float[] bPack, int bStrip, float[] c, int cOff, int ldc,
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
        if (rows == 4 && cols == NR) {
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

    private static void kernel6(int kc, float[] a, int aStart, int aks, float[] bPack, int bStrip, float[] c, int cOff, int ldc,
                int rows, int cols, boolean add, float[] tile) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
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
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        if (rows == 6 && cols == NR) {
            // written out, not a helper: vectors passed to a call that is not inlined are boxed
            int o1 = cOff + ldc;
            int o2 = cOff + 2 * ldc;
            int o3 = cOff + 3 * ldc;
            int o4 = cOff + 4 * ldc;
            int o5 = cOff + 5 * ldc;
            if (add) {
                c00 = c00.add(FloatVector.fromArray(S, c, cOff));
                c01 = c01.add(FloatVector.fromArray(S, c, cOff + L));
                c10 = c10.add(FloatVector.fromArray(S, c, o1));
                c11 = c11.add(FloatVector.fromArray(S, c, o1 + L));
                c20 = c20.add(FloatVector.fromArray(S, c, o2));
                c21 = c21.add(FloatVector.fromArray(S, c, o2 + L));
                c30 = c30.add(FloatVector.fromArray(S, c, o3));
                c31 = c31.add(FloatVector.fromArray(S, c, o3 + L));
                c40 = c40.add(FloatVector.fromArray(S, c, o4));
                c41 = c41.add(FloatVector.fromArray(S, c, o4 + L));
                c50 = c50.add(FloatVector.fromArray(S, c, o5));
                c51 = c51.add(FloatVector.fromArray(S, c, o5 + L));
            }
            c00.intoArray(c, cOff);
            c01.intoArray(c, cOff + L);
            c10.intoArray(c, o1);
            c11.intoArray(c, o1 + L);
            c20.intoArray(c, o2);
            c21.intoArray(c, o2 + L);
            c30.intoArray(c, o3);
            c31.intoArray(c, o3 + L);
            c40.intoArray(c, o4);
            c41.intoArray(c, o4 + L);
            c50.intoArray(c, o5);
            c51.intoArray(c, o5 + L);
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
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        store(tile, NR, c, cOff, ldc, rows, cols, add);
    }
}
