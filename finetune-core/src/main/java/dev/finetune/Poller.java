package dev.finetune;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The polling loop behind every {@code co.wait(...)}: fetch, stop on a terminal value, else sleep the
 * interval, until the optional timeout. One loop for datasets and fine-tuned models alike.
 */
final class Poller {
    /** The service SDK's default polling interval. */
    static final Duration DEFAULT_INTERVAL = WaitOptions.DEFAULT_INTERVAL;

    private Poller() {
    }

    /**
     * Polls {@code fetch} until {@code terminal} holds and returns that value.
     *
     * @throws WaitTimeoutException when {@code timeout} passes first
     */
    static <T> T until(Supplier<T> fetch, Predicate<T> terminal, Duration interval, Optional<Duration> timeout) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative()) {
            throw new BadRequestException("interval: " + interval + " is out of range; allowed 0 or more");
        }
        long deadline = timeout.map(t -> System.nanoTime() + t.toNanos()).orElse(Long.MAX_VALUE);
        while (true) {
            T value = fetch.get();
            if (terminal.test(value)) {
                return value;
            }
            long left = deadline - System.nanoTime();
            if (timeout.isPresent() && left <= 0) {
                throw new WaitTimeoutException(timeout.get());
            }
            long sleep = Math.min(interval.toNanos(), timeout.isPresent() ? left : Long.MAX_VALUE);
            try {
                Thread.sleep(sleep / 1_000_000L, (int) (sleep % 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FinetuneException("wait interrupted", e);
            }
        }
    }
}
