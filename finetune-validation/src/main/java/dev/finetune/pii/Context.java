package dev.finetune.pii;

import java.util.Locale;
import java.util.Set;

/**
 * The words just before a candidate, which decide many ambiguous cases: {@code call 4155552671} is a
 * phone number, {@code order 4155552671} is not. Words are maximal runs of ASCII letters and digits,
 * lower-cased; two-word keywords ({@code social security}) are matched as bigrams. The look-back stops
 * at the end of the previous sentence (a line break, or '.', '!', '?' before a space) and at another
 * number of five or more digits, since a keyword before that number is about that number.
 */
final class Context {
    /** Polarity: the nearest keyword before the candidate says it is this type. */
    static final int POSITIVE = 1;
    /** Polarity: no keyword within reach. */
    static final int NONE = 0;
    /** Polarity: the nearest keyword says it is something else (an order number, an ISBN, a version). */
    static final int NEGATIVE = -1;

    /** How far back we look, in characters, so that the cost per candidate is bounded. */
    private static final int MAX_CHARS = 64;

    private Context() {
    }

    /**
     * Looks at up to {@code maxWords} words before {@code index}, nearest first, and returns the polarity
     * of the first keyword met (single word or bigram), or {@link #NONE}.
     */
    static int polarity(String text, int index, int maxWords, Set<String> positive, Set<String> negative) {
        String[] words = wordsBefore(text, index, maxWords + 1);
        for (int i = 0; i < Math.min(words.length, maxWords); i++) {
            String w = words[i];
            if (w == null) {
                break;
            }
            // The bigram is more specific than its last word: "order number" beats "number".
            String bigram = i + 1 < words.length && words[i + 1] != null ? words[i + 1] + " " + w : null;
            if (bigram != null && positive.contains(bigram)) {
                return POSITIVE;
            }
            if (bigram != null && negative.contains(bigram)) {
                return NEGATIVE;
            }
            if (positive.contains(w)) {
                return POSITIVE;
            }
            if (negative.contains(w)) {
                return NEGATIVE;
            }
        }
        return NONE;
    }

    /** Whether any of the {@code maxWords} words before {@code index} is in {@code keywords}. */
    static boolean anyBefore(String text, int index, int maxWords, Set<String> keywords) {
        return polarity(text, index, maxWords, keywords, Set.of()) == POSITIVE;
    }

    /** Up to {@code n} lower-case words ending before {@code index}, nearest first; missing ones are null. */
    static String[] wordsBefore(String text, int index, int n) {
        String[] out = new String[n];
        int lo = Math.max(0, index - MAX_CHARS);
        int i = index;
        int k = 0;
        while (k < n && i > lo) {
            while (i > lo && !isContextWordChar(text.charAt(i - 1))) {
                if (endsSentence(text, i - 1)) {
                    return out; // words of the previous sentence say nothing about this value
                }
                i--;
            }
            int end = i;
            while (i > lo && isContextWordChar(text.charAt(i - 1))) {
                i--;
            }
            if (end > i) {
                if (end - i >= 5 && allDigits(text, i, end)) {
                    return out; // another number in between: a keyword further back belongs to it
                }
                out[k++] = text.substring(i, end).toLowerCase(Locale.ROOT);
            }
        }
        return out;
    }

    private static boolean allDigits(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!isAsciiDigit(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** A line break, or '.', '!' or '?' followed by whitespace. */
    private static boolean endsSentence(String text, int i) {
        char c = text.charAt(i);
        if (c == '\n' || c == '\r') {
            return true;
        }
        return (c == '.' || c == '!' || c == '?') && i + 1 < text.length() && Character.isWhitespace(text.charAt(i + 1));
    }

    /** A letter of any script or an ASCII digit: what context words are made of. */
    private static boolean isContextWordChar(char c) {
        return isAsciiDigit(c) || Character.isLetter(c);
    }

    /**
     * The confidence below which no value of a sure shape (a checksum-valid card or IBAN, an SSN written
     * AAA-GG-SSSS, a number in a phone format) is ever put by the words around it: the default threshold,
     * so under the defaults context can lower confidence but never hide such a value.
     */
    static final double SURE_SHAPE_FLOOR = PiiScanner.DEFAULT_MIN_CONFIDENCE;

    /** {@code confidence} lowered by {@code penalty}, but not below {@link #SURE_SHAPE_FLOOR}. */
    static double lowered(double confidence, double penalty) {
        return Math.max(SURE_SHAPE_FLOOR, confidence - penalty);
    }

    static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** Letters, digits and underscore: the characters that glue a value into a longer identifier. */
    static boolean isIdentChar(char c) {
        return isWordChar(c) || c == '_';
    }
}
