package dev.finetune.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns a byte-level BPE vocabulary from a corpus, GPT-2 style: the text is pre-tokenized with
 * {@link Gpt2PreTokenizer} (line by line, each line with its line break), every piece starts as its
 * UTF-8 bytes, and the most frequent adjacent pair is merged until the vocabulary reaches the target
 * size, or until no pair occurs twice (a small corpus may end below the target). Ties go to the pair whose merged bytes sort first (unsigned), then to the lower left id, so the
 * result depends only on the corpus and the size. Ids 0..255 are the bytes in GPT-2's order; merges
 * follow; the special tokens come last.
 */
public final class BpeTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(BpeTrainer.class);

    private BpeTrainer() {
    }

    /** Trains on the text of {@code corpus} (UTF-8). */
    public static ByteLevelBpe train(Path corpus, int vocabSize, List<String> specialTokens) {
        Map<String, Integer> counts = new HashMap<>();
        long bytes = 0;
        try (BufferedReader r = Files.newBufferedReader(corpus, StandardCharsets.UTF_8)) {
            String line;
            long lines = 0;
            while ((line = r.readLine()) != null) {
                count(line + "\n", counts);
                bytes += line.length() + 1;
                if (++lines % 200_000 == 0) {
                    LOG.info("tokenizer training: read {} lines ({} MB) of {}", lines, bytes >> 20, corpus);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the corpus " + corpus, e);
        }
        return train(counts, vocabSize, specialTokens);
    }

    /** Trains on {@code text} held in memory. */
    public static ByteLevelBpe train(String text, int vocabSize, List<String> specialTokens) {
        Map<String, Integer> counts = new HashMap<>();
        text.lines().forEach(l -> count(l + "\n", counts));
        return train(counts, vocabSize, specialTokens);
    }

    private static void count(String text, Map<String, Integer> counts) {
        Gpt2PreTokenizer.split(text, (t, s, e) -> counts.merge(t.subSequence(s, e).toString(), 1, Integer::sum));
    }

    private static ByteLevelBpe train(Map<String, Integer> pieceCounts, int vocabSize, List<String> specialTokens) {
        int specials = new LinkedHashSetOf(specialTokens).size();
        if (vocabSize < 256 + specials) {
            throw new IllegalArgumentException("vocab size " + vocabSize + " is below 256 byte tokens + " + specials
                    + " special tokens");
        }
        int targetMerges = vocabSize - 256 - specials;
        // byte tokens in GPT-2's id order
        List<byte[]> tokens = new ArrayList<>();
        int[] idOfByte = new int[256];
        for (int pass = 0; pass < 2; pass++) {
            for (int b = 0; b < 256; b++) {
                boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
                if (printable == (pass == 0)) {
                    idOfByte[b] = tokens.size();
                    tokens.add(new byte[] {(byte) b});
                }
            }
        }
        // words: unique pieces as id sequences, sorted for determinism
        List<String> keys = new ArrayList<>(pieceCounts.keySet());
        keys.sort(null);
        int W = keys.size();
        int[][] words = new int[W][];
        int[] wordCount = new int[W];
        for (int w = 0; w < W; w++) {
            byte[] b = ByteLevelBpe.utf8(keys.get(w));
            words[w] = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                words[w][i] = idOfByte[b[i] & 0xFF];
            }
            wordCount[w] = pieceCounts.get(keys.get(w));
        }
        Map<Long, long[]> pairCount = new HashMap<>();       // pair → {count}
        Map<Long, Set<Integer>> where = new HashMap<>();      // pair → words holding it
        for (int w = 0; w < W; w++) {
            addPairs(words[w], w, wordCount[w], pairCount, where, +1);
        }
        PriorityQueue<long[]> heap = new PriorityQueue<>((x, y) -> compare(x, y, tokens));
        pairCount.forEach((p, c) -> heap.add(new long[] {p, c[0]}));
        List<int[]> merges = new ArrayList<>();
        while (merges.size() < targetMerges && !heap.isEmpty()) {
            long[] top = heap.poll();
            long[] current = pairCount.get(top[0]);
            if (current == null || current[0] != top[1]) {
                if (current != null && current[0] > 0) {
                    heap.add(new long[] {top[0], current[0]});
                }
                continue;
            }
            if (current[0] < 2) {
                break;
            }
            int a = (int) (top[0] >>> 32);
            int b = (int) top[0];
            byte[] ab = concat(tokens.get(a), tokens.get(b));
            int id = tokens.size();
            tokens.add(ab);
            merges.add(new int[] {a, b});
            Set<Integer> affected = where.remove(top[0]);
            pairCount.remove(top[0]);
            Set<Long> touched = new HashSet<>();
            for (int w : affected == null ? Set.<Integer>of() : affected) {
                int[] word = words[w];
                addPairs(word, w, wordCount[w], pairCount, where, -1, touched);
                words[w] = mergeWord(word, a, b, id);
                addPairs(words[w], w, wordCount[w], pairCount, where, +1, touched);
            }
            for (long p : touched) {
                long[] c = pairCount.get(p);
                if (c != null && c[0] > 0) {
                    heap.add(new long[] {p, c[0]});
                }
            }
            if (merges.size() % 1000 == 0) {
                LOG.info("tokenizer training: {} of {} merges", merges.size(), targetMerges);
            }
        }
        byte[][] table = tokens.toArray(new byte[0][]);
        Map<String, Integer> special = new LinkedHashMap<>();
        for (String s : new LinkedHashSetOf(specialTokens)) {
            special.put(s, table.length + special.size());
        }
        LOG.info("tokenizer training: {} merges, vocabulary {} ({} special)", merges.size(), table.length + special.size(),
                special.size());
        return new ByteLevelBpe(table, merges, special);
    }

    /** Higher count first; ties: merged bytes in unsigned order, then lower left id. */
    private static int compare(long[] x, long[] y, List<byte[]> tokens) {
        if (x[1] != y[1]) {
            return Long.compare(y[1], x[1]);
        }
        int ax = (int) (x[0] >>> 32);
        int bx = (int) x[0];
        int ay = (int) (y[0] >>> 32);
        int by = (int) y[0];
        int c = java.util.Arrays.compareUnsigned(concat(tokens.get(ax), tokens.get(bx)), concat(tokens.get(ay), tokens.get(by)));
        return c != 0 ? c : Integer.compare(ax, ay);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] ab = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        return ab;
    }

    private static int[] mergeWord(int[] word, int a, int b, int id) {
        int[] out = new int[word.length];
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == a && word[i + 1] == b) {
                out[n++] = id;
                i++;
            } else {
                out[n++] = word[i];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static void addPairs(int[] word, int w, int count, Map<Long, long[]> pairCount, Map<Long, Set<Integer>> where,
                                 int sign) {
        addPairs(word, w, count, pairCount, where, sign, null);
    }

    private static void addPairs(int[] word, int w, int count, Map<Long, long[]> pairCount, Map<Long, Set<Integer>> where,
                                 int sign, Set<Long> touched) {
        for (int i = 0; i + 1 < word.length; i++) {
            long p = ((long) word[i] << 32) | (word[i + 1] & 0xFFFFFFFFL);
            long[] c = pairCount.computeIfAbsent(p, k -> new long[1]);
            c[0] += (long) sign * count;
            if (sign > 0) {
                where.computeIfAbsent(p, k -> new HashSet<>()).add(w);
            }
            if (touched != null) {
                touched.add(p);
            }
        }
    }

    /** Insertion-ordered de-duplication of the special tokens. */
    private static final class LinkedHashSetOf extends java.util.LinkedHashSet<String> {
        LinkedHashSetOf(List<String> items) {
            super(items);
        }
    }
}
