package dev.finetune.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code pre_tokenizer} stage of a {@code tokenizer.json}: splits (normalized) text into the pieces
 * that the BPE model encodes one by one. Each record is the component of the same {@code type} name.
 * A pre-tokenizer receives a range of a text and reports sub-ranges (possibly of a new text, when it
 * adds a prefix space) to the consumer, in order; every piece is handled as its own string, as the
 * tokenizers library does (a regex does not look past a piece's ends).
 */
public sealed interface PreTokenizer permits PreTokenizer.Split, PreTokenizer.ByteLevel, PreTokenizer.Digits,
        PreTokenizer.Sequence {

    void split(CharSequence text, int start, int end, Gpt2PreTokenizer.PieceConsumer out);

    /** What {@link Split} and {@link Digits} do with a match, as the file's {@code behavior} names it. */
    enum Behavior {
        /** Matches are dropped. */
        Removed,
        /** Each match is a piece of its own. */
        Isolated,
        /** A match joins the piece before it. */
        MergedWithPrevious,
        /** A match joins the piece after it. */
        MergedWithNext,
        /** Adjacent matches form one piece. */
        Contiguous
    }

    /**
     * Splits on a regex (or a literal string) with a behavior; {@code invert} makes the non-matching
     * runs the "matches". The regex runs on Java's engine with {@link Pattern#UNICODE_CHARACTER_CLASS},
     * which makes {@code \s} Unicode White_Space, {@code \d} Nd, and {@code (?i:...)} fold case by
     * Unicode, as Oniguruma (the tokenizers library's engine) reads them; see {@link TokenizerJson}
     * for where the two engines differ.
     */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        /** Whether {@link #split} runs the hand-written Llama 3 / Qwen2 scanner for this pattern. */
        public boolean usesScanner() {
            return scannerDigits() > 0;
        }

        private int scannerDigits() {
            return behavior == Behavior.Isolated && !invert && (pattern.flags() & Pattern.UNICODE_CHARACTER_CLASS) != 0
                    ? Llama3Pattern.maxDigits(pattern.pattern()) : -1;
        }

        @Override
        public void split(CharSequence text, int start, int end, Gpt2PreTokenizer.PieceConsumer out) {
            int digits = scannerDigits();
            if (digits > 0) {
                // Llama 3's or Qwen2's pattern: the same pieces from a hand-written scanner
                Llama3Pattern.split(text, start, end, digits, out);
                return;
            }
            splitWithRegex(text, start, end, out);
        }

        /** The regex engine's pieces (what {@link #split} gives for every pattern). */
        void splitWithRegex(CharSequence text, int start, int end, Gpt2PreTokenizer.PieceConsumer out) {
            Matcher m = pattern.matcher(text);
            m.region(start, end);
            Segments segs = new Segments(behavior, text, out);
            int prev = start;
            while (m.find()) {
                if (m.end() == m.start()) {
                    continue;
                }
                if (m.start() > prev) {
                    segs.add(prev, m.start(), invert);
                }
                segs.add(m.start(), m.end(), !invert);
                prev = m.end();
            }
            if (prev < end) {
                segs.add(prev, end, invert);
            }
            segs.finish();
        }
    }

    /**
     * Byte-level: with {@code useRegex}, GPT-2's pattern splits the piece ({@link Gpt2PreTokenizer},
     * hand-written, exact); with {@code addPrefixSpace}, a piece not starting with a space gets one. The
     * mapping of bytes to the vocabulary's characters happens in the model.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        @Override
        public void split(CharSequence text, int start, int end, Gpt2PreTokenizer.PieceConsumer out) {
            if (start == end) {
                return;
            }
            if (addPrefixSpace && text.charAt(start) != ' ') {
                String s = " " + text.subSequence(start, end);
                text = s;
                start = 0;
                end = s.length();
            }
            if (useRegex) {
                Gpt2PreTokenizer.split(start == 0 && end == text.length() ? text : text.subSequence(start, end), out);
            } else {
                out.accept(text, start, end);
            }
        }
    }

    /**
     * Splits off numerals: each one alone ({@code individual_digits}) or runs of them. A numeral is a
     * character of general category Nd, Nl or No (Rust's {@code char::is_numeric}).
     */
    record Digits(boolean individualDigits) implements PreTokenizer {
        @Override
        public void split(CharSequence text, int start, int end, Gpt2PreTokenizer.PieceConsumer out) {
            Segments segs = new Segments(individualDigits ? Behavior.Isolated : Behavior.Contiguous, text, out);
            int i = start;
            int runStart = start;
            boolean runDigit = false;
            while (i < end) {
                int cp = Character.codePointAt(text, i);
                boolean d = isNumeric(cp);
                int n = Character.charCount(cp);
                if (d) {
                    if (i > runStart) {
                        segs.add(runStart, i, runDigit);
                    }
                    segs.add(i, i + n, true);
                    runStart = i + n;
                    runDigit = false;
                }
                i += n;
            }
            if (runStart < end) {
                segs.add(runStart, end, false);
            }
            segs.finish();
        }

        static boolean isNumeric(int cp) {
            if (cp < 0x80) {
                return cp >= '0' && cp <= '9';
            }
            int t = Character.getType(cp);
            return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
        }
    }

    /** The pre-tokenizers in order, each splitting the pieces of the one before. */
    record Sequence(List<PreTokenizer> pretokenizers) implements PreTokenizer {
        public Sequence {
            pretokenizers = List.copyOf(pretokenizers);
        }

        @Override
        public void split(CharSequence text, int start, int end, Gpt2PreTokenizer.PieceConsumer out) {
            run(0, text, start, end, out);
        }

        private void run(int k, CharSequence text, int start, int end, Gpt2PreTokenizer.PieceConsumer out) {
            if (k == pretokenizers.size()) {
                out.accept(text, start, end);
                return;
            }
            pretokenizers.get(k).split(text, start, end, (t, s, e) -> run(k + 1, t, s, e, out));
        }
    }

    /** Applies a {@link Behavior} to a stream of (range, is-match) segments of one text. */
    final class Segments {
        private final Behavior behavior;
        private final CharSequence text;
        private final Gpt2PreTokenizer.PieceConsumer out;
        private int pendingStart = -1;
        private int pendingEnd = -1;
        private boolean pendingMatch;

        Segments(Behavior behavior, CharSequence text, Gpt2PreTokenizer.PieceConsumer out) {
            this.behavior = behavior;
            this.text = text;
            this.out = out;
        }

        void add(int s, int e, boolean match) {
            switch (behavior) {
                case Removed -> {
                    if (!match) {
                        out.accept(text, s, e);
                    }
                }
                case Isolated -> out.accept(text, s, e);
                case MergedWithPrevious -> {
                    // a match joins the piece before it unless that piece ended in a match itself
                    if (match && !pendingMatch && pendingStart >= 0) {
                        pendingEnd = e;
                    } else {
                        flush();
                        pendingStart = s;
                        pendingEnd = e;
                    }
                    pendingMatch = match;
                }
                case MergedWithNext -> {
                    if (pendingStart >= 0 && pendingMatch) {
                        pendingEnd = e;
                    } else {
                        flush();
                        pendingStart = s;
                        pendingEnd = e;
                    }
                    pendingMatch = match;
                }
                case Contiguous -> {
                    if (pendingStart >= 0 && match && pendingMatch) {
                        pendingEnd = e;
                    } else {
                        flush();
                        pendingStart = s;
                        pendingEnd = e;
                        pendingMatch = match;
                    }
                }
            }
        }

        private void flush() {
            if (pendingStart >= 0) {
                out.accept(text, pendingStart, pendingEnd);
                pendingStart = -1;
            }
        }

        void finish() {
            flush();
        }
    }
}
