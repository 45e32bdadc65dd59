package dev.finetune.server;

import java.util.Optional;

/** An answer other than 2xx, with the service's body {@code {"message": ...}}; thrown inside a handler. */
final class ApiError extends RuntimeException {
    final int status;
    final Optional<Integer> retryAfterSeconds;

    ApiError(int status, String message) {
        this(status, message, Optional.empty());
    }

    ApiError(int status, String message, Optional<Integer> retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }
}
