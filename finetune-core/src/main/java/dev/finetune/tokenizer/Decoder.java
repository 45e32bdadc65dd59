package dev.finetune.tokenizer;

/**
 * The {@code decoder} stage of a {@code tokenizer.json}. Only {@code ByteLevel} is supported: the
 * tokens' characters map back to bytes through GPT-2's byte table and the bytes are read as UTF-8
 * (malformed sequences become U+FFFD). An added token whose text has a character outside the table is
 * taken as its own UTF-8, as the tokenizers library does.
 */
public sealed interface Decoder permits Decoder.ByteLevel {

    /** The bytes an added token's text decodes to. */
    byte[] addedTokenBytes(String content);

    record ByteLevel() implements Decoder {
        @Override
        public byte[] addedTokenBytes(String content) {
            byte[] b = BpeFiles.fromTokenTextOrNull(content);
            return b != null ? b : content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * transformers' {@code clean_up_tokenization_spaces}: removes the space before punctuation and
     * English contractions that word-level tokenizers inserted ({@code " ."} → {@code "."}, {@code " n't"}
     * → {@code "n't"}...), in the library's order.
     */
    static String cleanUpTokenizationSpaces(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve")
                .replace(" 're", "'re");
    }
}
