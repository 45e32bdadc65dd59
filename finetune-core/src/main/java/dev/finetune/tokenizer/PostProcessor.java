package dev.finetune.tokenizer;

import java.util.List;

/**
 * The {@code post_processor} stage of a {@code tokenizer.json}: what encoding a single text adds around
 * its ids when the caller asks for special tokens ({@code add_special_tokens}). Pairs of texts are not
 * encoded by this library, so a template's {@code pair} form is read but unused.
 */
public sealed interface PostProcessor permits PostProcessor.ByteLevel, PostProcessor.TemplateProcessing,
        PostProcessor.Sequence {

    /** The ids before the text's ids. */
    int[] prefix();

    /** The ids after the text's ids. */
    int[] suffix();

    /** Byte-level: only adjusts offsets in the tokenizers library; adds no ids. */
    record ByteLevel() implements PostProcessor {
        @Override
        public int[] prefix() {
            return new int[0];
        }

        @Override
        public int[] suffix() {
            return new int[0];
        }
    }

    /**
     * The {@code single} template: special tokens before and after {@code $A} (Llama 3:
     * {@code <|begin_of_text|> $A}).
     */
    record TemplateProcessing(int[] prefix, int[] suffix) implements PostProcessor {
        public TemplateProcessing {
            prefix = prefix.clone();
            suffix = suffix.clone();
        }

        @Override
        public int[] prefix() {
            return prefix.clone();
        }

        @Override
        public int[] suffix() {
            return suffix.clone();
        }
    }

    /** The processors in order; their prefixes and suffixes nest as the library applies them. */
    record Sequence(List<PostProcessor> processors) implements PostProcessor {
        public Sequence {
            processors = List.copyOf(processors);
        }

        @Override
        public int[] prefix() {
            int[] out = new int[0];
            for (PostProcessor p : processors) {
                out = concat(p.prefix(), out);
            }
            return out;
        }

        @Override
        public int[] suffix() {
            int[] out = new int[0];
            for (PostProcessor p : processors) {
                out = concat(out, p.suffix());
            }
            return out;
        }

        private static int[] concat(int[] a, int[] b) {
            int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        }
    }
}
