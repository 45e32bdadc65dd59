package dev.finetune;

import java.time.Duration;

/** {@code co.wait(...)} gave up: "wait timed out after N seconds". */
public class WaitTimeoutException extends FinetuneException {
    private final Duration timeout;

    public WaitTimeoutException(Duration timeout) {
        super("wait timed out after " + timeout.toSeconds() + " seconds");
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }
}
