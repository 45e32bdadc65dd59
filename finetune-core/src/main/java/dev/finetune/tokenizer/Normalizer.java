package dev.finetune.tokenizer;

import java.util.List;

/**
 * The {@code normalizer} stage of a {@code tokenizer.json}: text in, text out, before pre-tokenization.
 * Each record is the component of the same {@code type} name in the file.
 *
 * <p>Unicode normalization uses the JDK's tables ({@link java.text.Normalizer}); the tokenizers library
 * uses those of its {@code unicode-normalization} crate. The two agree on every assigned character of
 * the older Unicode version of the two; characters assigned later may normalize differently.
 */
public sealed interface Normalizer permits Normalizer.NFC, Normalizer.NFD, Normalizer.NFKC, Normalizer.NFKD,
        Normalizer.Sequence {

    String normalize(String text);

    /** Canonical composition. */
    record NFC() implements Normalizer {
        @Override
        public String normalize(String text) {
            // below U+0300 there are no combining marks and no characters that change under NFC
            return below(text, 0x300) ? text : java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
        }
    }

    /** Canonical decomposition. */
    record NFD() implements Normalizer {
        @Override
        public String normalize(String text) {
            return below(text, 0xC0) ? text : java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFD);
        }
    }

    /** Compatibility composition. */
    record NFKC() implements Normalizer {
        @Override
        public String normalize(String text) {
            return below(text, 0xA0) ? text : java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFKC);
        }
    }

    /** Compatibility decomposition. */
    record NFKD() implements Normalizer {
        @Override
        public String normalize(String text) {
            return below(text, 0xA0) ? text : java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFKD);
        }
    }

    /** The normalizers in order, each on the previous one's output. */
    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        public Sequence {
            normalizers = List.copyOf(normalizers);
        }

        @Override
        public String normalize(String text) {
            for (Normalizer n : normalizers) {
                text = n.normalize(text);
            }
            return text;
        }
    }

    private static boolean below(String s, int limit) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= limit) {
                return false;
            }
        }
        return true;
    }
}
