package dev.finetune.tokenizer;

import java.util.Objects;

/**
 * One entry of a {@code tokenizer.json}'s {@code added_tokens}: a string that is one id, found in the
 * text before pre-tokenization.
 *
 * @param id         its id
 * @param content    its text
 * @param special    a control token ({@code <|im_start|>}); such tokens come from user text only when the
 *                   caller allows them, and decoding can skip them
 * @param singleWord matches only when no word character touches either end
 * @param lstrip     a match takes the white space to its left with it
 * @param rstrip     a match takes the white space to its right with it
 * @param normalized matched against the normalized text (otherwise against the text as given)
 */
public record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
                         boolean normalized) {
    public AddedToken {
        Objects.requireNonNull(content);
        if (content.isEmpty()) {
            throw new IllegalArgumentException("added token " + id + " has empty content");
        }
    }

    /** A special token as GPT-2 and this project's own vocabularies have them. */
    public static AddedToken special(int id, String content) {
        return new AddedToken(id, content, true, false, false, false, false);
    }
}
