package dev.finetune.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MatVecKernel} with the Vector API: four rows at a time (one load of x feeds four FMAs), one
 * accumulator vector per row, one lane reduction per row. 16-bit weights load as a half-width
 * {@code ShortVector} and widen to int lanes, then to float by shifts; Q8_0 loads bytes and converts
 * them to float, a block's sum scaled once. Only loaded when {@code jdk.incubator.vector} is present
 * ({@link Kernels} checks before touching this class).
 */
public final class VectorMatVec implements MatVecKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Bytes of a Q8 load: one float vector's worth, at least 8 (the smallest byte vector). */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, 8 * L)));
    /** Float vectors per byte load (1, or 2 on 128-bit machines). */
    private static final int PARTS = B.length() / L;
    private static final int QB = WeightType.Q8_BLOCK;

    public VectorMatVec() {
        if (QB % B.length() != 0) {
            throw new UnsupportedOperationException("vectors of " + L + " floats do not tile a Q8_0 block of " + QB);
        }
    }

    @Override
    public void f32(float[] w, int wOff, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        int cv = cols - cols % L;
        int r = r0;
        for (; r + 3 < r1; r += 4) {
            int o0 = wOff + r * cols;
            int o1 = o0 + cols;
            int o2 = o1 + cols;
            int o3 = o2 + cols;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            for (int c = 0; c < cv; c += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                a0 = FloatVector.fromArray(F, w, o0 + c).fma(xv, a0);
                a1 = FloatVector.fromArray(F, w, o1 + c).fma(xv, a1);
                a2 = FloatVector.fromArray(F, w, o2 + c).fma(xv, a2);
                a3 = FloatVector.fromArray(F, w, o3 + c).fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (int c = cv; c < cols; c++) {
                float xs = x[xOff + c];
                s0 += w[o0 + c] * xs;
                s1 += w[o1 + c] * xs;
                s2 += w[o2 + c] * xs;
                s3 += w[o3 + c] * xs;
            }
            y[yOff + r] = s0;
            y[yOff + r + 1] = s1;
            y[yOff + r + 2] = s2;
            y[yOff + r + 3] = s3;
        }
        for (; r < r1; r++) {
            int o = wOff + r * cols;
            FloatVector a = FloatVector.zero(F);
            for (int c = 0; c < cv; c += L) {
                a = FloatVector.fromArray(F, w, o + c).fma(FloatVector.fromArray(F, x, xOff + c), a);
            }
            float s = a.reduceLanes(VectorOperators.ADD);
            for (int c = cv; c < cols; c++) {
                s += w[o + c] * x[xOff + c];
            }
            y[yOff + r] = s;
        }
    }

    @Override
    public void f32Transposed(float[] w, int wOff, int ld, int in, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        java.util.Arrays.fill(y, yOff + r0, yOff + r1, 0f);
        int rv = r0 + (r1 - r0) - (r1 - r0) % L;
        int i = 0;
        for (; i + 3 < in; i += 4) {
            float x0 = x[xOff + i];
            float x1 = x[xOff + i + 1];
            float x2 = x[xOff + i + 2];
            float x3 = x[xOff + i + 3];
            FloatVector v0 = FloatVector.broadcast(F, x0);
            FloatVector v1 = FloatVector.broadcast(F, x1);
            FloatVector v2 = FloatVector.broadcast(F, x2);
            FloatVector v3 = FloatVector.broadcast(F, x3);
            int b0 = wOff + i * ld;
            int b1 = b0 + ld;
            int b2 = b1 + ld;
            int b3 = b2 + ld;
            for (int r = r0; r < rv; r += L) {
                FloatVector acc = FloatVector.fromArray(F, y, yOff + r);
                acc = FloatVector.fromArray(F, w, b0 + r).fma(v0, acc);
                acc = FloatVector.fromArray(F, w, b1 + r).fma(v1, acc);
                acc = FloatVector.fromArray(F, w, b2 + r).fma(v2, acc);
                acc = FloatVector.fromArray(F, w, b3 + r).fma(v3, acc);
                acc.intoArray(y, yOff + r);
            }
            for (int r = rv; r < r1; r++) {
                y[yOff + r] += w[b0 + r] * x0 + w[b1 + r] * x1 + w[b2 + r] * x2 + w[b3 + r] * x3;
            }
        }
        for (; i < in; i++) {
            float xs = x[xOff + i];
            FloatVector v = FloatVector.broadcast(F, xs);
            int b = wOff + i * ld;
            for (int r = r0; r < rv; r += L) {
                FloatVector.fromArray(F, w, b + r).fma(v, FloatVector.fromArray(F, y, yOff + r)).intoArray(y, yOff + r);
            }
            for (int r = rv; r < r1; r++) {
                y[yOff + r] += w[b + r] * xs;
            }
        }
    }

    /** L BF16 weights from {@code w[o..]} as floats: widen to int, shift into the high half. */
    private static FloatVector bf16(short[] w, int o) {
        IntVector v = (IntVector) ShortVector.fromArray(S, w, o).convertShape(VectorOperators.S2I, I, 0);
        return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static final FloatVector TWO_112 = FloatVector.broadcast(F, 0x1p112f);

    /** L F16 weights as floats: {@link MatVecKernel#f16ToFloat} lane by lane. */
    private static FloatVector f16(short[] w, int o) {
        IntVector v = (IntVector) ShortVector.fromArray(S, w, o).convertShape(VectorOperators.S2I, I, 0);
        return v.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(TWO_112);
    }

    @Override
    public void bf16(short[] w, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        int cv = cols - cols % L;
        int r = r0;
        for (; r + 3 < r1; r += 4) {
            int o0 = r * cols;
            int o1 = o0 + cols;
            int o2 = o1 + cols;
            int o3 = o2 + cols;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            for (int c = 0; c < cv; c += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                a0 = bf16(w, o0 + c).fma(xv, a0);
                a1 = bf16(w, o1 + c).fma(xv, a1);
                a2 = bf16(w, o2 + c).fma(xv, a2);
                a3 = bf16(w, o3 + c).fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (int c = cv; c < cols; c++) {
                float xs = x[xOff + c];
                s0 += MatVecKernel.bf16ToFloat(w[o0 + c]) * xs;
                s1 += MatVecKernel.bf16ToFloat(w[o1 + c]) * xs;
                s2 += MatVecKernel.bf16ToFloat(w[o2 + c]) * xs;
                s3 += MatVecKernel.bf16ToFloat(w[o3 + c]) * xs;
            }
            y[yOff + r] = s0;
            y[yOff + r + 1] = s1;
            y[yOff + r + 2] = s2;
            y[yOff + r + 3] = s3;
        }
        for (; r < r1; r++) {
            int o = r * cols;
            FloatVector a = FloatVector.zero(F);
            for (int c = 0; c < cv; c += L) {
                a = bf16(w, o + c).fma(FloatVector.fromArray(F, x, xOff + c), a);
            }
            float s = a.reduceLanes(VectorOperators.ADD);
            for (int c = cv; c < cols; c++) {
                s += MatVecKernel.bf16ToFloat(w[o + c]) * x[xOff + c];
            }
            y[yOff + r] = s;
        }
    }

    @Override
    public void f16(short[] w, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        int cv = cols - cols % L;
        int r = r0;
        for (; r + 3 < r1; r += 4) {
            int o0 = r * cols;
            int o1 = o0 + cols;
            int o2 = o1 + cols;
            int o3 = o2 + cols;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            for (int c = 0; c < cv; c += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                a0 = f16(w, o0 + c).fma(xv, a0);
                a1 = f16(w, o1 + c).fma(xv, a1);
                a2 = f16(w, o2 + c).fma(xv, a2);
                a3 = f16(w, o3 + c).fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (int c = cv; c < cols; c++) {
                float xs = x[xOff + c];
                s0 += MatVecKernel.f16ToFloat(w[o0 + c]) * xs;
                s1 += MatVecKernel.f16ToFloat(w[o1 + c]) * xs;
                s2 += MatVecKernel.f16ToFloat(w[o2 + c]) * xs;
                s3 += MatVecKernel.f16ToFloat(w[o3 + c]) * xs;
            }
            y[yOff + r] = s0;
            y[yOff + r + 1] = s1;
            y[yOff + r + 2] = s2;
            y[yOff + r + 3] = s3;
        }
        for (; r < r1; r++) {
            int o = r * cols;
            FloatVector a = FloatVector.zero(F);
            for (int c = 0; c < cv; c += L) {
                a = f16(w, o + c).fma(FloatVector.fromArray(F, x, xOff + c), a);
            }
            float s = a.reduceLanes(VectorOperators.ADD);
            for (int c = cv; c < cols; c++) {
                s += MatVecKernel.f16ToFloat(w[o + c]) * x[xOff + c];
            }
            y[yOff + r] = s;
        }
    }

    @Override
    public void q8(byte[] q, float[] d, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        int nb = (cols + QB - 1) / QB;
        int full = cols / QB;
        for (int r = r0; r < r1; r++) {
            int o = r * cols;
            int so = r * nb;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < full; b++) {
                int c0 = b * QB;
                FloatVector s = FloatVector.zero(F);
                for (int k = 0; k < QB; k += B.length()) {
                    ByteVector bv = ByteVector.fromArray(B, q, o + c0 + k);
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector wv = (FloatVector) bv.convertShape(VectorOperators.B2F, F, p);
                        s = wv.fma(FloatVector.fromArray(F, x, xOff + c0 + k + p * L), s);
                    }
                }
                acc = s.fma(FloatVector.broadcast(F, d[so + b]), acc);
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            if (full < nb) {
                float t = 0;
                for (int c = full * QB; c < cols; c++) {
                    t += q[o + c] * x[xOff + c];
                }
                sum += d[so + full] * t;
            }
            y[yOff + r] = sum;
        }
    }

    @Override
    public float sum(float[] a, int from, int to) {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        int i = from;
        for (; i + 4 * L <= to; i += 4 * L) {
            s0 = s0.add(FloatVector.fromArray(F, a, i));
            s1 = s1.add(FloatVector.fromArray(F, a, i + L));
            s2 = s2.add(FloatVector.fromArray(F, a, i + 2 * L));
            s3 = s3.add(FloatVector.fromArray(F, a, i + 3 * L));
        }
        float s = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) {
            s += a[i];
        }
        return s;
    }
}
