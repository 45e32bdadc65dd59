package dev.finetune.kernel;

import dev.finetune.safetensors.HalfFloats;
import java.util.Arrays;

/**
 * A weight matrix for inference, {@code W (rows, cols)} as a linear map from {@code cols} inputs to
 * {@code rows} outputs, stored in one {@link WeightType}: F32 (a view of a float array, no copy; also
 * transposed, for GPT-2's Conv1D {@code [in, out]} weights), BF16 or F16 (2 bytes a weight, as a
 * checkpoint stores them), or Q8_0. Rows are outputs, so a range of rows is a range of outputs and
 * {@link MatVec} splits a product by rows across threads. Several matrices that read the same input
 * (q, k and v; gate and up) can be {@link #stack stacked} into one, so that one parallel pass computes
 * them all.
 *
 * <p>Read-only once built, except through {@link #setRows} while a loader fills it; safe to share
 * between threads then. Training never sees these: it keeps the model's float parameters.
 */
public abstract class WeightMatrix {
    private static final MatVecKernel KERNEL = Kernels.matVec();

    final int rows;
    final int cols;

    WeightMatrix(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("a matrix cannot be " + rows + " x " + cols);
        }
        this.rows = rows;
        this.cols = cols;
    }

    /** Output features. */
    public final int rows() {
        return rows;
    }

    /** Input features. */
    public final int cols() {
        return cols;
    }

    public abstract WeightType type();

    /** Bytes the weights (and scales) take. */
    public abstract long bytes();

    /** {@code W[r, c]} as the products see it (a Q8_0 weight dequantized). */
    public abstract float get(int r, int c);

    /** Row {@code r} widened to floats into {@code dst[dstOff .. dstOff + cols)} (an embedding lookup). */
    public void rowInto(int r, float[] dst, int dstOff) {
        for (int c = 0; c < cols; c++) {
            dst[dstOff + c] = get(r, c);
        }
    }

    /** {@code y[yOff + r] = Σ_c W[r, c]·x[xOff + c]} for r in [r0, r1), on this thread, with this JVM's fastest kernel. */
    public final void multiply(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        multiply(KERNEL, x, xOff, y, yOff, r0, r1);
    }

    /** As {@link #multiply(float[], int, float[], int, int, int)} with the given kernel (tests compare kernels). */
    public abstract void multiply(MatVecKernel k, float[] x, int xOff, float[] y, int yOff, int r0, int r1);

    /**
     * Converts rows {@code [r0, r0 + n)} from floats ({@code src[srcOff ..]}, row-major, {@code cols} a
     * row): rounding to nearest for BF16/F16, quantizing block by block for Q8_0. For loaders only:
     * not safe while another thread multiplies. F32 views refuse it (they share their array).
     */
    public void setRows(int r0, float[] src, int srcOff, int n) {
        throw new UnsupportedOperationException(type() + " view matrices are not filled row by row");
    }

    // ---------------------------------------------------------------------------------------------
    // factories

    /** A view (no copy) of the F32 matrix {@code (rows, cols)} at {@code w[off ..]}, row-major. */
    public static WeightMatrix f32(float[] w, int off, int rows, int cols) {
        return new F32(w, off, rows, cols);
    }

    /**
     * A view (no copy) of an F32 weight stored {@code [in, out]} at {@code w[off ..]} (GPT-2's Conv1D),
     * as the {@code (out, in)} linear map it is.
     */
    public static WeightMatrix f32Transposed(float[] w, int off, int in, int out) {
        return new F32T(w, off, in, out);
    }

    /** A BF16 matrix over {@code bits} (row-major, {@code rows·cols} bit patterns; kept, not copied). */
    public static WeightMatrix bf16(short[] bits, int rows, int cols) {
        return new Half(WeightType.BF16, bits, rows, cols);
    }

    /** An F16 matrix over {@code bits} (kept, not copied); infinities and NaNs are refused, naming the element. */
    public static WeightMatrix f16(short[] bits, int rows, int cols) {
        Half h = new Half(WeightType.F16, bits, rows, cols);
        for (int i = 0; i < rows * cols; i++) {
            if ((bits[i] & 0x7c00) == 0x7c00) {
                throw new IllegalArgumentException("F16 weight (" + i / Math.max(1, cols) + ", " + i % Math.max(1, cols)
                        + ") is infinite or NaN");
            }
        }
        return h;
    }

    /** A Q8_0 matrix over {@code q} (rows·cols) and {@code d} (rows·ceil(cols/32) scales), kept, not copied. */
    public static WeightMatrix q8_0(byte[] q, float[] d, int rows, int cols) {
        return new Q8(q, d, rows, cols);
    }

    /** A zero matrix of {@code type} to fill with {@link #setRows} (F32 gets its own array). */
    public static WeightMatrix allocate(WeightType type, int rows, int cols) {
        int n = Math.multiplyExact(rows, cols);
        return switch (type) {
            case F32 -> new F32Owned(new float[n], rows, cols);
            case BF16 -> new Half(WeightType.BF16, new short[n], rows, cols);
            case F16 -> new Half(WeightType.F16, new short[n], rows, cols);
            case Q8_0 -> new Q8(new byte[n], new float[rows * Q8.blocks(cols)], rows, cols);
        };
    }

    /** A copy of the row-major F32 matrix {@code (rows, cols)} at {@code src[off ..]} in {@code type}. */
    public static WeightMatrix pack(WeightType type, float[] src, int off, int rows, int cols) {
        WeightMatrix m = allocate(type, rows, cols);
        m.setRows(0, src, off, rows);
        return m;
    }

    /**
     * A copy in {@code type}, stored {@code (out, in)} row-major, of the F32 weight stored {@code [in, out]}
     * at {@code src[off ..]} (GPT-2's Conv1D).
     */
    public static WeightMatrix packTransposed(WeightType type, float[] src, int off, int in, int out) {
        WeightMatrix m = allocate(type, out, in);
        float[] row = new float[in];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                row[c] = src[off + c * out + r];
            }
            m.setRows(r, row, 0, 1);
        }
        return m;
    }

    /**
     * The matrices one on top of the other, as one {@code (Σ rows, cols)} matrix over the same input:
     * q, k and v, or gate and up, computed in one pass. No copy; a range of rows runs on each part it covers.
     */
    public static WeightMatrix stack(WeightMatrix... parts) {
        if (parts.length == 1) {
            return parts[0];
        }
        return new Stacked(parts);
    }

    // ---------------------------------------------------------------------------------------------
    // storages

    private static final class F32 extends WeightMatrix {
        final float[] w;
        final int off;

        F32(float[] w, int off, int rows, int cols) {
            super(rows, cols);
            if (off < 0 || (long) off + (long) rows * cols > w.length) {
                throw new IllegalArgumentException("a " + rows + " x " + cols + " view at " + off + " does not fit an array of "
                        + w.length);
            }
            this.w = w;
            this.off = off;
        }

        @Override
        public WeightType type() {
            return WeightType.F32;
        }

        @Override
        public long bytes() {
            return 4L * rows * cols;
        }

        @Override
        public float get(int r, int c) {
            return w[off + r * cols + c];
        }

        @Override
        public void rowInto(int r, float[] dst, int dstOff) {
            System.arraycopy(w, off + r * cols, dst, dstOff, cols);
        }

        @Override
        public void multiply(MatVecKernel k, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            k.f32(w, off, cols, x, xOff, y, yOff, r0, r1);
        }
    }

    /** F32 with its own array, fillable by a loader. */
    private static final class F32Owned extends WeightMatrix {
        final float[] w;

        F32Owned(float[] w, int rows, int cols) {
            super(rows, cols);
            this.w = w;
        }

        @Override
        public WeightType type() {
            return WeightType.F32;
        }

        @Override
        public long bytes() {
            return 4L * rows * cols;
        }

        @Override
        public float get(int r, int c) {
            return w[r * cols + c];
        }

        @Override
        public void rowInto(int r, float[] dst, int dstOff) {
            System.arraycopy(w, r * cols, dst, dstOff, cols);
        }

        @Override
        public void multiply(MatVecKernel k, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            k.f32(w, 0, cols, x, xOff, y, yOff, r0, r1);
        }

        @Override
        public void setRows(int r0, float[] src, int srcOff, int n) {
            System.arraycopy(src, srcOff, w, r0 * cols, n * cols);
        }
    }

    private static final class F32T extends WeightMatrix {
        final float[] w;
        final int off;

        F32T(float[] w, int off, int in, int out) {
            super(out, in);
            if (off < 0 || (long) off + (long) in * out > w.length) {
                throw new IllegalArgumentException("a " + in + " x " + out + " view at " + off + " does not fit an array of "
                        + w.length);
            }
            this.w = w;
            this.off = off;
        }

        @Override
        public WeightType type() {
            return WeightType.F32;
        }

        @Override
        public long bytes() {
            return 4L * rows * cols;
        }

        @Override
        public float get(int r, int c) {
            return w[off + c * rows + r];
        }

        @Override
        public void multiply(MatVecKernel k, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            k.f32Transposed(w, off, rows, cols, x, xOff, y, yOff, r0, r1);
        }
    }

    private static final class Half extends WeightMatrix {
        final WeightType type;
        final short[] bits;

        Half(WeightType type, short[] bits, int rows, int cols) {
            super(rows, cols);
            if (bits.length != rows * cols) {
                throw new IllegalArgumentException("a " + rows + " x " + cols + " " + type + " matrix needs " + rows * cols
                        + " weights, got " + bits.length);
            }
            this.type = type;
            this.bits = bits;
        }

        @Override
        public WeightType type() {
            return type;
        }

        @Override
        public long bytes() {
            return 2L * rows * cols;
        }

        @Override
        public float get(int r, int c) {
            short h = bits[r * cols + c];
            return type == WeightType.BF16 ? MatVecKernel.bf16ToFloat(h) : MatVecKernel.f16ToFloat(h);
        }

        @Override
        public void rowInto(int r, float[] dst, int dstOff) {
            int o = r * cols;
            if (type == WeightType.BF16) {
                for (int c = 0; c < cols; c++) {
                    dst[dstOff + c] = MatVecKernel.bf16ToFloat(bits[o + c]);
                }
            } else {
                for (int c = 0; c < cols; c++) {
                    dst[dstOff + c] = MatVecKernel.f16ToFloat(bits[o + c]);
                }
            }
        }

        @Override
        public void multiply(MatVecKernel k, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            if (type == WeightType.BF16) {
                k.bf16(bits, cols, x, xOff, y, yOff, r0, r1);
            } else {
                k.f16(bits, cols, x, xOff, y, yOff, r0, r1);
            }
        }

        @Override
        public void setRows(int r0, float[] src, int srcOff, int n) {
            int o = r0 * cols;
            for (int i = 0; i < n * cols; i++) {
                float v = src[srcOff + i];
                if (type == WeightType.BF16) {
                    bits[o + i] = (short) HalfFloats.floatToBf16(v);
                } else {
                    int h = HalfFloats.floatToF16(v);
                    if ((h & 0x7c00) == 0x7c00) {
                        throw new IllegalArgumentException("weight (" + (r0 + i / cols) + ", " + i % cols + ") = " + v
                                + " does not fit F16 (largest finite 65504)");
                    }
                    bits[o + i] = (short) h;
                }
            }
        }
    }

    private static final class Q8 extends WeightMatrix {
        final byte[] q;
        final float[] d;
        final int nb;

        Q8(byte[] q, float[] d, int rows, int cols) {
            super(rows, cols);
            this.nb = blocks(cols);
            if (q.length != rows * cols || d.length != rows * nb) {
                throw new IllegalArgumentException("a " + rows + " x " + cols + " Q8_0 matrix needs " + rows * cols + " weights and "
                        + rows * nb + " scales, got " + q.length + " and " + d.length);
            }
            this.q = q;
            this.d = d;
        }

        static int blocks(int cols) {
            return (cols + WeightType.Q8_BLOCK - 1) / WeightType.Q8_BLOCK;
        }

        @Override
        public WeightType type() {
            return WeightType.Q8_0;
        }

        @Override
        public long bytes() {
            return (long) q.length + 4L * d.length;
        }

        @Override
        public float get(int r, int c) {
            return d[r * nb + c / WeightType.Q8_BLOCK] * q[r * cols + c];
        }

        @Override
        public void multiply(MatVecKernel k, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            k.q8(q, d, cols, x, xOff, y, yOff, r0, r1);
        }

        /**
         * Each block of 32: {@code d = max|w| / 127} and {@code q = rint(w / d)} in [-127, 127] (all zero
         * when the block is), so every weight is within {@code d/2} of {@code d·q}.
         */
        @Override
        public void setRows(int r0, float[] src, int srcOff, int n) {
            for (int i = 0; i < n; i++) {
                int r = r0 + i;
                int s = srcOff + i * cols;
                for (int b = 0; b < nb; b++) {
                    int c0 = b * WeightType.Q8_BLOCK;
                    int c1 = Math.min(cols, c0 + WeightType.Q8_BLOCK);
                    float amax = 0;
                    for (int c = c0; c < c1; c++) {
                        float v = src[s + c];
                        if (!Float.isFinite(v)) {
                            throw new IllegalArgumentException("weight (" + r + ", " + c + ") = " + v + " cannot be quantized");
                        }
                        amax = Math.max(amax, Math.abs(v));
                    }
                    float scale = amax / 127f;
                    float inv = scale == 0 ? 0 : 1 / scale;
                    d[r * nb + b] = scale;
                    for (int c = c0; c < c1; c++) {
                        int v = (int) Math.rint(src[s + c] * inv);
                        q[r * cols + c] = (byte) Math.max(-127, Math.min(127, v));
                    }
                }
            }
        }
    }

    private static final class Stacked extends WeightMatrix {
        final WeightMatrix[] parts;
        final int[] starts;

        Stacked(WeightMatrix[] parts) {
            super(Arrays.stream(parts).mapToInt(WeightMatrix::rows).sum(), parts[0].cols);
            this.parts = parts.clone();
            this.starts = new int[parts.length + 1];
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].cols != cols) {
                    throw new IllegalArgumentException("stacked matrices must share their input: " + parts[i].cols + " != " + cols);
                }
                starts[i + 1] = starts[i] + parts[i].rows;
            }
        }

        @Override
        public WeightType type() {
            return parts[0].type();
        }

        @Override
        public long bytes() {
            long b = 0;
            for (WeightMatrix p : parts) {
                b += p.bytes();
            }
            return b;
        }

        private int part(int r) {
            int i = 0;
            while (starts[i + 1] <= r) {
                i++;
            }
            return i;
        }

        @Override
        public float get(int r, int c) {
            int i = part(r);
            return parts[i].get(r - starts[i], c);
        }

        @Override
        public void rowInto(int r, float[] dst, int dstOff) {
            int i = part(r);
            parts[i].rowInto(r - starts[i], dst, dstOff);
        }

        @Override
        public void multiply(MatVecKernel k, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            for (int i = 0; i < parts.length; i++) {
                int a = Math.max(r0, starts[i]);
                int b = Math.min(r1, starts[i + 1]);
                if (a < b) {
                    parts[i].multiply(k, x, xOff, y, yOff + starts[i], a - starts[i], b - starts[i]);
                }
            }
        }

        @Override
        public void setRows(int r0, float[] src, int srcOff, int n) {
            for (int j = 0; j < n; j++) {
                int i = part(r0 + j);
                parts[i].setRows(r0 + j - starts[i], src, srcOff + j * cols, 1);
            }
        }
    }
}
