package dev.finetune.tokenizer;

/**
 * GPT-2's pre-tokenization, hand-written instead of a regex: it splits text into the pieces that the
 * pattern {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} matches,
 * with the classes as tiktoken's regex engine reads them: {@code \s} is Unicode White_Space (NBSP,
 * U+2028, U+3000... included, unlike Java's default {@code \s}), {@code \p{L}} every letter category,
 * {@code \p{N}} every number category. The optional leading space is U+0020 only.
 *
 * <p>A lone surrogate (a Java string can hold one; UTF-8 cannot) is an "other" character here and
 * becomes U+FFFD when the piece is turned into bytes.
 */
public final class Gpt2PreTokenizer {
    private Gpt2PreTokenizer() {
    }

    /** Receives each piece as a range {@code [start, end)} of the text, in order. */
    @FunctionalInterface
    public interface PieceConsumer {
        void accept(CharSequence text, int start, int end);
    }

    private static final int LETTER = 0;
    private static final int NUMBER = 1;
    private static final int SPACE = 2;
    private static final int OTHER = 3;

    /** Unicode White_Space (PropList.txt), the set tiktoken's {@code \s} matches. */
    static boolean isWhiteSpace(int cp) {
        if (cp <= 0x20) {
            return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
        }
        if (cp < 0x85) {
            return false;
        }
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028
                || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    static int classOf(int cp) {
        if (cp < 0x80) {
            if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') {
                return LETTER;
            }
            if (cp >= '0' && cp <= '9') {
                return NUMBER;
            }
            return isWhiteSpace(cp) ? SPACE : OTHER;
        }
        if (isWhiteSpace(cp)) {
            return SPACE;
        }
        switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER:
                return LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER:
                return NUMBER;
            default:
                return OTHER;
        }
    }

    /** Splits {@code text} into pieces, in order, calling {@code out} for each. */
    public static void split(CharSequence text, PieceConsumer out) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            int start = i;
            char c = text.charAt(i);
            // contractions: 's 't 're 've 'm 'll 'd (case-sensitive, as GPT-2's pattern)
            if (c == '\'' && i + 1 < n) {
                int len = contraction(text, i + 1, n);
                if (len > 0) {
                    i += 1 + len;
                    out.accept(text, start, i);
                    continue;
                }
            }
            int cp = Character.codePointAt(text, i);
            int cls = classOf(cp);
            int j = i;
            if (c == ' ' && i + 1 < n) {
                int next = Character.codePointAt(text, i + 1);
                int nc = classOf(next);
                if (nc != SPACE) {
                    // " ?X+" with the space attached
                    j = i + 1;
                    cls = nc;
                }
            }
            if (cls != SPACE) {
                j = runEnd(text, j, n, cls);
                i = j;
                out.accept(text, start, i);
                continue;
            }
            // whitespace run: \s+(?!\S) leaves the last white space to the next piece when one follows
            int end = j;
            int last = j;
            while (end < n) {
                int w = Character.codePointAt(text, end);
                if (!isWhiteSpace(w)) {
                    break;
                }
                last = end;
                end += Character.charCount(w);
            }
            if (end < n && last > start) {
                end = last;
            }
            i = end;
            out.accept(text, start, i);
        }
    }

    private static int runEnd(CharSequence text, int j, int n, int cls) {
        while (j < n) {
            int cp = Character.codePointAt(text, j);
            if (classOf(cp) != cls) {
                break;
            }
            j += Character.charCount(cp);
        }
        return j;
    }

    /** Length of the contraction suffix after an apostrophe at {@code i - 1}, or 0. */
    private static int contraction(CharSequence t, int i, int n) {
        char a = t.charAt(i);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return 1;
        }
        if (i + 1 < n) {
            char b = t.charAt(i + 1);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                return 2;
            }
        }
        return 0;
    }
}
