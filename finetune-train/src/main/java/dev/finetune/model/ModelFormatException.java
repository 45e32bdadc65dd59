package dev.finetune.model;

import dev.finetune.FinetuneException;

/** A model folder whose {@code config.json} or weights this library cannot use; the message names the file, the key or tensor, and the rule. */
public class ModelFormatException extends FinetuneException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
