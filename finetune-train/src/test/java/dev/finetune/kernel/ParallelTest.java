package dev.finetune.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Parallel#forRange}: every index run exactly once, whatever the cut, from several calling
 * threads at once (the pattern that once lost a wake-up when tasks were reused), and
 * a chunk's exception reaches the caller with the other chunks finished first.
 */
class ParallelTest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void manyCallsFromSeveralThreadsCoverEveryIndexOnce() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int seed = t;
                done.add(callers.submit(() -> {
                    for (int call = 0; call < 20_000; call++) {
                        int n = 1 + (call * 7919 + seed * 104729) % 257;
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        Parallel.forRange(n, 1, (from, to) -> {
                            for (int i = from; i < to; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits.get(i), "index " + i + " of " + n + " at call " + call);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void eachWorkerHasItsOwnName() {
        java.util.Map<String, java.util.Set<Long>> idsByName = new java.util.concurrent.ConcurrentHashMap<>();
        for (int call = 0; call < 200; call++) {
            Parallel.forRange(64 * Parallel.threads(), 1, (from, to) -> idsByName
                    .computeIfAbsent(Thread.currentThread().getName(), k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
                    .add(Thread.currentThread().getId()));
        }
        idsByName.forEach((name, ids) -> assertEquals(1, ids.size(), name + " names threads " + ids));
    }

    @Test
    void aChunksExceptionReachesTheCallerAndTheNextCallStillWorks() {
        IllegalArgumentException boom = new IllegalArgumentException("chunk failed");
        int n = 64 * Parallel.threads();
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> Parallel.forRange(n, 1, (from, to) -> {
            if (to == n) {
                throw boom; // the last chunk, a forked one whenever the range is cut
            }
        }));
        if (Parallel.threads() > 1) {
            assertSame(boom.getClass(), thrown.getClass());
        }
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        Parallel.forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i));
        }
    }
}
