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
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS),
            pool -> {
                var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setName("finetune-kernel-" + t.getPoolIndex());
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

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks,
     * each at least {@code grain} long; runs inline when one chunk suffices.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.min(threads(), Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL) {
            body.run(0, n);
            return;
        }
        POOL.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks - 1];
                for (int c = 1; c < chunks; c++) {
                    int from = (int) ((long) n * c / chunks);
                    int to = (int) ((long) n * (c + 1) / chunks);
                    tasks[c - 1] = ForkJoinTask.adapt(() -> body.run(from, to)).fork();
                }
                body.run(0, (int) ((long) n / chunks));
                for (ForkJoinTask<?> t : tasks) {
                    t.join();
                }
            }
        });
    }
}
