package dev.finetune.inference;

import dev.finetune.model.Decodable;
import java.util.Arrays;

/**
 * Token-level generation and scoring with a KV cache, on a {@link Decodable}'s weights (a trainable
 * {@link dev.finetune.model.CausalLM} or a packed {@link dev.finetune.model.InferenceModel}).
 *
 * <p><b>Context policy.</b> A model sees at most {@code n_positions} tokens. When the prompt plus
 * {@code maxTokens} does not fit, the prompt loses tokens from its start (the oldest context goes
 * first) so that the newest {@code n_positions - maxTokens} prompt tokens remain; when
 * {@code maxTokens} alone exceeds the context, generation stops at the context's end with
 * {@link FinishReason#MAX_TOKENS}. Scoring a text longer than the context scores the first
 * {@code n_positions} tokens only and says how many it scored.
 *
 * <p>Thread-safe: each call uses its own {@link DecodeSession}; the weights are only read.
 */
public final class Generator {
    private final Decodable model;

    public Generator(Decodable model) {
        this.model = model;
    }

    public Decodable model() {
        return model;
    }

    /** Why generation ended. */
    public enum FinishReason { COMPLETE, STOP_SEQUENCE, MAX_TOKENS }

    /** Sees each generated token as it is produced; returning false stops generation (a stop sequence). */
    @FunctionalInterface
    public interface TokenListener {
        boolean onToken(int token, double logProb);
    }

    /**
     * @param tokens    the generated tokens (the end token, when one ended generation, is not included)
     * @param logProbs  log-probability of each generated token under the model (before sampling filters)
     * @param finish    why it stopped
     * @param promptTokensUsed how many prompt tokens the model saw after the context policy
     */
    public record Result(int[] tokens, double[] logProbs, FinishReason finish, int promptTokensUsed) {
    }

    /**
     * Generates up to {@code maxTokens} tokens after {@code prompt}, stopping early at {@code endToken}
     * (-1 for none) or when the listener returns false.
     */
    public Result generate(int[] prompt, int maxTokens, Sampler sampler, int endToken, TokenListener listener) {
        return generate(prompt, maxTokens, sampler, t -> t == endToken, listener);
    }

    /**
     * Generates up to {@code maxTokens} tokens after {@code prompt}, stopping early with
     * {@link FinishReason#COMPLETE} at a token {@code isEnd} accepts (the model's end-of-sequence ids;
     * the end token is not part of the result) or when the listener returns false.
     */
    public Result generate(int[] prompt, int maxTokens, Sampler sampler, java.util.function.IntPredicate isEnd,
                           TokenListener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max_tokens must be >= 0, got " + maxTokens);
        }
        int ctx = model.config().maxSeqLen();
        int V = model.config().vocabSize();
        int keep = Math.min(prompt.length, Math.max(1, ctx - maxTokens));
        int[] used = Arrays.copyOfRange(prompt, prompt.length - keep, prompt.length);
        // the cache holds what this call can reach: the prompt kept and the tokens appended after it
        DecodeSession session = new DecodeSession(model, (int) Math.min(ctx, (long) keep + maxTokens));
        float[] logits = null;
        for (int t : used) {
            logits = session.append(t);
        }
        int[] out = new int[Math.min(maxTokens, ctx)];
        double[] lps = new double[out.length];
        int n = 0;
        FinishReason finish = FinishReason.MAX_TOKENS;
        while (n < maxTokens) {
            int next = sampler.sample(logits, V);
            double lp = Sampler.logProb(logits, V, next);
            if (isEnd.test(next)) {
                finish = FinishReason.COMPLETE;
                break;
            }
            out[n] = next;
            lps[n] = lp;
            n++;
            if (listener != null && !listener.onToken(next, lp)) {
                finish = FinishReason.STOP_SEQUENCE;
                break;
            }
            if (n == maxTokens || session.position() >= ctx) {
                break;
            }
            logits = session.append(next);
        }
        return new Result(Arrays.copyOf(out, n), Arrays.copyOf(lps, n), finish, keep);
    }

    /**
     * Log-likelihood (nats) of each token of {@code tokens} given the ones before it; entry 0 is NaN
     * (the first token has no context). At most {@code n_positions} tokens are scored.
     */
    public double[] score(int[] tokens) {
        int ctx = model.config().maxSeqLen();
        int V = model.config().vocabSize();
        int n = Math.min(tokens.length, ctx);
        double[] out = new double[n];
        if (n == 0) {
            return out;
        }
        out[0] = Double.NaN;
        DecodeSession session = new DecodeSession(model, Math.max(1, n));
        for (int i = 0; i + 1 < n; i++) {
            float[] logits = session.append(tokens[i]);
            out[i + 1] = Sampler.logProb(logits, V, tokens[i + 1]);
        }
        return out;
    }

    /** The mean of {@link #score}'s entries after the first (NaN for fewer than two tokens). */
    public static double averageLogLikelihood(double[] scores) {
        if (scores.length < 2) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = 1; i < scores.length; i++) {
            sum += scores[i];
        }
        return sum / (scores.length - 1);
    }
}
