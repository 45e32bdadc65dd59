package dev.finetune.kernel;

import dev.finetune.safetensors.HalfFloats;

/**
 * The blocked GEMM shared by the plain-Java and the Vector API kernels, in the usual three-level
 * shape: for each {@code KC}-deep slice of k, pack a panel of op(B) ({@code KC x NC}, in column strips
 * of {@code NR}) into a contiguous buffer, then run an {@code MR x NR} register-tile micro-kernel over
 * it and {@code MC x KC} blocks of op(A), packed in row strips of {@code MR} ({@code [p][r]}). A
 * transposed A with short rows (a weight gradient's activations, {@code dW = xᵀ·dout}) is read where it
 * lies instead: for one k step its strip's MR values are adjacent in memory, the packed layout already;
 * only its bottom strip, when it has fewer than MR rows, is packed. A transposed A with long rows (the
 * vocabulary's dlogits) is packed one row of it at a time. The work is split across the library's
 * pool by output columns when the output is wide (each thread packs only its own B panel), else by
 * rows (each thread packs its own rows of A and the whole, smaller, B).
 *
 * <p>Pack buffers are per thread and reused: a call allocates nothing once warm. The blocking can be
 * changed with {@code -Dfinetune.gemm.kc}, {@code .mc} and {@code .nc} (defaults 384, 96, 1024: on this
 * project's AVX2 host, 2 x 32 KiB L1, 2 x 512 KiB L2). k and the columns are cut into equal slices and
 * panels of up to 1.5 times these (k = 576, the Llama hidden size, is one slice: 9% faster than 256-deep
 * slices on its forward products; the GPT-2 shapes measured within this host's noise of 256).
 */
abstract class PackedGemm implements Gemm {
    static final int KC = blocking("finetune.gemm.kc", 384);
    static final int MC = blocking("finetune.gemm.mc", 96);
    static final int NC = blocking("finetune.gemm.nc", 1024);

    private static int blocking(String property, int defaultValue) {
        int v = Integer.getInteger(property, defaultValue);
        if (v < 1 || v > 1 << 16) {
            throw new IllegalArgumentException(property + " must be between 1 and 65536, got " + v);
        }
        return v;
    }

    /** Depth of a k slice, rows of an A block, columns of a B panel (the cache blocking). */
    final int kcMax;
    final int mcMax;
    final int ncMax;

    /** Rows of a register tile. */
    final int mr;
    /** Columns of a register tile. */
    final int nr;

    private final ThreadLocal<float[][]> buffers;

    /**
     * Whether a transposed A with short rows is read in place (else packed): measured per CPU-second on
     * the weight-gradient shapes, in place is ~10% faster while A's rows are short (lda up to
     * {@value #IN_PLACE_MAX_LDA}: the activations' channels), packing up to 2x faster for the vocabulary
     * (lda = V: every k step a new page, and at V = 49152 = 3·2¹⁴ every row in the same cache sets).
     */
    final boolean inPlaceTransA;
    static final int IN_PLACE_MAX_LDA = 4096;

    PackedGemm(int mr, int nr) {
        this(mr, nr, true);
    }

    PackedGemm(int mr, int nr, boolean inPlaceTransA) {
        this(mr, nr, inPlaceTransA, KC, MC, NC);
    }

    PackedGemm(int mr, int nr, boolean inPlaceTransA, int kcMax, int mcMax, int ncMax) {
        if (kcMax < 1 || mcMax < 1 || ncMax < 1) {
            throw new IllegalArgumentException("cache blocks must be positive: kc " + kcMax + ", mc " + mcMax + ", nc " + ncMax);
        }
        this.kcMax = kcMax;
        this.mcMax = (mcMax + mr - 1) / mr * mr;
        this.ncMax = (ncMax + nr - 1) / nr * nr;
        this.inPlaceTransA = inPlaceTransA;
        this.mr = mr;
        this.nr = nr;
        int aSize = this.mcMax * depthCapacity();
        int bSize = depthCapacity() * panelCapacity();
        this.buffers = ThreadLocal.withInitial(() -> new float[][] {new float[aSize], new float[bSize], new float[mr * nr]});
    }

    /**
     * c[mr x nr tile] (+)= A strip · bPack[strip] over {@code kc}: element (r, p) of the A strip is
     * {@code a[aStart + p·aks + r]} for r in [0, mr) (all mr rows readable) and p in [0, kc): a packed
     * strip has aks = mr, a transposed A read in place aks = lda. {@code rows} and {@code cols} say how
     * much of the tile is inside C; {@code add} false overwrites C.
     */
    abstract void kernel(int kc, float[] a, int aStart, int aks, float[] bPack, int bStrip, float[] c, int cOff,
                         int ldc, int rows, int cols, boolean add, float[] tile);

