package dev.finetune;

/** A request that breaks a documented rule (an out-of-range hyperparameter, a missing field); the message names the field, the value and the rule. */
public class BadRequestException extends FinetuneException {
    public BadRequestException(String message) {
        super(message);
    }

    public BadRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
