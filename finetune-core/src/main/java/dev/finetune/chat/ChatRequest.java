package dev.finetune.chat;

import dev.finetune.Ranges;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A v2 chat request. {@code model} is a fine-tuned model's {@code "<id>-ft"} or a base model name.
 * Ranges as the service documented them: {@code temperature} 0..1 (our sampler accepts up to 5),
 * {@code p} 0.01..0.99, {@code k} 0..500; {@code max_tokens} at least 1.
 */
public record ChatRequest(String model, List<ChatMessage> messages, Optional<Integer> maxTokens,
                          Optional<Float> temperature, Optional<Float> p, Optional<Integer> k,
                          Optional<Long> seed, List<String> stopSequences, boolean returnPrompt) {

    /** A request that does not ask for the rendered prompt back. */
    public ChatRequest(String model, List<ChatMessage> messages, Optional<Integer> maxTokens,
                       Optional<Float> temperature, Optional<Float> p, Optional<Integer> k,
                       Optional<Long> seed, List<String> stopSequences) {
        this(model, messages, maxTokens, temperature, p, k, seed, stopSequences, false);
    }

    public ChatRequest {
        Objects.requireNonNull(model, "model");
        messages = List.copyOf(messages);
        stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
        maxTokens = maxTokens == null ? Optional.empty() : maxTokens;
        temperature = temperature == null ? Optional.empty() : temperature;
        p = p == null ? Optional.empty() : p;
        k = k == null ? Optional.empty() : k;
        seed = seed == null ? Optional.empty() : seed;
        if (model.isBlank()) {
            throw Ranges.invalid("model", "must not be blank");
        }
        if (messages.isEmpty()) {
            throw Ranges.invalid("messages", "must hold at least one message");
        }
        maxTokens.ifPresent(v -> Ranges.atLeast("max_tokens", v, 1));
        temperature.ifPresent(v -> Ranges.check("temperature", v, 0f, 5f));
        p.ifPresent(v -> Ranges.check("p", v, 0.01f, 0.99f));
        k.ifPresent(v -> Ranges.check("k", v, 0, 500));
    }

    public static ModelStage builder() {
        return new Builder();
    }

    /** Required: the model. */
    public interface ModelStage {
        MessagesStage model(String model);
    }

    /** Required: the conversation. */
    public interface MessagesStage {
        Builder messages(List<ChatMessage> messages);
    }

    /** Optional settings, then {@link #build()}. */
    public static final class Builder implements ModelStage, MessagesStage {
        private String model;
        private List<ChatMessage> messages = new ArrayList<>();
        private Integer maxTokens;
        private Float temperature;
        private Float p;
        private Integer k;
        private Long seed;
        private List<String> stopSequences = List.of();
        private boolean returnPrompt;

        private Builder() {
        }

        @Override
        public MessagesStage model(String model) {
            this.model = model;
            return this;
        }

        @Override
        public Builder messages(List<ChatMessage> messages) {
            this.messages = messages;
            return this;
        }

        public Builder maxTokens(int v) {
            this.maxTokens = v;
            return this;
        }

        public Builder temperature(float v) {
            this.temperature = v;
            return this;
        }

        public Builder p(float v) {
            this.p = v;
            return this;
        }

        public Builder k(int v) {
            this.k = v;
            return this;
        }

        public Builder seed(long v) {
            this.seed = v;
            return this;
        }

        public Builder stopSequences(List<String> v) {
            this.stopSequences = v;
            return this;
        }

        /**
         * {@code return_prompt}: the response carries the prompt exactly as the model saw it (the
         * rendered chat template, preamble included).
         */
        public Builder returnPrompt(boolean v) {
            this.returnPrompt = v;
            return this;
        }

        public ChatRequest build() {
            return new ChatRequest(model, messages, Optional.ofNullable(maxTokens), Optional.ofNullable(temperature),
                    Optional.ofNullable(p), Optional.ofNullable(k), Optional.ofNullable(seed), stopSequences, returnPrompt);
        }
    }
}
