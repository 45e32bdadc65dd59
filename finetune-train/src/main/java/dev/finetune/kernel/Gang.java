package dev.finetune.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Low-latency parallel loops for chains of short passes: the decode step runs some 60 (GPT-2) to 150
 * (SmolLM2) parallel products per token, each a few hundred microseconds, and a fork/join round trip
 * through {@link Parallel}'s pool costs about 20 µs of wake-ups (measured here), a tenth of a token's time.
 * The gang keeps {@code threads - 1} helper threads that, after a pass, spin for a short while
 * ({@code finetune.spinMicros}, default 20 µs) waiting for the next one before they park, and a caller
 * waiting for a helper's last chunk spins as long before it parks: passes that follow each other closely
 * hand over in about a microsecond, while on a busy machine (more runnable threads than cores) nobody
 * burns a time slice waiting for a thread the OS has descheduled. Idle, the helpers cost nothing.
 *
 * <p>A pass is cut into a few chunks per thread that the caller and the helpers take in turn, so a helper
 * the OS has descheduled (a busy machine) delays only the chunk it holds. One caller at a time owns the
 * gang; a second caller meanwhile, or a call from inside a pass, uses {@link Parallel#forRange} (which
 * runs nested calls inline).
 */
final class Gang {
    private static final long SPIN_NANOS = Math.max(0, Long.getLong("finetune.spinMicros", 20)) * 1000;
    private static final int CHUNKS_PER_THREAD = Integer.getInteger("finetune.gangChunks", 4);
    private static final Gang INSTANCE = Parallel.threads() > 1 && Boolean.getBoolean("finetune.gang")
            ? new Gang(Parallel.threads() - 1) : null;

    private final ReentrantLock owner = new ReentrantLock();
    private final Helper[] helpers;
    private final AtomicReference<Job> job = new AtomicReference<>();

    private Gang(int n) {
        helpers = new Helper[n];
        for (int i = 0; i < n; i++) {
            helpers[i] = new Helper(this, i);
            helpers[i].start();
        }
    }

    /** One pass: chunks of [0, n) handed out in order. */
    private static final class Job {
        final Parallel.RangeBody body;
        final int n;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;
        /** The caller, once it parks waiting for the last chunks. */
        volatile Thread waiter;

        Job(Parallel.RangeBody body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        /** Takes and runs chunks until none is left. */
        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    if (failure == null) {
                        body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                    }
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    if (done.incrementAndGet() == chunks) {
                        Thread w = waiter;
                        if (w != null) {
                            LockSupport.unpark(w);
                        }
                    }
                }
            }
        }
    }

    private static final class Helper extends Thread {
        private final Gang gang;
        volatile boolean parked;

        Helper(Gang gang, int index) {
            super("finetune-gang-" + index);
            this.gang = gang;
            setDaemon(true);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (true) {
                Job j = gang.job.get();
                if (j != null && j.next.get() < j.chunks) {
                    j.work();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    if (gang.job.get() == null) {
                        LockSupport.park(gang);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} on the gang, the calling
     * thread taking chunks too; returns when every chunk ran (rethrowing the first failure).
     */
    static void forRange(int n, int grain, Parallel.RangeBody body) {
        int chunks = Math.min(n / Math.max(1, grain), Parallel.threads() * CHUNKS_PER_THREAD);
        if (chunks <= 1 || n <= 1) {
            body.run(0, n);
            return;
        }
        Gang g = INSTANCE;
        if (g == null || g.owner.isHeldByCurrentThread() || Thread.currentThread() instanceof Helper || !g.owner.tryLock()) {
            Parallel.forRange(n, grain, body);
            return;
        }
        try {
            Job j = new Job(body, n, chunks);
            g.job.set(j);
            for (Helper h : g.helpers) {
                if (h.parked) {
                    LockSupport.unpark(h);
                }
            }
            j.work();
            long start = System.nanoTime();
            while (j.done.get() < chunks && System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            }
            if (j.done.get() < chunks) {
                // a helper still holds a chunk (perhaps descheduled on a busy machine): sleep until it is done
                j.waiter = Thread.currentThread();
                while (j.done.get() < chunks) {
                    LockSupport.park(j);
                }
            }
            Throwable t = j.failure;
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        } finally {
            g.job.set(null); // the finished pass's body (and what it holds) is not kept
            g.owner.unlock();
        }
    }
}
