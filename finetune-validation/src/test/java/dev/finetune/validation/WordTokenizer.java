package dev.finetune.validation;

import dev.finetune.tokenizer.Tokenizer;

/**
 * A stand-in tokenizer for tests (the GPT-2 one is built elsewhere): one token per run of
 * non-whitespace characters, so a test controls token counts by word counts.
 */
final class WordTokenizer implements Tokenizer {
    static final WordTokenizer INSTANCE = new WordTokenizer();

    @Override
    public int[] encode(String text) {
        String t = text.strip();
        if (t.isEmpty()) {
            return new int[0];
        }
        String[] words = t.split("\\s+");
        int[] ids = new int[words.length];
        for (int i = 0; i < words.length; i++) {
            ids[i] = Math.floorMod(words[i].hashCode(), 50_000);
        }
        return ids;
    }

    @Override
    public int countTokens(String text) {
        int n = 0;
        boolean in = false;
        for (int i = 0; i < text.length(); i++) {
            boolean ws = Character.isWhitespace(text.charAt(i));
            if (!ws && !in) {
                n++;
            }
            in = !ws;
        }
        return n;
    }

    @Override
    public String decode(int[] ids) {
        throw new UnsupportedOperationException("the test tokenizer cannot decode");
    }

    @Override
    public int vocabSize() {
        return 50_000;
    }
}
