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

    /** Chunks per thread a range is cut into at most: a thread the OS deschedules leaves its chunks to the others. */
    private static final int CHUNKS_PER_THREAD = 4;

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@value #CHUNKS_PER_THREAD} x
     * {@link #threads()} contiguous chunks, each at least {@code grain} long (the pool's workers take
     * them as they come, so a busy or descheduled worker does not hold the others up); runs inline when
     * one chunk suffices or when called from a task of the pool (nested calls do not split again). The
     * fork/join tasks are the calling thread's own, reused from call to call, so a call allocates nothing
     * beyond the caller's {@code body}. Bodies must not depend on where the range is cut.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.min(CHUNKS_PER_THREAD * threads(), Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL) {
            body.run(0, n);
            return;
        }
        Region region = REGIONS.get();
        region.set(body, n, chunks);
        try {
            POOL.invoke(region);
        } finally {
            region.clear();
        }
    }

    private static final ThreadLocal<Region> REGIONS = ThreadLocal.withInitial(Region::new);

    /** One calling thread's root task and chunk tasks, reinitialised for each call. */
    private static final class Region extends RecursiveAction {
        private final Chunk[] chunkTasks = new Chunk[Math.max(0, CHUNKS_PER_THREAD * Math.max(1, THREADS) - 1)];
        private RangeBody body;
        private int n;
        private int chunks;

        Region() {
            for (int i = 0; i < chunkTasks.length; i++) {
                chunkTasks[i] = new Chunk();
            }
        }

        void set(RangeBody body, int n, int chunks) {
            reinitialize();
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        void clear() {
            body = null;
            for (Chunk c : chunkTasks) {
                c.body = null;
            }
        }

        @Override
        protected void compute() {
            int forked = 0;
            Throwable failure = null;
            try {
                for (int c = 1; c < chunks; c++) {
                    Chunk t = chunkTasks[c - 1];
                    t.reinitialize();
                    t.body = body;
                    t.from = (int) ((long) n * c / chunks);
                    t.to = (int) ((long) n * (c + 1) / chunks);
                    t.fork();
                    forked++;
                }
                body.run(0, (int) ((long) n / chunks));
            } catch (Throwable e) {
                failure = e;
            }
            // Every chunk ends before the tasks can be reused, even when one of them threw. Not by join():
            // a joiner parks on a waiter node that the task's completion unlinks and unparks; a reused task
            // object can still be finishing the signal of its previous run while this run's joiner links its
            // node, and that late signal takes the node and wakes the joiner too early, which then parks with
            // no node left to wake it: a lost wake-up, a step hung for good (seen once in a CI run). So the
            // chunks still in this thread's queue run here, and the stolen ones are awaited by their status.
            for (int c = forked - 1; c >= 0; c--) {
                Chunk t = chunkTasks[c];
                if (t.tryUnfork()) {
                    try {
                        t.body.run(t.from, t.to);
                    } catch (Throwable e) {
                        failure = failure == null ? e : failure;
                    }
                    continue;
                }
                for (int spins = 0; !t.isDone(); spins++) {
                    if (spins < 256) {
                        Thread.onSpinWait();
                    } else {
                        java.util.concurrent.locks.LockSupport.parkNanos(this, 20_000L);
                    }
                }
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
        RangeBody body;
        int from;
        int to;

        @Override
        protected void compute() {
            body.run(from, to);
        }
    }
}
