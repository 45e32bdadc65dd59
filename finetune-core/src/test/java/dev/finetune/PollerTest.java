package dev.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PollerTest {
    @Test
    void returnsTheFirstTerminalValue() {
        AtomicInteger n = new AtomicInteger();
        assertEquals(3, Poller.until(n::incrementAndGet, v -> v >= 3, Duration.ZERO, Optional.empty()));
    }

    @Test
    void timesOutWithTheDocumentedMessage() {
        WaitTimeoutException e = assertThrows(WaitTimeoutException.class,
                () -> Poller.until(() -> 0, v -> false, Duration.ofMillis(50), Optional.of(Duration.ofSeconds(1))));
        assertEquals("wait timed out after 1 seconds", e.getMessage());
    }
}
