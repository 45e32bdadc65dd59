package dev.finetune.generate;

import dev.finetune.chat.FinishReason;
import java.util.List;
import java.util.Optional;

/**
 * One generation: its text, and with likelihoods requested the average log-likelihood and one entry
 * per token. With {@link ReturnLikelihoods#ALL} the prompt's tokens come first; the prompt's first
 * token has no likelihood and is listed without being counted in the average.
 */
public record Generation(String id, String text, Optional<Double> likelihood,
                         Optional<List<TokenLikelihood>> tokenLikelihoods, FinishReason finishReason) {
}
