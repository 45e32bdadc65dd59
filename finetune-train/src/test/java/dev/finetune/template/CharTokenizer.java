package dev.finetune.template;

import dev.finetune.tokenizer.Tokenizer;

/**
 * A test tokenizer: ids 0..5 are the template's special tokens; printable ASCII character c is id
 * {@code 6 + c - 32}; anything else encodes as '?'. Enough to see shapes without a BPE vocabulary.
 */
public final class CharTokenizer implements Tokenizer {
    public static final ChatTemplate.Ids IDS = new ChatTemplate.Ids(0, 1, 2, 3, 4, 5);

    @Override
    public int[] encode(String text) {
        return text.chars().map(c -> 6 + (c >= 32 && c < 127 ? c - 32 : '?' - 32)).toArray();
    }

    @Override
    public int countTokens(String text) {
        return text.length();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(id < 6 ? "<" + id + ">" : String.valueOf((char) (id - 6 + 32)));
        }
        return sb.toString();
    }

    @Override
    public int vocabSize() {
        return 101;
    }
}
