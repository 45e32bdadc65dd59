package dev.finetune.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Finds added tokens in text, as the tokenizers library does before normalizing and pre-tokenizing:
 * leftmost match first, the longest one at that position, matches never overlapping; {@code lstrip} /
 * {@code rstrip} widen a match over the white space beside it, {@code single_word} rejects a match
 * touching a word character. Which tokens take part is the caller's choice (special tokens only when
 * allowed). A trie keyed by UTF-16 unit keeps a scan linear in the text.
 */
final class AddedVocabulary {
    /** Receives ordinary-text ranges and matched token ids, in text order. */
    interface Sink {
        void text(int start, int end);

        void token(AddedToken token);
    }

    private static final class Node {
        final Map<Character, Node> next = new HashMap<>(4);
        AddedToken token;
    }

    private final List<AddedToken> tokens;

    AddedVocabulary(List<AddedToken> tokens) {
        this.tokens = List.copyOf(tokens);
    }

    List<AddedToken> tokens() {
        return tokens;
    }

    /**
     * A matcher over the tokens that {@code take} accepts (by index in {@link #tokens()}), each found by
     * {@code key} of its content (the normalized content for tokens matched after normalization).
     */
    Matcher matcher(IntPredicate take, java.util.function.UnaryOperator<String> key) {
        Node root = new Node();
        boolean[] first = new boolean[1 << 16];
        int count = 0;
        for (int i = 0; i < tokens.size(); i++) {
            if (!take.test(i)) {
                continue;
            }
            AddedToken t = tokens.get(i);
            String k0 = key.apply(t.content());
            if (k0.isEmpty()) {
                continue;
            }
            Node n = root;
            for (int k = 0; k < k0.length(); k++) {
                n = n.next.computeIfAbsent(k0.charAt(k), c -> new Node());
            }
            if (n.token == null) {
                n.token = t;
            }
            first[k0.charAt(0)] = true;
            count++;
        }
        return new Matcher(root, first, count == 0);
    }

    static final class Matcher {
        private final Node root;
        private final boolean[] first;
        private final boolean empty;

        private Matcher(Node root, boolean[] first, boolean empty) {
            this.root = root;
            this.first = first;
            this.empty = empty;
        }

        boolean isEmpty() {
            return empty;
        }

        /** Splits {@code text[from, to)} into ordinary ranges and tokens. */
        void split(CharSequence text, int from, int to, Sink sink) {
            if (empty) {
                sink.text(from, to);
                return;
            }
            int textStart = from;
            int i = from;
            while (i < to) {
                if (!first[text.charAt(i)]) {
                    i++;
                    continue;
                }
                Node n = root;
                AddedToken best = null;
                int bestEnd = -1;
                for (int k = i; k < to; k++) {
                    n = n.next.get(text.charAt(k));
                    if (n == null) {
                        break;
                    }
                    if (n.token != null) {
                        best = n.token;
                        bestEnd = k + 1;
                    }
                }
                if (best == null) {
                    i++;
                    continue;
                }
                if (best.singleWord() && (touchesWord(text, i - 1, from, -1) || touchesWord(text, bestEnd, to, 1))) {
                    i = bestEnd;
                    continue;
                }
                int s = i;
                int e = bestEnd;
                if (best.lstrip()) {
                    while (s > textStart && isWhiteSpaceBefore(text, s)) {
                        s -= Character.charCount(Character.codePointBefore(text, s));
                    }
                }
                if (best.rstrip()) {
                    while (e < to && Gpt2PreTokenizer.isWhiteSpace(Character.codePointAt(text, e))) {
                        e += Character.charCount(Character.codePointAt(text, e));
                    }
                }
                if (s > textStart) {
                    sink.text(textStart, s);
                }
                sink.token(best);
                textStart = e;
                i = e;
            }
            if (textStart < to) {
                sink.text(textStart, to);
            }
        }

        private static boolean isWhiteSpaceBefore(CharSequence t, int at) {
            return Gpt2PreTokenizer.isWhiteSpace(Character.codePointBefore(t, at));
        }

        /** Whether the character at {@code at} (before or after a match) is a word character. */
        private static boolean touchesWord(CharSequence t, int at, int bound, int dir) {
            if (dir < 0 ? at < bound : at >= bound) {
                return false;
            }
            int cp = dir < 0 ? Character.codePointBefore(t, at + 1) : Character.codePointAt(t, at);
            return Character.isLetterOrDigit(cp) || cp == '_';
        }
    }

    static List<AddedToken> sortedById(List<AddedToken> l) {
        List<AddedToken> out = new ArrayList<>(l);
        out.sort(java.util.Comparator.comparingInt(AddedToken::id));
        return out;
    }
}
