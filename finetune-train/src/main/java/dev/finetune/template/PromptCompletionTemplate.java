package dev.finetune.template;

import dev.finetune.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Objects;

/**
 * The generative (prompt-completion) template: {@code prompt + completion + <|endoftext|>}, nothing
 * between them, no leading token; the loss is on the completion and the closing end-of-text only, so
 * the model learns to continue prompts and to stop.
 *
 * <p><b>Context policy</b>, when an example does not fit {@code maxTokens}: the prompt loses tokens
 * from its start (the words nearest the completion matter most); when the completion alone does not
 * fit with one prompt token, it is cut at its end and its end-of-text is not trained.
 */
public final class PromptCompletionTemplate {
    private final Tokenizer tokenizer;
    private final int endOfText;

    public PromptCompletionTemplate(Tokenizer tokenizer, int endOfText) {
        this.tokenizer = Objects.requireNonNull(tokenizer);
        this.endOfText = endOfText;
    }

    /** One example of at most {@code maxTokens} tokens (the context plus one). */
    public ChatTemplate.Example example(String prompt, String completion, int maxTokens) {
        if (maxTokens < 3) {
            throw new IllegalArgumentException("maxTokens must be at least 3, got " + maxTokens);
        }
        int[] p = tokenizer.encode(prompt);
        int[] c = tokenizer.encode(completion);
        int[] answer = Arrays.copyOf(c, c.length + 1);
        answer[c.length] = endOfText;
        int minPrompt = Math.min(1, p.length);
        if (answer.length > maxTokens - minPrompt) {
            answer = Arrays.copyOf(c, maxTokens - minPrompt);
        }
        int promptRoom = maxTokens - answer.length;
        if (p.length > promptRoom) {
            p = Arrays.copyOfRange(p, p.length - promptRoom, p.length);
        }
        int n = p.length + answer.length;
        int[] tokens = new int[n];
        boolean[] trained = new boolean[n];
        System.arraycopy(p, 0, tokens, 0, p.length);
        System.arraycopy(answer, 0, tokens, p.length, answer.length);
        // position 0 is never a target; with an empty prompt the first completion token is context
        for (int i = Math.max(1, p.length); i < n; i++) {
            trained[i] = true;
        }
        return new ChatTemplate.Example(tokens, trained);
    }
}
