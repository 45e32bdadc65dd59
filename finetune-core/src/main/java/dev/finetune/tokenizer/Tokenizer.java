package dev.finetune.tokenizer;

/**
 * A text tokenizer. Implementations are immutable and thread-safe.
 *
 * <p>{@link #encode(String)} treats every character of the text as ordinary text: a special token's
 * spelling (such as {@code <|endoftext|>}) inside user text is encoded as plain text, never as the
 * special token. Callers that build templates ask for special tokens explicitly.
 */
public interface Tokenizer {

    /** The ids of {@code text}, with no special-token matching. */
    int[] encode(String text);

    /**
     * The number of ids {@link #encode(String)} would return, without materializing them (validation
     * counts the tokens of every message).
     */
    int countTokens(String text);

    /** The text of {@code ids}; byte sequences that are not valid UTF-8 decode to U+FFFD, as GPT-2 does. */
    String decode(int[] ids);

    /**
     * The text of {@code ids}; with {@code skipSpecialTokens} control tokens are left out (what a
     * response shown to a user holds). Tokenizers without special tokens decode everything.
     */
    default String decode(int[] ids, boolean skipSpecialTokens) {
        return decode(ids);
    }

    /** Whether {@code id} is a control token (never text in a response). */
    default boolean isSpecial(int id) {
        return false;
    }

    /** The number of ids, special tokens included. */
    int vocabSize();
}
