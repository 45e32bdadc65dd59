package dev.finetune.tokenizer;

import dev.finetune.FinetuneException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Factories for the tokenizers this library ships and loads. */
public final class Tokenizers {
    private static final String GPT2 = "/dev/finetune/tokenizer/gpt2/";

    private Tokenizers() {
    }

    /**
     * GPT-2's byte-level BPE (tiktoken's {@code gpt2} / {@code r50k_base}: 50,000 merges, 50,257 ids,
     * {@code <|endoftext|>} = 50256), loaded once from the library's resources.
     */
    public static ByteLevelBpe gpt2() {
        return Gpt2Holder.INSTANCE;
    }

    /** The tokenizer in {@code dir}: {@code tokenizer.json}, or {@code encoder.json} + {@code vocab.bpe}. */
    public static ByteLevelBpe load(Path dir) {
        return BpeFiles.load(dir);
    }

    private static final class Gpt2Holder {
        static final ByteLevelBpe INSTANCE = loadGpt2();

        private static ByteLevelBpe loadGpt2() {
            try (InputStream e = Tokenizers.class.getResourceAsStream(GPT2 + BpeFiles.ENCODER_JSON);
                 InputStream v = Tokenizers.class.getResourceAsStream(GPT2 + BpeFiles.VOCAB_BPE)) {
                if (e == null || v == null) {
                    throw new FinetuneException("the GPT-2 vocabulary is missing from the class path (" + GPT2 + ")");
                }
                return BpeFiles.readGpt2(e, "gpt2/encoder.json", v, "gpt2/vocab.bpe");
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot read the embedded GPT-2 vocabulary", ex);
            }
        }
    }
}