    @Override
    public final void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda, float[] b,
                           int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        run(transA, transB, m, n, k, a, aOff, lda, b, null, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /** B in BF16: the same blocking and kernel, B widened to float as it is packed (see {@link #packB16}). */
    @Override
    public final void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda, short[] b,
                           int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        run(transA, transB, m, n, k, a, aOff, lda, null, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /** The product with B in exactly one of {@code b} (float) and {@code b16} (BF16). */
    private void run(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda, float[] b,
                     short[] b16, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k <= 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        int threads = Parallel.threads();
        // split the larger side: by columns for a wide output (B is the big operand), else by rows
        if (m < 2 * mr * threads || n >= 2 * nr * threads && n >= m) {
            // split columns in multiples of nr
            // one chunk per thread: a chunk packs its own panels, so more chunks would pack more
            int strips = (n + nr - 1) / nr;
            Parallel.forRange(strips, splitGrain(strips, threads, Math.max(1, 64 / nr)), (s0, s1) -> {
                int j0 = s0 * nr;
                int j1 = Math.min(n, s1 * nr);
                block(transA, transB, 0, m, j0, j1, k, a, aOff, lda, b, b16, bOff, ldb, c, cOff, ldc, accumulate);
            });
        } else {
            int strips = (m + mr - 1) / mr;
            Parallel.forRange(strips, splitGrain(strips, threads, 4), (s0, s1) -> {
                int i0 = s0 * mr;
                int i1 = Math.min(m, s1 * mr);
                block(transA, transB, i0, i1, 0, n, k, a, aOff, lda, b, b16, bOff, ldb, c, cOff, ldc, accumulate);
            });
        }
    }

    /**
     * The grain that cuts {@code strips} into one chunk per thread (none shorter than {@code minimum}):
     * the floor of strips / threads, so that {@link Parallel#chunks} comes to at least the thread count. The
     * ceiling looked the same and was not: with an odd strip count on two threads, strips / ceil is 1, and
     * the vocabulary's weight gradient (50257 rows, 8377 strips) ran on one core.
     */
    static int splitGrain(int strips, int threads, int minimum) {
        return Math.max(minimum, strips / Math.max(1, threads));
    }

    /** The deepest k slice the pack buffers hold: 1.5 kcMax (see {@link #depthOf}). */
    final int depthCapacity() {
        return kcMax + kcMax / 2;
    }

    /**
     * The depth of the k slices that cut {@code k}: equal slices, as few as allow at most 1.5 kcMax each.
     * Every slice reads and writes C once more and packs again; with slices of exactly kcMax, the Llama
     * hidden size (k = 576) was 256 + 256 + 64, and one 576-deep slice measured 7-18% faster on its
     * products (512 x 1536 x 576 and 512 x 192 x 576, two threads), 288 + 288 5% faster.
     */
    int depthOf(int k) {
        int deepest = depthCapacity();
        int slices = (k + deepest - 1) / deepest;
        return (k + slices - 1) / slices;
    }

    /** Columns the B pack buffer holds: whole strips up to 1.5 ncMax (see {@link #panelWidth}). */
    final int panelCapacity() {
        return (ncMax + ncMax / 2 + nr - 1) / nr * nr;
    }

    /**
     * The width of the B panels that cut {@code width} columns: as near {@code ncMax} as equal panels
     * (whole strips) allow, rounding the panel count to nearest rather than up, so up to 1.5 ncMax. Every
     * panel packs the rows of A again, and a thread's half of a 2304-wide output (1152) was a 1024 panel
     * and a 128 one, which packed A twice for an eighth of the work.
     */
    int panelWidth(int width) {
        int panels = Math.max(1, (width + ncMax / 2) / ncMax);
        int strips = (width + nr - 1) / nr;
        return (strips + panels - 1) / panels * nr;
    }

    /** C[i0..i1, j0..j1) (+)= op(A)[i0..i1, :] · op(B)[:, j0..j1) on the calling thread. */
    private void block(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, float[] a, int aOff,
                       int lda, float[] b, short[] b16, int bOff, int ldb, float[] c, int cOff, int ldc,
                       boolean accumulate) {
        float[][] buf = buffers.get();
        float[] aPack = buf[0];
        float[] bPack = buf[1];
        float[] tile = buf[2];
        // a transposed A with short rows is read in place: for one k step a strip's rows are adjacent,
        // op(A)[i][p] = a[aOff + p·lda + i]; otherwise A is packed per block of mcMax rows and one k slice
        // (a plain A read in place would be mr streams a row apart, which measured slower)
        int panel = panelWidth(j1 - j0);
        int depth = depthOf(k);
        for (int jc = j0; jc < j1; jc += panel) {
            int nc = Math.min(panel, j1 - jc);
            for (int pc = 0; pc < k; pc += depth) {
                int kc = Math.min(depth, k - pc);
                boolean add = accumulate || pc > 0;
                if (b16 == null) {
                    packB(transB, b, bOff, ldb, pc, kc, jc, nc, bPack);
                } else {
                    packB16(transB, b16, bOff, ldb, pc, kc, jc, nc, bPack);
                }
                for (int ic = i0; ic < i1; ic += mcMax) {
                    int mc = Math.min(mcMax, i1 - ic);
                    int full = transA && inPlaceTransA && lda <= IN_PLACE_MAX_LDA ? mc / mr * mr : 0;
                    if (full < mc) {
                        // packed: the whole block (plain A) or the bottom strip of fewer than mr rows, zero-padded
                        packA(transA, a, aOff, lda, ic + full, mc - full, pc, kc, aPack);
                    }
                    // one A strip at a time across the whole B panel: the strip stays in L1 while the panel's
                    // strips stream from L2/L3, and each C row is written left to right (a stream the hardware
                    // prefetches); measured 15-20% faster on two threads than the strips of one B column strip
                    // in turn (whose C tiles are 96 rows apart, each a cache miss of its own)
                    for (int ir = 0; ir < mc; ir += mr) {
                        int rows = Math.min(mr, mc - ir);
                        boolean inPlace = ir < full;
                        float[] strip = inPlace ? a : aPack;
                        int aStart = inPlace ? aOff + pc * lda + ic + ir : ((ir - full) / mr) * kc * mr;
                        int aks = inPlace ? lda : mr;
                        int cRow = cOff + (ic + ir) * ldc + jc;
                        for (int jr = 0; jr < nc; jr += nr) {
                            kernel(kc, strip, aStart, aks, bPack, (jr / nr) * kc * nr, c, cRow + jr, ldc, rows,
                                    Math.min(nr, nc - jr), add, tile);
                        }
                    }
                }
            }
        }
    }

    /** aPack: strips of mr rows, each laid out [p][r] for p in 0..kc; rows past mc are zero. */
    private void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] aPack) {
        int strips = (mc + mr - 1) / mr;
        if (transA) {
            // op(A)[i][p] = a[p·lda + i]: row p of a holds the block's mc values for this p, read once, contiguously
            // (one pass over the rows, not one per strip: the rows are far apart, each a new page)
            int full = mc / mr;
            int stripSize = kc * mr;
            for (int p = 0; p < kc; p++) {
                int src = aOff + (p0 + p) * lda + i0;
                int dst = p * mr;
                for (int s = 0; s < full; s++) {
                    int d = s * stripSize + dst;
                    int q = src + s * mr;
                    for (int r = 0; r < mr; r++) {
                        aPack[d + r] = a[q + r];
                    }
                }
                if (full < strips) {
                    int d = full * stripSize + dst;
                    int q = src + full * mr;
                    int rows = mc - full * mr;
                    for (int r = 0; r < mr; r++) {
                        aPack[d + r] = r < rows ? a[q + r] : 0f;
                    }
                }
            }
            return;
        }
        for (int s = 0; s < strips; s++) {
            int base = s * kc * mr;
            int rows = Math.min(mr, mc - s * mr);
            int iStart = i0 + s * mr;
            if (!transA) {
                for (int r = 0; r < mr; r++) {
                    if (r >= rows) {
                        for (int p = 0; p < kc; p++) {
                            aPack[base + p * mr + r] = 0f;
                        }
                    } else {
                        int row = aOff + (iStart + r) * lda + p0;
                        for (int p = 0; p < kc; p++) {
                            aPack[base + p * mr + r] = a[row + p];
                        }
                    }
                }
            } else {
                // op(A)[i][p] = a[p·lda + i]: for one p the strip's rows are adjacent in memory
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + iStart;
                    int dst = base + p * mr;
                    System.arraycopy(a, src, aPack, dst, rows);
                    for (int r = rows; r < mr; r++) {
                        aPack[dst + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Copies one row of a plain B's full strips into the pack: {@code strips x nr} adjacent values from
     * {@code b[src..]}, strip s going to {@code bPack[dst + s·stripSize ..]}. Subclasses with a faster copy
     * (vector loads and stores) override it.
     */
    void packRow(float[] b, int src, float[] bPack, int dst, int strips, int stripSize) {
        for (int s = 0; s < strips; s++) {
            System.arraycopy(b, src + s * nr, bPack, dst + s * stripSize, nr);
        }
    }

    /** bPack: strips of nr columns, each laid out [p][j] for p in 0..kc; columns past nc are zero. */
    private void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] bPack) {
        int strips = (nc + nr - 1) / nr;
        int first = 0;
        if (!transB) {
            // the full strips row by row: each row of B is read once, left to right (a stream the hardware
            // prefetches), where strip by strip read nr values from each of kc rows a page apart; measured
            // 5-10% faster on the forward shapes (256 x 2304 x 768) on two threads
            int full = nc / nr;
            int stripSize = kc * nr;
            for (int p = 0; p < kc; p++) {
                packRow(b, bOff + (p0 + p) * ldb + j0, bPack, p * nr, full, stripSize);
            }
            first = full;
        }
        for (int s = first; s < strips; s++) {
            int base = s * kc * nr;
            int cols = Math.min(nr, nc - s * nr);
            int jStart = j0 + s * nr;
            if (!transB) {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + jStart;
                    int dst = base + p * nr;
                    System.arraycopy(b, src, bPack, dst, cols);
                    for (int j = cols; j < nr; j++) {
                        bPack[dst + j] = 0f;
                    }
                }
            } else {
                for (int j = 0; j < nr; j++) {
                    if (j >= cols) {
                        for (int p = 0; p < kc; p++) {
                            bPack[base + p * nr + j] = 0f;
                        }
                    } else {
                        int src = bOff + (jStart + j) * ldb + p0;
                        for (int p = 0; p < kc; p++) {
                            bPack[base + p * nr + j] = b[src + p];
                        }
                    }
                }
            }
        }
    }

    /**
     * One row of a plain BF16 B's full strips, widened, into the pack (as {@link #packRow}). Subclasses with
     * vector widening override it.
     */
    void packRow16(short[] b, int src, float[] bPack, int dst, int strips, int stripSize) {
        for (int s = 0; s < strips; s++) {
            int from = src + s * nr;
            int to = dst + s * stripSize;
            for (int j = 0; j < nr; j++) {
                bPack[to + j] = HalfFloats.bf16ToFloat(b[from + j]);
            }
        }
    }

    /**
     * {@link #packB} for a BF16 B: the same layout, each value widened as it is copied (exact), so the
     * kernel and its results are those of the float B. A plain B row by row through {@link #packRow16}, a
     * transposed one column of op(B) (a row of B) at a time.
     */
    private void packB16(boolean transB, short[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] bPack) {
        int strips = (nc + nr - 1) / nr;
        int stripSize = kc * nr;
        int first = 0;
        if (!transB) {
            int full = nc / nr;
            for (int p = 0; p < kc; p++) {
                packRow16(b, bOff + (p0 + p) * ldb + j0, bPack, p * nr, full, stripSize);
            }
            first = full;
        }
        for (int s = first; s < strips; s++) {
            int base = s * stripSize;
            int cols = Math.min(nr, nc - s * nr);
            int jStart = j0 + s * nr;
            for (int j = 0; j < nr; j++) {
                // op(B)[p][jStart + j]: along a row of B when transposed, down a column of it when not
                int src = transB ? bOff + (jStart + j) * ldb + p0 : bOff + p0 * ldb + jStart + j;
                int step = transB ? 1 : ldb;
                for (int p = 0; p < kc; p++) {
                    bPack[base + p * nr + j] = j < cols ? HalfFloats.bf16ToFloat(b[src + p * step]) : 0f;
                }
            }
        }
    }

    /** Writes a computed tile (mr x nr, row-major in {@code tile}) into C. */
    static void store(float[] tile, int nr, float[] c, int cOff, int ldc, int rows, int cols, boolean add) {
        for (int r = 0; r < rows; r++) {
            int o = cOff + r * ldc;
            int t = r * nr;
            if (add) {
                for (int j = 0; j < cols; j++) {
                    c[o + j] += tile[t + j];
                }
            } else {
                System.arraycopy(tile, t, c, o, cols);
            }
        }
    }
}
