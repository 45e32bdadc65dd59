package dev.finetune.spi;

import dev.finetune.chat.ChatRequest;
import dev.finetune.classify.ClassifyRequest;
import dev.finetune.classify.ClassifyResponse;
import dev.finetune.chat.ChatResponse;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import dev.finetune.rerank.RerankRequest;
import dev.finetune.rerank.RerankResponse;
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

    /** Documents ordered by a rerank model's relevance scores. */
    RerankResponse rerank(RerankRequest request);

    /** Labels for each input from a classification model. */
    ClassifyResponse classify(ClassifyRequest request);

    /** Forgets a cached model (after it was deleted or replaced). */
    void evict(String model);

    @Override
    default void close() {
    }
}
