package dev.finetune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ModelCacheTest {

    @Test
    void evictsTheLeastRecentlyUsedBeyondTheByteBound() {
        ModelCache<long[]> cache = new ModelCache<>(100, a -> a[0]);
        cache.get("a", k -> new long[] {40});
        cache.get("b", k -> new long[] {40});
        cache.get("a", k -> new long[] {999}); // a is now the most recent
        cache.get("c", k -> new long[] {40});  // 120 > 100: b goes
        assertTrue(cache.contains("a"));
        assertFalse(cache.contains("b"));
        assertTrue(cache.contains("c"));
        assertEquals(80, cache.bytes());
    }

    @Test
    void aValueLargerThanTheBoundIsKeptAlone() {
        ModelCache<long[]> cache = new ModelCache<>(100, a -> a[0]);
        cache.get("a", k -> new long[] {10});
        long[] big = cache.get("big", k -> new long[] {500});
        assertEquals(500, big[0]);
        assertEquals(1, cache.size());
        assertTrue(cache.contains("big"));
    }

    @Test
    void concurrentRequestsLoadOnce() throws Exception {
        ModelCache<Object> cache = new ModelCache<>(1000, o -> 1);
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Object>> fs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                fs.add(pool.submit(() -> {
                    start.await();
                    return cache.get("m", k -> {
                        loads.incrementAndGet();
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return new Object();
                    });
                }));
            }
            start.countDown();
            Object first = fs.get(0).get();
            for (Future<Object> f : fs) {
                assertSame(first, f.get());
            }
            assertEquals(1, loads.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void invalidateForgetsAndReloads() {
        ModelCache<long[]> cache = new ModelCache<>(100, a -> a[0]);
        cache.get("a", k -> new long[] {10, 1});
        cache.invalidate("a");
        assertEquals(0, cache.bytes());
        assertEquals(2, cache.get("a", k -> new long[] {10, 2})[1]);
    }
}
