package dev.finetune.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE as GPT-2 defines it: text is split by {@link Gpt2PreTokenizer}, each piece becomes its
 * UTF-8 bytes, each byte a token, and adjacent tokens merge by the lowest merge rank until no merge
 * applies. Special tokens are added ids that ordinary text never produces; {@link #encode(String,
 * java.util.Set)} matches them only when the caller names them.
 *
 * <p>Loaded from a {@code tokenizer.json} ({@link TokenizerJson}), the same model runs inside that
 * file's pipeline: added tokens are found first (non-special ones always, special ones only when
 * allowed), the rest is normalized ({@link Normalizer}), split ({@link PreTokenizer}) and encoded
 * piece by piece (with {@code ignore_merges}, a piece that is itself a token is that token); with
 * {@code addSpecialTokens} the {@link PostProcessor} adds its ids; {@link Decoder} turns ids back.
 *
 * <p>Immutable and thread-safe. A bounded cache maps frequent pieces to their ids.
 */
public final class ByteLevelBpe implements Tokenizer {
    private static final int CACHE_LIMIT = 1 << 16;

    /** Token bytes by id (null for ids that are not byte tokens, i.e. special tokens). */
    private final byte[][] bytesById;
    /** Id of each single byte. */
    private final int[] byteToken;
    /** (left id, right id) → rank in the high 32 bits, merged id in the low 32 bits. */
    private final LongIntMap merges;
    private final Map<String, Integer> specials;
    private final String[] specialById;
    private final int vocabSize;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();
    /** The tokenizer.json stages; null for GPT-2's own pipeline (no normalizer, GPT-2's split). */
    private final Pipeline pipeline;
    /** Every added token (specials included), by id order. */
    private final List<AddedToken> added;
    private final AddedToken[] addedById;
    /** Token id by bytes, for {@code ignore_merges}; null otherwise. */
    private final Map<ByteKey, Integer> idByBytes;
    private final AddedVocabulary.Matcher ordinaryRaw;
    private final AddedVocabulary.Matcher ordinaryNormalized;
    private final AddedVocabulary.Matcher allRaw;
    private final AddedVocabulary.Matcher allNormalized;

    /**
     * The stages of a {@code tokenizer.json} around the model.
     *
     * @param normalizer    null for none
     * @param preTokenizer  never null
     * @param ignoreMerges  a piece that is a token is that token, whatever the merges would give
     * @param unkId         the id a byte without a token becomes (-1: such a byte is dropped, as the
     *                      tokenizers library drops it when the model has no {@code unk_token})
     * @param fuseUnk       consecutive unknown bytes become one {@code unkId}
     * @param postProcessor null for none
     * @param decoder       never null
     * @param source        the file's JSON, written back by {@link BpeFiles#save} (may be null)
     */
    public record Pipeline(Normalizer normalizer, PreTokenizer preTokenizer, boolean ignoreMerges, int unkId,
                           boolean fuseUnk, PostProcessor postProcessor, Decoder decoder, com.fasterxml.jackson.databind.JsonNode source) {
        public Pipeline {
            Objects.requireNonNull(preTokenizer, "preTokenizer");
            Objects.requireNonNull(decoder, "decoder");
        }
    }

    /**
     * @param tokens   every byte-level token's bytes; index = id (null at ids used by special tokens)
     * @param merges   merge rules in rank order, each a pair of ids whose concatenation is a token
     * @param specials added tokens by text (e.g. {@code <|endoftext|>} → 50256)
     */
    ByteLevelBpe(byte[][] tokens, List<int[]> merges, Map<String, Integer> specials) {
        this(tokens, merges, specialsAsAdded(specials), null);
    }

    private static List<AddedToken> specialsAsAdded(Map<String, Integer> specials) {
        List<AddedToken> l = new ArrayList<>();
        specials.forEach((t, id) -> l.add(AddedToken.special(id, t)));
        return l;
    }

