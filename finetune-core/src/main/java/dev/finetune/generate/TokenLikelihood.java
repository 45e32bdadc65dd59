package dev.finetune.generate;

import java.util.Optional;

/**
 * One token's text and its log-likelihood (nats) given the tokens before it; the first token of a
 * prompt has none.
 */
public record TokenLikelihood(String token, Optional<Double> likelihood) {
    public TokenLikelihood {
        likelihood = likelihood == null ? Optional.empty() : likelihood;
    }

    public static TokenLikelihood of(String token, double likelihood) {
        return new TokenLikelihood(token, Optional.of(likelihood));
    }
}
