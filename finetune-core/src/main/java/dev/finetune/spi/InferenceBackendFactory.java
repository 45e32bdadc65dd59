package dev.finetune.spi;

import dev.finetune.workspace.Workspace;

/**
 * Creates the {@link InferenceBackend} of a client on its workspace. Found through
 * {@link java.util.ServiceLoader}; {@code finetune-train} registers the local one.
 */
public interface InferenceBackendFactory {
    InferenceBackend create(Workspace workspace, ModelLookup models);
}
