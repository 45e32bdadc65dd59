package dev.finetune.tokenizer;

/** Factories for the tokenizers this library ships. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /** GPT-2's byte-level BPE (tiktoken's {@code gpt2} / {@code r50k_base}), loaded once from the classpath. */
    public static Tokenizer gpt2() {
        throw new UnsupportedOperationException("the GPT-2 tokenizer is not built yet");
    }
}
