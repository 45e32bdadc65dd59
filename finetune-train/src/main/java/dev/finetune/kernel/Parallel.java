package dev.finetune.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The library's own pool for kernels, sized to the machine (the common ForkJoinPool has a single worker
 * on a 2-core machine). Override the size with the system property {@code finetune.threads}.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("finetune.threads",
            Runtime.getRuntime().availableProcessors());
    /** Numbers the workers' names (a worker's pool index is not yet assigned when the factory runs: all were "-0"). */
    private static final java.util.concurrent.atomic.AtomicInteger WORKERS = new java.util.concurrent.atomic.AtomicInteger();
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS),
            pool -> {
                var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setName("finetune-kernel-" + WORKERS.getAndIncrement());
                t.setDaemon(true);
                return t;
            }, null, false);

    private Parallel() {
    }

    /** A body run over a half-open range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static int threads() {
        return POOL.getParallelism();
    }

    /** Chunks per thread a range is cut into at most: a thread the OS deschedules leaves its chunks to the others. */
    private static final int CHUNKS_PER_THREAD = 4;

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@value #CHUNKS_PER_THREAD} x
     * {@link #threads()} contiguous chunks, each at least {@code grain} long (the pool's workers take
     * them as they come, so a busy or descheduled worker does not hold the others up); runs inline when
     * one chunk suffices or when called from a task of the pool (nested calls do not split again).
     * Bodies must not depend on where the range is cut. Every chunk has ended when this returns, also
     * when one of them threw; the first exception is then rethrown.
     *
     * <p>Each call makes its own task objects (a handful of small ones, nothing next to a kernel's
     * work). Reusing them from call to call was tried and lost wake-ups: a task's completion can still
     * be signalling the waiters of its previous run when the next run's joiner starts to wait on it,
     * and that late signal consumes the new waiter, which then parks for good.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = chunks(n, grain, threads());
        if (chunks <= 1 || ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL) {
            body.run(0, n);
            return;
        }
        POOL.invoke(new Region(body, n, chunks));
    }

    /** How many chunks {@link #forRange} cuts {@code [0, n)} into with this grain on {@code threads} threads. */
    static int chunks(int n, int grain, int threads) {
        return Math.min(CHUNKS_PER_THREAD * threads, Math.max(1, n / Math.max(1, grain)));
    }

    /** The root task of one call: forks chunks 1.., runs chunk 0 itself, then waits for the rest. */
    private static final class Region extends RecursiveAction {
        private final RangeBody body;
        private final int n;
        private final int chunks;

        Region(RangeBody body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        @Override
        protected void compute() {
            Chunk[] forked = new Chunk[chunks - 1];
            int count = 0;
            Throwable failure = null;
            try {
                for (int c = 1; c < chunks; c++) {
                    Chunk t = new Chunk(body, (int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                    t.fork();
                    forked[count++] = t;
                }
                body.run(0, (int) ((long) n / chunks));
            } catch (Throwable e) {
                failure = e;
            }
            for (int c = count - 1; c >= 0; c--) {
                Chunk t = forked[c];
                t.quietlyJoin();
                if (t.isCompletedAbnormally() && failure == null) {
                    failure = t.getException();
                }
            }
            if (failure instanceof RuntimeException r) {
                throw r;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
        }
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int from;
        private final int to;

        Chunk(RangeBody body, int from, int to) {
            this.body = body;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() {
            body.run(from, to);
        }
    }
}
