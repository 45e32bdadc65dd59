package dev.finetune.cli;

import dev.finetune.tokenizer.Tokenizer;

/** Test stand-in for GPT-2's tokenizer (built elsewhere): one token per whitespace-separated word. */
final class SpaceTokenizer implements Tokenizer {
    @Override
    public int[] encode(String text) {
        return new int[countTokens(text)];
    }

    @Override
    public int countTokens(String text) {
        String t = text.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }

    @Override
    public String decode(int[] ids) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int vocabSize() {
        return 1;
    }
}