    /**
     * @param tokens   every byte-level token's bytes; index = id (null at ids used by added tokens)
     * @param merges   merge rules in rank order, each a pair of ids whose concatenation is a token
     * @param addedTokens the added tokens (special or not)
     * @param pipeline the tokenizer.json stages, or null for GPT-2's pipeline
     */
    ByteLevelBpe(byte[][] tokens, List<int[]> merges, List<AddedToken> addedTokens, Pipeline pipeline) {
        this.pipeline = pipeline;
        Map<String, Integer> specials = new LinkedHashMap<>();
        int max = tokens.length;
        for (AddedToken a : addedTokens) {
            max = Math.max(max, a.id() + 1);
            if (a.special()) {
                specials.putIfAbsent(a.content(), a.id());
            }
        }
        this.vocabSize = max;
        this.bytesById = Arrays.copyOf(tokens, max);
        this.byteToken = new int[256];
        Arrays.fill(byteToken, -1);
        Map<ByteKey, Integer> idByBytes = new java.util.HashMap<>();
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id] != null) {
                idByBytes.putIfAbsent(new ByteKey(tokens[id]), id);
                if (tokens[id].length == 1) {
                    byteToken[tokens[id][0] & 0xFF] = id;
                }
            }
        }
        for (int b = 0; b < 256 && pipeline == null; b++) {
            if (byteToken[b] < 0) {
                throw new IllegalArgumentException("the vocabulary has no token for byte 0x" + Integer.toHexString(b)
                        + " (a byte-level BPE needs all 256)");
            }
        }
        this.merges = new LongIntMap(merges.size() * 2);
        for (int rank = 0; rank < merges.size(); rank++) {
            int[] m = merges.get(rank);
            byte[] a = bytesById[m[0]];
            byte[] b = bytesById[m[1]];
            byte[] ab = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, ab, a.length, b.length);
            Integer merged = idByBytes.get(new ByteKey(ab));
            if (merged == null) {
                throw new IllegalArgumentException("merge rule " + (rank + 1) + " makes a token that is not in the vocabulary");
            }
            long key = pair(m[0], m[1]);
            if (this.merges.get(key) == -1) {
                this.merges.put(key, rank, merged);
            }
        }
        this.specials = Collections.unmodifiableMap(new LinkedHashMap<>(specials));
        this.specialById = new String[max];
        this.addedById = new AddedToken[max];
        for (AddedToken a : addedTokens) {
            if (a.id() < 0) {
                throw new IllegalArgumentException("added token " + a.content() + " has a negative id " + a.id());
            }
            if (a.id() < tokens.length && tokens[a.id()] != null) {
                throw new IllegalArgumentException("added token " + a.content() + " has id " + a.id()
                        + ", which the vocabulary gives to another token");
            }
            specialById[a.id()] = a.content();
            addedById[a.id()] = a;
        }
        this.added = List.copyOf(addedTokens);
        this.idByBytes = pipeline != null && pipeline.ignoreMerges() ? idByBytes : null;
        AddedVocabulary vocab = new AddedVocabulary(added);
        boolean norm = pipeline != null && pipeline.normalizer() != null;
        // without a normalizer, "normalized" tokens are matched on the text as given, in the same pass
        this.ordinaryRaw = vocab.matcher(i -> !added.get(i).special() && !(norm && added.get(i).normalized()), s -> s);
        this.allRaw = vocab.matcher(i -> !(norm && added.get(i).normalized()), s -> s);
        this.ordinaryNormalized = norm ? vocab.matcher(i -> !added.get(i).special() && added.get(i).normalized(),
                pipeline.normalizer()::normalize) : null;
        this.allNormalized = norm ? vocab.matcher(i -> added.get(i).normalized(), pipeline.normalizer()::normalize) : null;
    }

    /** The tokenizer.json stages, or empty for GPT-2's own pipeline. */
    public java.util.Optional<Pipeline> pipeline() {
        return java.util.Optional.ofNullable(pipeline);
    }

    /** Every added token, special or not, in the order of the file. */
    public List<AddedToken> addedTokens() {
        return added;
    }

    /** Whether {@code id} is a special added token (a control token such as an end of turn). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < addedById.length && addedById[id] != null && addedById[id].special();
    }

    /** The id of token text {@code text} (an added token's content or a vocabulary entry's), if any. */
    public java.util.Optional<Integer> tokenId(String text) {
        for (AddedToken a : added) {
            if (a.content().equals(text)) {
                return java.util.Optional.of(a.id());
            }
        }
        return java.util.Optional.empty();
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /** Added special tokens by text. */
    public Map<String, Integer> specialTokens() {
        return specials;
    }

    /** The id of special token {@code text}. */
    public int specialTokenId(String text) {
        Integer id = specials.get(text);
        if (id == null) {
            throw new IllegalArgumentException("no special token " + text + " in this vocabulary");
        }
        return id;
    }

    /** The bytes of token {@code id} (the UTF-8 of its text for a special token). */
    public byte[] tokenBytes(int id) {
        return bytesOf(id).clone();
    }

    /** The bytes of {@code id}, shared (do not modify); special tokens as their UTF-8 text. */
    private byte[] bytesOf(int id) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " is outside 0.." + (vocabSize - 1));
        }
        byte[] b = bytesById[id];
        if (b != null) {
            return b;
        }
        String s = specialById[id];
        if (s == null) {
            throw new IllegalArgumentException("token id " + id + " is unused in this vocabulary");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * This vocabulary plus {@code added} special tokens (those it lacks) at the next free ids, in order —
     * how a chat template's tokens join a vocabulary that never had them.
     */
    public ByteLevelBpe withSpecialTokens(List<String> newTokens) {
        List<AddedToken> all = new ArrayList<>(added);
        int next = vocabSize;
        for (String t : newTokens) {
            if (added.stream().noneMatch(a -> a.content().equals(t))) {
                all.add(AddedToken.special(next++, t));
            }
        }
        byte[][] table = Arrays.copyOf(bytesById, bytesById.length);
        for (AddedToken a : added) {
            table[a.id()] = null;
        }
        return new ByteLevelBpe(table, mergePairs(), all, pipeline);
    }

    /** Number of merge rules. */
    public int mergeCount() {
        return merges.size();
    }

    @Override
    public int[] encode(String text) {
        IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
        if (pipeline == null) {
            encodeOrdinary(text, 0, text.length(), out);
        } else {
            encodePipeline(text, ordinaryRaw, ordinaryNormalized, out);
        }
        return out.toArray();
    }

    /**
     * Encodes {@code text} with every special token's spelling matched ({@code allowAllSpecial}) or none,
     * and with the post-processor's ids around it when {@code addSpecialTokens} (Llama 3's
     * {@code <|begin_of_text|>}): the tokenizers library's {@code encode(text, add_special_tokens)}.
     */
    public int[] encode(String text, boolean allowAllSpecial, boolean addSpecialTokens) {
        IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
        PostProcessor post = pipeline == null ? null : pipeline.postProcessor();
        if (addSpecialTokens && post != null) {
            out.addAll(post.prefix());
        }
        if (!allowAllSpecial) {
            out.addAll(encode(text));
        } else if (pipeline == null) {
            out.addAll(encode(text, specials.keySet()));
        } else {
            encodePipeline(text, allRaw, allNormalized, out);
        }
        if (addSpecialTokens && post != null) {
            out.addAll(post.suffix());
        }
        return out.toArray();
    }

    /** Added tokens on the raw text, then normalizer, normalized added tokens, pre-tokenizer, model. */
    private void encodePipeline(String text, AddedVocabulary.Matcher raw, AddedVocabulary.Matcher normalized,
                                IntBuffer out) {
        raw.split(text, 0, text.length(), new AddedVocabulary.Sink() {
            @Override
            public void text(int start, int end) {
                Normalizer n = pipeline.normalizer();
                if (n == null) {
                    pipeline.preTokenizer().split(text, start, end, (t, s, e) -> out.addAll(pieceIds(t, s, e)));
                    return;
                }
                String seg = n.normalize(text.substring(start, end));
                if (normalized == null || normalized.isEmpty()) {
                    pipeline.preTokenizer().split(seg, 0, seg.length(), (t, s, e) -> out.addAll(pieceIds(t, s, e)));
                    return;
                }
                normalized.split(seg, 0, seg.length(), new AddedVocabulary.Sink() {
                    @Override
                    public void text(int s2, int e2) {
                        pipeline.preTokenizer().split(seg, s2, e2, (t, s, e) -> out.addAll(pieceIds(t, s, e)));
                    }

                    @Override
                    public void token(AddedToken token) {
                        out.add(token.id());
                    }
                });
            }

            @Override
            public void token(AddedToken token) {
                out.add(token.id());
            }
        });
    }

    /**
     * Encodes {@code text}, turning the spellings of the named special tokens into their ids; every
     * other character sequence (other special tokens' spellings included) is ordinary text.
     */
    public int[] encode(String text, java.util.Set<String> allowedSpecial) {
        if (allowedSpecial.isEmpty()) {
            return encode(text);
        }
        for (String s : allowedSpecial) {
            if (!specials.containsKey(s)) {
                throw new IllegalArgumentException("no special token " + s + " in this vocabulary");
            }
        }
        if (pipeline != null) {
            IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
            AddedVocabulary vocab = new AddedVocabulary(added);
            boolean norm = pipeline.normalizer() != null;
            java.util.function.IntPredicate on = i -> !added.get(i).special() || allowedSpecial.contains(added.get(i).content());
            encodePipeline(text, vocab.matcher(i -> on.test(i) && !(norm && added.get(i).normalized()), x -> x),
                    norm ? vocab.matcher(i -> on.test(i) && added.get(i).normalized(), pipeline.normalizer()::normalize) : null,
                    out);
            return out.toArray();
        }
        IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
        int from = 0;
        while (from < text.length()) {
            int best = -1;
            String which = null;
            for (String s : allowedSpecial) {
                int at = text.indexOf(s, from);
                if (at >= 0 && (best < 0 || at < best || (at == best && s.length() > which.length()))) {
                    best = at;
                    which = s;
                }
            }
            if (best < 0) {
                encodeOrdinary(text, from, text.length(), out);
                break;
            }
            encodeOrdinary(text, from, best, out);
            out.add(specials.get(which));
            from = best + which.length();
        }
        return out.toArray();
    }

    private void encodeOrdinary(String text, int from, int to, IntBuffer out) {
        CharSequence part = from == 0 && to == text.length() ? text : text.subSequence(from, to);
        Gpt2PreTokenizer.split(part, (t, s, e) -> encodePiece(t, s, e, out));
    }

    @Override
    public int countTokens(String text) {
        if (pipeline != null) {
            return encode(text).length;
        }
        int[] count = {0};
        Gpt2PreTokenizer.split(text, (t, s, e) -> count[0] += pieceIds(t, s, e).length);
        return count[0];
    }

    private void encodePiece(CharSequence t, int s, int e, IntBuffer out) {
        out.addAll(pieceIds(t, s, e));
    }

    private int[] pieceIds(CharSequence t, int s, int e) {
        // a piece of one ASCII byte is one token: skip the cache
        if (e - s == 1 && t.charAt(s) < 0x80) {
            int id = byteToken[t.charAt(s)];
            if (id >= 0) {
                return new int[] {id};
            }
        }
        String key = t.subSequence(s, e).toString();
        int[] ids = cache.get(key);
        if (ids != null) {
            return ids;
        }
        byte[] bytes = utf8(key);
        Integer whole = idByBytes == null ? null : idByBytes.get(new ByteKey(bytes));
        ids = whole != null ? new int[] {whole} : bpe(bytes);
        if (cache.size() < CACHE_LIMIT) {
            cache.putIfAbsent(key, ids);
        }
        return ids;
    }

    /** UTF-8 of {@code s} with every lone surrogate as U+FFFD (what GPT-2's errors="replace" would read). */
    static byte[] utf8(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 8);
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            if (cp < 0x80) {
                out.write(cp);
            } else if (cp < 0x800) {
                out.write(0xC0 | (cp >> 6));
                out.write(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out.write(0xE0 | (cp >> 12));
                out.write(0x80 | ((cp >> 6) & 0x3F));
                out.write(0x80 | (cp & 0x3F));
            } else {
                out.write(0xF0 | (cp >> 18));
                out.write(0x80 | ((cp >> 12) & 0x3F));
                out.write(0x80 | ((cp >> 6) & 0x3F));
                out.write(0x80 | (cp & 0x3F));
            }
        }
        return out.toByteArray();
    }

    /** Merges the byte tokens of one piece by lowest rank first (ties: leftmost). */
    private int[] bpe(byte[] bytes) {
        int[] ids = new int[bytes.length];
        int n = 0;
        for (byte b : bytes) {
            int id = byteToken[b & 0xFF];
            if (id < 0) {
                // a byte the vocabulary lacks: the unknown token, or nothing
                if (pipeline.unkId() < 0 || (pipeline.fuseUnk() && n > 0 && ids[n - 1] == pipeline.unkId())) {
                    continue;
                }
                id = pipeline.unkId();
            }
            ids[n++] = id;
        }
        while (n > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestAt = -1;
            int bestId = -1;
            for (int i = 0; i + 1 < n; i++) {
                long v = merges.getPacked(pair(ids[i], ids[i + 1]));
                if (v != Long.MIN_VALUE) {
                    int rank = (int) (v >>> 32);
                    if (rank < bestRank) {
                        bestRank = rank;
                        bestAt = i;
                        bestId = (int) v;
                    }
                }
            }
            if (bestAt < 0) {
                break;
            }
            // merge every occurrence of this pair, left to right (same rank, non-overlapping)
            int left = ids[bestAt];
            int right = ids[bestAt + 1];
            int w = 0;
            for (int r = 0; r < n; r++) {
                if (r + 1 < n && r >= bestAt && ids[r] == left && ids[r + 1] == right) {
                    ids[w++] = bestId;
                    r++;
                } else {
                    ids[w++] = ids[r];
                }
            }
            n = w;
        }
        return Arrays.copyOf(ids, n);
    }

    @Override
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * The text of {@code ids}; with {@code skipSpecialTokens} the special added tokens are left out
     * (what an answer shown to a user needs), as the tokenizers library's {@code skip_special_tokens}.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (skipSpecialTokens && isSpecial(id)) {
                continue;
            }
            byte[] b = pipeline != null && bytesById[checked(id)] == null && addedById[id] != null
                    ? pipeline.decoder().addedTokenBytes(addedById[id].content()) : bytesOf(id);
            out.write(b, 0, b.length);
        }
        // Java's UTF-8 decoder replaces each malformed sequence with U+FFFD, like Python's errors="replace"
        return out.toString(StandardCharsets.UTF_8);
    }

    private int checked(int id) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " is outside 0.." + (vocabSize - 1));
        }
        return id;
    }

    /** Every token's bytes in id order (null for special ids) and the merges as id pairs in rank order. */
    List<int[]> mergePairs() {
        List<int[]> list = new ArrayList<>(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            list.add(null);
        }
        merges.forEach((key, rank, merged) -> list.set(rank, new int[] {(int) (key >>> 32), (int) key}));
        list.removeIf(Objects::isNull);
        return list;
    }

    byte[][] tokenTable() {
        return bytesById.clone();
    }

    /** The vocabulary's own tokens (added tokens excluded), id → bytes; null entries are unused ids. */
    byte[][] modelTokens() {
        byte[][] t = Arrays.copyOf(bytesById, bytesById.length);
        return t;
    }

    private record ByteKey(byte[] b) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey k && Arrays.equals(b, k.b);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(b);
        }
    }

    /** A growable int array. */
    static final class IntBuffer {
        private int[] a;
        private int n;

        IntBuffer(int capacity) {
            a = new int[capacity];
        }

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2 + 1);
            }
            a[n++] = v;
        }

        void addAll(int[] vs) {
            if (n + vs.length > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, n + vs.length));
            }
            System.arraycopy(vs, 0, a, n, vs.length);
            n += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** Open-addressing map from a long key to (rank, id), packed in a long; no boxing on the hot path. */
    static final class LongIntMap {
        private long[] keys;
        private long[] values;
        private boolean[] used;
        private int size;

        LongIntMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected * 2) - 1) << 1;
            keys = new long[cap];
            values = new long[cap];
            used = new boolean[cap];
        }

        int size() {
            return size;
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 29)) & (keys.length - 1);
        }

        /** The rank for {@code key}, or -1. */
        int get(long key) {
            long v = getPacked(key);
            return v == Long.MIN_VALUE ? -1 : (int) (v >>> 32);
        }

        long getPacked(long key) {
            int mask = keys.length - 1;
            for (int i = slot(key); ; i = (i + 1) & mask) {
                if (!used[i]) {
                    return Long.MIN_VALUE;
                }
                if (keys[i] == key) {
                    return values[i];
                }
            }
        }

        void put(long key, int rank, int id) {
            if ((size + 1) * 2 > keys.length) {
                grow();
            }
            int mask = keys.length - 1;
            for (int i = slot(key); ; i = (i + 1) & mask) {
                if (!used[i]) {
                    used[i] = true;
                    keys[i] = key;
                    values[i] = ((long) rank << 32) | (id & 0xFFFFFFFFL);
                    size++;
                    return;
                }
                if (keys[i] == key) {
                    values[i] = ((long) rank << 32) | (id & 0xFFFFFFFFL);
                    return;
                }
            }
        }

        private void grow() {
            long[] k = keys;
            long[] v = values;
            boolean[] u = used;
            keys = new long[k.length * 2];
            values = new long[k.length * 2];
            used = new boolean[k.length * 2];
            size = 0;
            for (int i = 0; i < k.length; i++) {
                if (u[i]) {
                    put(k[i], (int) (v[i] >>> 32), (int) v[i]);
                }
            }
        }

        interface Visitor {
            void visit(long key, int rank, int id);
        }

        void forEach(Visitor f) {
            for (int i = 0; i < keys.length; i++) {
                if (used[i]) {
                    f.visit(keys[i], (int) (values[i] >>> 32), (int) values[i]);
                }
            }
        }
    }
}
