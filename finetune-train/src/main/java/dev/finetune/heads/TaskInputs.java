package dev.finetune.heads;

import java.util.Arrays;

/**
 * The input sequences of the task heads. Rerank (a cross-encoder):
 * {@code query <|endoftext|> passage <|endoftext|>}, at most {@link #RERANK_MAX_TOKENS} tokens in all;
 * the whole query is kept and the passage gets the tokens that remain (a query too long to leave room
 * for one passage token is cut first). Classify: {@code text <|endoftext|>}, at most
 * {@link #CLASSIFY_MAX_TOKENS} tokens, the text cut at its end. Both limits shrink to the model's
 * context when it is shorter. The head reads the last position, which has seen the whole input.
 */
public final class TaskInputs {
    public static final int RERANK_MAX_TOKENS = 510;
    public static final int CLASSIFY_MAX_TOKENS = 512;

    private TaskInputs() {
    }

    /** {@code query eot passage eot} in at most {@code maxTokens} tokens (at least 3). */
    public static int[] rerank(int[] query, int[] passage, int maxTokens, int eot) {
        if (maxTokens < 3) {
            throw new IllegalArgumentException("a rerank input needs at least 3 tokens, limit " + maxTokens);
        }
        int q = Math.min(query.length, maxTokens - 2 - (passage.length > 0 ? 1 : 0));
        int p = Math.min(passage.length, maxTokens - 2 - q);
        int[] out = new int[q + p + 2];
        System.arraycopy(query, 0, out, 0, q);
        out[q] = eot;
        System.arraycopy(passage, 0, out, q + 1, p);
        out[q + 1 + p] = eot;
        return out;
    }

    /** {@code text eot} in at most {@code maxTokens} tokens (at least 1). */
    public static int[] classify(int[] text, int maxTokens, int eot) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("a classify input needs at least 1 token, limit " + maxTokens);
        }
        int n = Math.min(text.length, maxTokens - 1);
        int[] out = Arrays.copyOf(text, n + 1);
        out[n] = eot;
        return out;
    }
}
