package dev.finetune.generate;

/** One token's text and its log-likelihood (nats) given the tokens before it. */
public record TokenLikelihood(String token, double likelihood) {
}
