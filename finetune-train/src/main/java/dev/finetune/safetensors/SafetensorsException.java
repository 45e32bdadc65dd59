package dev.finetune.safetensors;

import dev.finetune.FinetuneException;

/** A safetensors file that is truncated, corrupt or not what the caller asked for; the message names the file and the tensor. */
public class SafetensorsException extends FinetuneException {
    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
