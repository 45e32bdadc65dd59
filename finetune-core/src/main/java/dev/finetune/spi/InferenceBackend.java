package dev.finetune.spi;

import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import java.util.function.Consumer;

/**
 * Answers requests with models: base models by name, HuggingFace folders by path, fine-tuned models
 * by {@code "<id>-ft"}. {@code finetune-train} provides one through {@link InferenceBackendFactory};
 * implementations are thread-safe.
 */
public interface InferenceBackend extends AutoCloseable {

    ChatResponse chat(ChatRequest request);

    /** Streams text deltas, then one end event, to {@code events} on the calling thread. */
    void chatStream(ChatRequest request, Consumer<ChatStreamEvent> events);

    GenerateResponse generate(GenerateRequest request);

    /** Forgets a cached model (after it was deleted or replaced). */
    void evict(String model);

    @Override
    default void close() {
    }
}
