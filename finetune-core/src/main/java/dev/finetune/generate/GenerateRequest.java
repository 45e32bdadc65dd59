package dev.finetune.generate;

import dev.finetune.BadRequestException;
import dev.finetune.Ranges;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A (legacy) generate request: a prompt and a model. {@code max_tokens} may be 0 with
 * {@link ReturnLikelihoods#ALL} to score the prompt only. Ranges as documented: {@code temperature}
 * 0..5, {@code p} 0.01..0.99, {@code k} 0..500.
 */
public record GenerateRequest(String prompt, String model, Optional<Integer> maxTokens, Optional<Float> temperature,
                              Optional<Float> p, Optional<Integer> k, Optional<Long> seed,
                              ReturnLikelihoods returnLikelihoods, List<String> stopSequences) {

    public GenerateRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(model, "model");
        maxTokens = maxTokens == null ? Optional.empty() : maxTokens;
        temperature = temperature == null ? Optional.empty() : temperature;
        p = p == null ? Optional.empty() : p;
        k = k == null ? Optional.empty() : k;
        seed = seed == null ? Optional.empty() : seed;
        returnLikelihoods = returnLikelihoods == null ? ReturnLikelihoods.NONE : returnLikelihoods;
        stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
        if (prompt.isEmpty()) {
            throw Ranges.invalid("prompt", "must not be empty");
        }
        int min = returnLikelihoods == ReturnLikelihoods.ALL ? 0 : 1;
        if (maxTokens.isPresent() && maxTokens.get() < min) {
            throw new BadRequestException("max_tokens: " + maxTokens.get() + " is outside the allowed range " + min
                    + " or more" + (min == 0 ? "" : " (0 is allowed only with return_likelihoods ALL)"));
        }
        temperature.ifPresent(v -> Ranges.check("temperature", v, 0f, 5f));
        p.ifPresent(v -> Ranges.check("p", v, 0.01f, 0.99f));
        k.ifPresent(v -> Ranges.check("k", v, 0, 500));
    }

    public static PromptStage builder() {
        return new Builder();
    }

    /** Required: the prompt. */
    public interface PromptStage {
        ModelStage prompt(String prompt);
    }

    /** Required: the model. */
    public interface ModelStage {
        Builder model(String model);
    }

    /** Optional settings, then {@link #build()}. */
    public static final class Builder implements PromptStage, ModelStage {
        private String prompt;
        private String model;
        private Integer maxTokens;
        private Float temperature;
        private Float p;
        private Integer k;
        private Long seed;
        private ReturnLikelihoods returnLikelihoods = ReturnLikelihoods.NONE;
        private List<String> stopSequences = List.of();

        private Builder() {
        }

        @Override
        public ModelStage prompt(String prompt) {
            this.prompt = prompt;
            return this;
        }

        @Override
        public Builder model(String model) {
            this.model = model;
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

        public Builder returnLikelihoods(ReturnLikelihoods v) {
            this.returnLikelihoods = v;
            return this;
        }

        public Builder stopSequences(List<String> v) {
            this.stopSequences = v;
            return this;
        }

        public GenerateRequest build() {
            return new GenerateRequest(prompt, model, Optional.ofNullable(maxTokens), Optional.ofNullable(temperature),
                    Optional.ofNullable(p), Optional.ofNullable(k), Optional.ofNullable(seed), returnLikelihoods,
                    stopSequences);
        }
    }
}
