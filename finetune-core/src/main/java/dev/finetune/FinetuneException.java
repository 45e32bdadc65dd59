package dev.finetune;

/**
 * Root of every exception this library throws. Unchecked, so that no checked exception leaks from the
 * fluent API; subclasses say what went wrong (bad request, not found, I/O, validation, ...).
 */
public class FinetuneException extends RuntimeException {
    public FinetuneException(String message) {
        super(message);
    }

    public FinetuneException(String message, Throwable cause) {
        super(message, cause);
    }
}
