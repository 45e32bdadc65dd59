package dev.finetune.tokenizer;

/**
 * A hand-written scanner for the split regex of Llama 3 and Qwen2 (the tiktoken {@code cl100k}-style
 * pattern), used by {@link PreTokenizer.Split} when a {@code tokenizer.json} has exactly this pattern
 * with {@code Isolated} behavior:
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * </pre>
 * (Qwen2 has {@code \p{N}} where Llama 3 has {@code \p{N}{1,3}}). It gives the pieces the regex gives
 * on Java's engine with {@link java.util.regex.Pattern#UNICODE_CHARACTER_CLASS} (a property test
 * checks this on arbitrary text), several times faster: one pass, no backtracking. Classes as in
 * {@link Gpt2PreTokenizer}: {@code \s} is Unicode White_Space, {@code \p{L}}/{@code \p{N}} the general
 * categories; the contractions fold case by Unicode ({@code 'S}, {@code 'ſ}).
 */
final class Llama3Pattern {
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final int LETTER = 0;
    private static final int NUMBER = 1;
    private static final int SPACE = 2;

    private Llama3Pattern() {
    }

    /** The longest digit run of {@code regex} when it is one of the two patterns, else -1. */
    static int maxDigits(String regex) {
        return regex.equals(LLAMA3) ? 3 : regex.equals(QWEN2) ? 1 : -1;
    }

    /** Splits {@code text[start, end)} into the pattern's matches, in order. */
    static void split(CharSequence text, int start, int end, int maxDigits, Gpt2PreTokenizer.PieceConsumer out) {
        int i = start;
        while (i < end) {
            int cp = Character.codePointAt(text, i);
            int n = Character.charCount(cp);
            int cls = Gpt2PreTokenizer.classOf(cp);
            int j;
            if (cp == '\'' && (j = contraction(text, i + 1, end)) > 0) {
                // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            } else if (cls == LETTER) {
                j = run(text, i, end, LETTER);
            } else if (cp != '\r' && cp != '\n' && cls != NUMBER && i + n < end
                    && Gpt2PreTokenizer.classOf(Character.codePointAt(text, i + n)) == LETTER) {
                // [^\r\n\p{L}\p{N}]\p{L}+
                j = run(text, i + n, end, LETTER);
            } else if (cls == NUMBER) {
                j = i;
                for (int k = 0; k < maxDigits && j < end; k++) {
                    int c = Character.codePointAt(text, j);
                    if (Gpt2PreTokenizer.classOf(c) != NUMBER) {
                        break;
                    }
                    j += Character.charCount(c);
                }
            } else if (cls != SPACE || (cp == ' ' && i + 1 < end && isOther(Character.codePointAt(text, i + 1)))) {
                //  ?[^\s\p{L}\p{N}]+[\r\n]*
                j = cls == SPACE ? i + 1 : i;
                while (j < end) {
                    int c = Character.codePointAt(text, j);
                    if (!isOther(c)) {
                        break;
                    }
                    j += Character.charCount(c);
                }
                while (j < end && (text.charAt(j) == '\r' || text.charAt(j) == '\n')) {
                    j++;
                }
            } else {
                // white space: \s*[\r\n]+ up to the run's last line break, else \s+(?!\S), else \s+
                int runEnd = i;
                int lastBreak = -1;
                while (runEnd < end) {
                    char c = text.charAt(runEnd);
                    if (!Gpt2PreTokenizer.isWhiteSpace(c)) {
                        break;
                    }
                    if (c == '\r' || c == '\n') {
                        lastBreak = runEnd;
                    }
                    runEnd++;
                }
                if (lastBreak >= 0) {
                    j = lastBreak + 1;
                } else if (runEnd == end || runEnd - i == 1) {
                    j = runEnd;
                } else {
                    j = runEnd - 1;
                }
            }
            out.accept(text, i, j);
            i = j;
        }
    }

    private static boolean isOther(int cp) {
        return Gpt2PreTokenizer.classOf(cp) == 3;
    }

    private static int run(CharSequence text, int j, int end, int cls) {
        while (j < end) {
            int c = Character.codePointAt(text, j);
            if (Gpt2PreTokenizer.classOf(c) != cls) {
                break;
            }
            j += Character.charCount(c);
        }
        return j;
    }

    /** End of a contraction whose apostrophe is at {@code i - 1}, or 0. */
    private static int contraction(CharSequence t, int i, int end) {
        if (i >= end) {
            return 0;
        }
        char a = Character.toLowerCase(t.charAt(i));
        if (a == 's' || a == '\u017F' || a == 't' || a == 'm' || a == 'd') {
            return i + 1;
        }
        if (i + 1 < end) {
            char b = Character.toLowerCase(t.charAt(i + 1));
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                return i + 2;
            }
        }
        return 0;
    }
}
