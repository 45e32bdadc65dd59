package dev.finetune;

/** A dataset, model or other resource that does not exist. */
public class NotFoundException extends FinetuneException {
    public NotFoundException(String message) {
        super(message);
    }

    public NotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
