package dev.finetune.server;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code concurrent} model calls at once and at most {@code queued} more waiting for a slot:
 * a request beyond both is refused at once with 429 and {@code Retry-After}, one that waits longer
 * than the queue time-out with 503. Slots are handed out in arrival order (a fair semaphore).
 */
final class GenerationGate {
    private final Semaphore slots;
    private final int concurrent;
    private final int queued;
    private final Duration timeout;
    private final AtomicInteger admitted = new AtomicInteger();

    GenerationGate(int concurrent, int queued, Duration timeout) {
        this.slots = new Semaphore(concurrent, true);
        this.concurrent = concurrent;
        this.queued = queued;
        this.timeout = timeout;
    }

    /** A held slot; close it to give the slot back. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    Slot acquire() {
        if (admitted.incrementAndGet() > concurrent + queued) {
            admitted.decrementAndGet();
            throw new ApiError(429, "too many concurrent generations: " + concurrent + " run and " + queued
                    + " wait at most; retry later", Optional.of(1));
        }
        boolean got = false;
        try {
            got = slots.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!got) {
                admitted.decrementAndGet();
            }
        }
        if (!got) {
            throw new ApiError(503, "no generation slot became free within " + timeout.toSeconds() + " s; retry later",
                    Optional.of(5));
        }
        return () -> {
            slots.release();
            admitted.decrementAndGet();
        };
    }

    /** Requests running or waiting now. */
    int admitted() {
        return admitted.get();
    }
}
