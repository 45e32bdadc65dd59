package dev.finetune;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@code co.wait(...)} polls: every {@code interval} (default 2 s), for at most {@code timeout}
 * (default: no limit; past it, a {@link WaitTimeoutException}).
 *
 * <pre>{@code co.wait(created, WaitOptions.timeout(Duration.ofMinutes(30)).interval(Duration.ofMillis(200)))}</pre>
 */
public record WaitOptions(Optional<Duration> timeout, Duration interval) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

    public WaitOptions {
        timeout = timeout == null ? Optional.empty() : timeout;
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative()) {
            throw Ranges.invalid("interval", "must not be negative, got " + interval);
        }
        timeout.ifPresent(t -> {
            if (t.isNegative()) {
                throw Ranges.invalid("timeout", "must not be negative, got " + t);
            }
        });
    }

    /** No time limit, every 2 seconds. */
    public static WaitOptions defaults() {
        return new WaitOptions(Optional.empty(), DEFAULT_INTERVAL);
    }

    /** At most {@code timeout}, every 2 seconds. */
    public static WaitOptions timeout(Duration timeout) {
        return new WaitOptions(Optional.of(timeout), DEFAULT_INTERVAL);
    }

    public WaitOptions interval(Duration every) {
        return new WaitOptions(timeout, every);
    }
}
