package dev.finetune.validation;

/** A record that breaks a rule; its message is one of {@link Messages}. Cheap: no stack trace. */
final class RowError extends Exception {
    RowError(String message) {
        super(message, null, false, false);
    }
}
