package dev.finetune.kernel;

/**
 * Matrix-vector products over a range of output rows, one method per {@link WeightType} storage, on the
 * calling thread: {@code y[yOff + r] = Σ_c W[r, c] · x[xOff + c]} for {@code r} in {@code [r0, r1)}.
 * Decoding one token is a chain of these, each reading its weights once, so they are written to
 * stream the weights at memory bandwidth: several rows at a time so that each load of {@code x} serves
 * them all, one widening per weight, no reduction until a row ends. {@link WeightMatrix} calls them;
 * {@link MatVec} splits the rows across the library's pool.
 *
 * <p>Two implementations: {@link #PLAIN} (plain Java, always there) and the Vector API one
 * ({@code VectorMatVec}, when {@code jdk.incubator.vector} is present). They compute the same sums in
 * different orders (float rounding apart, the same numbers; tests hold both to a double-precision sum).
 * A 16-bit weight widens to float exactly in both: BF16 by a 16-bit shift, F16 by moving its exponent
 * and mantissa into place and multiplying by 2^112 (exact for every finite F16, subnormals included).
 */
public interface MatVecKernel {
    /** W (rows, cols) F32, row r at {@code w[wOff + r·cols]}. */
    void f32(float[] w, int wOff, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1);

    /**
     * W stored transposed, {@code (in, ld)}: {@code W[r, i] = w[wOff + i·ld + r]} for i in [0, in), the
     * layout of GPT-2's Conv1D weights ([in, out]); computed as axpy over input rows.
     */
    void f32Transposed(float[] w, int wOff, int ld, int in, float[] x, int xOff, float[] y, int yOff, int r0, int r1);

    /** W (rows, cols) as BF16 bit patterns, row r at {@code w[r·cols]}. */
    void bf16(short[] w, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1);

    /** W (rows, cols) as F16 bit patterns (finite values only), row r at {@code w[r·cols]}. */
    void f16(short[] w, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1);

    /**
     * W (rows, cols) as Q8_0: {@code W[r, c] = d[r·nb + c/32] · q[r·cols + c]} with {@code nb = ceil(cols/32)}
     * blocks per row (the last one shorter when 32 does not divide cols).
     */
    void q8(byte[] q, float[] d, int cols, float[] x, int xOff, float[] y, int yOff, int r0, int r1);

    /**
     * {@code Σ a[i]} for i in [from, to), in any order: a pure streaming read, the loop of the read-bandwidth
     * probe ({@code finetune bench bandwidth}) that the products are measured against. Like the products it
     * reads the range as four quarters in step (four streams: one stream per core reads markedly slower).
     */
    float sum(float[] a, int from, int to);

    /** {@code max a[i]} for i in [from, to) (NaN if any is NaN; -∞ for an empty range): a softmax's first pass. */
    float max(float[] a, int from, int to);

    /**
     * {@code Σ exp(a[i] - shift)} for i in [from, to), each term and the sum in double: a log-softmax over the
     * vocabulary (the log-probability of each generated token), done once per token over V logits.
     */
    double sumExp(float[] a, int from, int to, double shift);

    /** The plain-Java kernels. */
    MatVecKernel PLAIN = new PlainMatVec();

    /** BF16 bits to float (exact). */
    static float bf16ToFloat(short h) {
        return Float.intBitsToFloat(h << 16);
    }

    /**
     * F16 bits to float, exact for every finite F16: sign to bit 31, exponent and mantissa to bits 27..13
     * (a float 2^-112 times the value, subnormals included), then times 2^112. The vector kernel does the
     * same steps lane by lane. Infinities and NaNs are not weights ({@link WeightMatrix} refuses them).
     */
    static float f16ToFloat(short h) {
        return Float.intBitsToFloat((h << 13) & 0x8FFFE000) * 0x1p112f;
    }
}
