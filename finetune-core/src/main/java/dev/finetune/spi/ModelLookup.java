package dev.finetune.spi;

import java.nio.file.Path;

/**
 * How the inference side finds a fine-tuned model's files: the folder of {@code "<id>-ft"} once it is
 * ready to serve, or an error that names its status.
 */
@FunctionalInterface
public interface ModelLookup {
    /**
     * The folder of fine-tuned model {@code id} (without the {@code -ft} suffix).
     *
     * @throws dev.finetune.NotFoundException   when there is no such model
     * @throws dev.finetune.BadRequestException when it exists but is not ready (the message names its status)
     */
    Path readyModelDir(String id);

    /**
     * The servable folder of kept checkpoint {@code step} of model {@code id}
     * ({@code "<id>-ft:ckpt-step-<step>"}), exported on first use.
     *
     * @throws dev.finetune.NotFoundException when the model kept no such checkpoint
     */
    default Path checkpointModelDir(String id, int step) {
        throw new dev.finetune.NotFoundException("no checkpoint " + step + " of fine-tuned model " + id);
    }

    /** A lookup for a client without fine-tuned models. */
    ModelLookup NONE = id -> {
        throw new dev.finetune.NotFoundException("no fine-tuned model " + id + "-ft");
    };
}
