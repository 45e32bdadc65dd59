package dev.finetune.validation;

/** A record that breaks a rule; its message is one of {@link Messages}. Cheap: no stack trace. */
final class RowError extends Exception {
    private final String located;

    RowError(String message) {
        this(message, null);
    }

    /**
     * @param message the documented text, word for word
     * @param located the same with where it happened, listed among the warnings when the documented
     *                text itself names no line
     */
    RowError(String message, String located) {
        super(message, null, false, false);
        this.located = located;
    }

    /** The located form, or null when the message already says where. */
    String located() {
        return located;
    }
}
