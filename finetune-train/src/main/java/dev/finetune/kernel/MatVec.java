package dev.finetune.kernel;

/**
 * Matrix-vector products split by output rows across the library's pool ({@link Parallel}), for the
 * decode step: each thread streams its own rows of the weights. Rows are handed out in groups of four;
 * a product too small to be worth a second thread runs on the caller.
 *
 * <p>A pool round trip costs about 20 µs of wake-ups here, some 60 (GPT-2) to 150 (SmolLM2) of them a
 * token. Helpers that spin between passes (as ggml's do) hand over faster on an idle machine, but on this
 * shared one (more runnable threads than cores) a spinning helper took the time slices its caller needed:
 * tried, it made decoding 3x slower, so the pool's parking hand-over stays.
 */
public final class MatVec {
    /** Below this many weights a product runs on the calling thread. */
    static final int MIN_PARALLEL_WEIGHTS = 1 << 15;

    private MatVec() {
    }

    /** {@code y[yOff + r] = Σ_c W[r, c]·x[xOff + c]} for every row of W. */
    public static void multiply(WeightMatrix w, float[] x, int xOff, float[] y, int yOff) {
        multiply(w, x, xOff, y, yOff, null);
    }

    /**
     * As {@link #multiply(WeightMatrix, float[], int, float[], int)}, then {@code after.run(r0, r1)} on the
     * thread that computed rows {@code [r0, r1)}, for elementwise work on those outputs (a bias, an
     * activation, a residual add) while they are in that core's cache; null for none.
     */
    public static void multiply(WeightMatrix w, float[] x, int xOff, float[] y, int yOff, Parallel.RangeBody after) {
        int rows = w.rows();
        int quads = (rows + 3) / 4;
        int grain = grain(rows, w.cols());
        Parallel.forRange(quads, grain, (q0, q1) -> {
            int r0 = 4 * q0;
            int r1 = Math.min(rows, 4 * q1);
            w.multiply(x, xOff, y, yOff, r0, r1);
            if (after != null) {
                after.run(r0, r1);
            }
        });
    }

    /**
     * Two products over the same input and row count in one pass ({@code ya = A·x}, {@code yb = B·x};
     * gate and up), then {@code after.run(r0, r1)} on the thread that computed rows {@code [r0, r1)} of both.
     */
    public static void multiply(WeightMatrix a, WeightMatrix b, float[] x, float[] ya, float[] yb, Parallel.RangeBody after) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException("paired products need equal shapes: " + a.rows() + " x " + a.cols() + " and "
                    + b.rows() + " x " + b.cols());
        }
        int rows = a.rows();
        int quads = (rows + 3) / 4;
        int grain = grain(rows, 2 * a.cols());
        Parallel.forRange(quads, grain, (q0, q1) -> {
            int r0 = 4 * q0;
            int r1 = Math.min(rows, 4 * q1);
            a.multiply(x, 0, ya, 0, r0, r1);
            b.multiply(x, 0, yb, 0, r0, r1);
            if (after != null) {
                after.run(r0, r1);
            }
        });
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} on the decode step's
     * threads (the caller among them), for the step's other parallel loops (attention over heads).
     */
    public static void forRange(int n, int grain, Parallel.RangeBody body) {
        Parallel.forRange(n, grain, body);
    }

    /** Quads of rows per task: all of them (one task) when the product is small. */
    private static int grain(int rows, int cols) {
        int quads = (rows + 3) / 4;
        long weights = (long) rows * cols;
        if (weights < MIN_PARALLEL_WEIGHTS) {
            return Math.max(1, quads);
        }
        return Math.max(1, MIN_PARALLEL_WEIGHTS / 4 / Math.max(1, cols));
    }
}
