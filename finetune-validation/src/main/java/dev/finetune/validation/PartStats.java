package dev.finetune.validation;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Counters for one uploaded file (train or eval) as it streams past: what was received, dropped and
 * kept, and the per-type numbers the metrics and the review need. Per-example token and turn counts
 * are kept as int arrays (8 bytes per example) for percentiles and the auto-split.
 */
final class PartStats {
    final boolean eval;
    long received;
    long valid;
    long badEncoding;
    final List<Long> badEncodingLines = new ArrayList<>();
    long duplicates;
    long tooManyTokens;
    /** "index:droppedTurns" of the first conversations that lost turns to the too-long rule ({@link #MAX_PAIRS_KEPT} at most). */
    final List<String> tooManyTokenPairs = new ArrayList<>();
    /** How many conversations lost turns to the too-long rule. */
    long tooLongConversations;
    final List<Long> preamblesTooLong = new ArrayList<>();
    Optional<String> preamble = Optional.empty();
    final IntList tokens = new IntList();
    /** Per kept example: turns (chat), relevant passages (reranker), 1 otherwise. */
    final IntList turns = new IntList();
    /** Per kept example: hard negatives (reranker), 0 otherwise. */
    final IntList extra = new IntList();

    // reranker
    final Set<Long> queries = new HashSet<>();
    long hardNegativesRemoved;
    long pairsOverLimit;

    // classification: examples and a few samples per label, in first-seen order
    final Map<String, long[]> labelCounts = new LinkedHashMap<>();
    final Map<String, List<String>> labelSamples = new LinkedHashMap<>();

    PartStats(boolean eval) {
        this.eval = eval;
    }

    static final int MAX_PAIRS_KEPT = 51;

    /**
     * Records that the conversation at 0-based {@code index} in this file (counting every record
     * received, as {@link #received} does) had {@code droppedTurns} turns dropped.
     */
    void tooLongConversation(long index, int droppedTurns) {
        tooLongConversations++;
        if (tooManyTokenPairs.size() < MAX_PAIRS_KEPT) {
            tooManyTokenPairs.add(index + ":" + droppedTurns);
        }
    }

    String name() {
        return eval ? "eval" : "train";
    }

    void addExample(int exampleTokens, int exampleTurns, int exampleExtra) {
        valid++;
        tokens.add(exampleTokens);
        turns.add(exampleTurns);
        extra.add(exampleExtra);
    }

    void addLabel(String label, String text) {
        labelCounts.computeIfAbsent(label, k -> new long[1])[0]++;
        List<String> s = labelSamples.computeIfAbsent(label, k -> new ArrayList<>());
        if (s.size() < 3) {
            s.add(text.length() > 200 ? text.substring(0, 200) : text);
        }
    }

    /** A growable int array. */
    static final class IntList {
        private int[] a = new int[256];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int get(int i) {
            return a[i];
        }

        int size() {
            return n;
        }
    }
}
