package dev.finetune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.FinetuneException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a HuggingFace {@code tokenizer.json} of the byte-level BPE family into a {@link ByteLevelBpe}
 * with the file's own pipeline. Supported, by the names the file uses:
 * <ul>
 *   <li>{@code normalizer}: null, {@code NFC}, {@code NFD}, {@code NFKC}, {@code NFKD}, {@code Sequence};</li>
 *   <li>{@code pre_tokenizer}: {@code Split} (a {@code Regex} or {@code String} pattern, every
 *       {@code behavior}, {@code invert}), {@code ByteLevel} (with or without its regex,
 *       {@code add_prefix_space}), {@code Digits}, {@code Sequence}; one {@code ByteLevel} is required;</li>
 *   <li>{@code model}: {@code BPE} with merges as {@code "a b"} strings or {@code ["a", "b"]} pairs,
 *       {@code ignore_merges};</li>
 *   <li>{@code added_tokens} with {@code special}, {@code single_word}, {@code lstrip}, {@code rstrip},
 *       {@code normalized};</li>
 *   <li>{@code post_processor}: null, {@code ByteLevel}, {@code TemplateProcessing}, {@code Sequence};</li>
 *   <li>{@code decoder}: {@code ByteLevel}.</li>
 * </ul>
 * Anything else (another component, {@code byte_fallback}, dropout, a subword prefix, truncation or
 * padding) fails loading with a message naming it, never with different ids.
 *
 * <p><b>Regexes.</b> {@code Split} patterns are written for Oniguruma. They run here on
 * {@code java.util.regex} with {@link Pattern#UNICODE_CHARACTER_CLASS}, under which {@code \s} is
 * Unicode White_Space (U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000: Oniguruma's set; not U+180E or U+200B), {@code \p{L}}/{@code \p{N}}
 * are the general categories, {@code \d} is Nd, and {@code (?i:...)} folds case by Unicode
 * ({@code 'ſ} matches {@code (?i:'s)} in both). Where the engines differ: {@code \w} (Java adds
 * Alphabetic letters such as Nl and omits nothing Oniguruma has in L/M/Nd/Pc, but includes
 * Join_Control), {@code \h} (Java: horizontal white space; Oniguruma: hex digit) and multi-character
 * case folds ({@code (?i:ss)} matches {@code ß} in Oniguruma only); the Unicode tables are those of
 * the JDK (Java 17: Unicode 13), so characters assigned later have no category here. A pattern
 * using {@code \h}, {@code \X}, or Oniguruma-only syntax ({@code \p{^...}}, {@code (?~...)},
 * {@code \K}, {@code \O}, {@code \y}) fails loading with the construct named.
 */
public final class TokenizerJson {
    private TokenizerJson() {
    }

    public static ByteLevelBpe load(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return read(root, file.toString());
    }

    /** Builds the tokenizer of a parsed {@code tokenizer.json}; {@code where} names it in errors. */
    public static ByteLevelBpe read(JsonNode root, String where) {
        if (!root.isObject()) {
            throw new FinetuneException(where + ": expected a JSON object");
        }
        for (String k : List.of("truncation", "padding")) {
            if (root.has(k) && !root.get(k).isNull()) {
                throw new FinetuneException(where + ": \"" + k + "\" is set; this build does not truncate or pad"
                        + " inside the tokenizer (set it to null)");
            }
        }
        JsonNode model = root.path("model");
        String type = model.path("type").asText("BPE");
        if (!"BPE".equals(type)) {
            throw new FinetuneException(where + ": model.type " + type + " is not supported (only BPE)");
        }
        if (!model.path("vocab").isObject()) {
            throw new FinetuneException(where + ": model.vocab must be an object of token -> id");
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw new FinetuneException(where + ": model.byte_fallback is not supported (byte-level BPE needs none)");
        }
        if (!model.path("dropout").isMissingNode() && !model.path("dropout").isNull()
                && model.path("dropout").asDouble() != 0) {
            throw new FinetuneException(where + ": model.dropout is not supported");
        }
        for (String k : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (model.hasNonNull(k) && !model.get(k).asText().isEmpty()) {
                throw new FinetuneException(where + ": model." + k + " \"" + model.get(k).asText() + "\" is not supported");
            }
        }
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);

        List<AddedToken> added = new ArrayList<>();
        int i = 0;
        for (JsonNode a : root.path("added_tokens")) {
            String at = where + ": added_tokens[" + i++ + "]";
            if (!a.path("content").isTextual() || !a.path("id").canConvertToInt()) {
                throw new FinetuneException(at + " needs \"id\" and \"content\"");
            }
            added.add(new AddedToken(a.get("id").asInt(), a.get("content").asText(), a.path("special").asBoolean(false),
                    a.path("single_word").asBoolean(false), a.path("lstrip").asBoolean(false),
                    a.path("rstrip").asBoolean(false), a.path("normalized").asBoolean(!a.path("special").asBoolean(false))));
        }

        Normalizer normalizer = normalizer(root.path("normalizer"), where + ": normalizer");
        PreTokenizer pre = preTokenizer(root.path("pre_tokenizer"), where + ": pre_tokenizer");
        if (!hasByteLevel(pre)) {
            throw new FinetuneException(where + ": pre_tokenizer has no ByteLevel; only byte-level BPE is supported");
        }
        Map<String, Integer> addedIds = new HashMap<>();
        for (AddedToken a : added) {
            addedIds.put(a.content(), a.id());
        }
        PostProcessor post = postProcessor(root.path("post_processor"), where + ": post_processor", addedIds);
        Decoder decoder = decoder(root.path("decoder"), where + ": decoder");

        Map<String, Integer> vocab = new HashMap<>(model.get("vocab").size() * 2);
        Iterator<Map.Entry<String, JsonNode>> it = model.get("vocab").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        List<String[]> merges = new ArrayList<>();
        int m = 0;
        for (JsonNode mj : model.path("merges")) {
            if (mj.isArray() && mj.size() == 2 && mj.get(0).isTextual() && mj.get(1).isTextual()) {
                merges.add(new String[] {mj.get(0).asText(), mj.get(1).asText()});
            } else if (mj.isTextual()) {
                String t = mj.asText();
                int sp = t.indexOf(' ');
                if (sp <= 0 || sp == t.length() - 1 || t.indexOf(' ', sp + 1) >= 0) {
                    throw new FinetuneException(where + ": model.merges[" + m + "] \"" + t + "\" is not two tokens separated by one space");
                }
                merges.add(new String[] {t.substring(0, sp), t.substring(sp + 1)});
            } else {
                throw new FinetuneException(where + ": model.merges[" + m + "] is not a pair of tokens");
            }
            m++;
        }
        boolean gpt2 = normalizer == null && pre.equals(new PreTokenizer.ByteLevel(false, true)) && !ignoreMerges
                && (post == null || post instanceof PostProcessor.ByteLevel)
                && added.stream().allMatch(a -> a.special() && !a.lstrip() && !a.rstrip() && !a.singleWord());
        int unk = -1;
        if (model.hasNonNull("unk_token")) {
            String u = model.get("unk_token").asText();
            Integer id = vocab.containsKey(u) ? vocab.get(u) : addedIds.get(u);
            if (id == null) {
                throw new FinetuneException(where + ": model.unk_token \"" + u + "\" is not in the vocabulary");
            }
            unk = id;
        }
        ByteLevelBpe.Pipeline pipeline = gpt2 ? null : new ByteLevelBpe.Pipeline(normalizer, pre, ignoreMerges, unk,
                model.path("fuse_unk").asBoolean(false), post, decoder, root);
        return BpeFiles.build(vocab, merges, added, pipeline, where);
    }

    private static boolean hasByteLevel(PreTokenizer p) {
        if (p instanceof PreTokenizer.ByteLevel) {
            return true;
        }
        return p instanceof PreTokenizer.Sequence s && s.pretokenizers().stream().anyMatch(TokenizerJson::hasByteLevel);
    }

    static Normalizer normalizer(JsonNode n, String where) {
        if (n.isMissingNode() || n.isNull()) {
            return null;
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "NFC" -> new Normalizer.NFC();
            case "NFD" -> new Normalizer.NFD();
            case "NFKC" -> new Normalizer.NFKC();
            case "NFKD" -> new Normalizer.NFKD();
            case "Sequence" -> {
                List<Normalizer> l = new ArrayList<>();
                int i = 0;
                for (JsonNode c : n.path("normalizers")) {
                    Normalizer x = normalizer(c, where + ".normalizers[" + i++ + "]");
                    if (x != null) {
                        l.add(x);
                    }
                }
                yield l.isEmpty() ? null : new Normalizer.Sequence(l);
            }
            default -> throw new FinetuneException(where + ": normalizer type \"" + type + "\" is not supported"
                    + " (supported: NFC, NFD, NFKC, NFKD, Sequence)");
        };
    }

    static PreTokenizer preTokenizer(JsonNode n, String where) {
        if (n.isMissingNode() || n.isNull()) {
            throw new FinetuneException(where + ": a byte-level BPE needs a pre_tokenizer with ByteLevel (it is null)");
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> new PreTokenizer.ByteLevel(n.path("add_prefix_space").asBoolean(false),
                    n.path("use_regex").asBoolean(true));
            case "Digits" -> new PreTokenizer.Digits(n.path("individual_digits").asBoolean(false));
            case "Sequence" -> {
                List<PreTokenizer> l = new ArrayList<>();
                int i = 0;
                for (JsonNode c : n.path("pretokenizers")) {
                    l.add(preTokenizer(c, where + ".pretokenizers[" + i++ + "]"));
                }
                yield new PreTokenizer.Sequence(l);
            }
            case "Split" -> {
                JsonNode pat = n.path("pattern");
                Pattern p;
                if (pat.has("Regex")) {
                    p = compile(pat.get("Regex").asText(), where + ".pattern.Regex");
                } else if (pat.has("String")) {
                    p = Pattern.compile(Pattern.quote(pat.get("String").asText()));
                } else {
                    throw new FinetuneException(where + ".pattern must be {\"Regex\": ...} or {\"String\": ...}");
                }
                String b = n.path("behavior").asText();
                PreTokenizer.Behavior behavior;
                try {
                    behavior = PreTokenizer.Behavior.valueOf(b);
                } catch (IllegalArgumentException e) {
                    throw new FinetuneException(where + ".behavior \"" + b + "\" is not one of Removed, Isolated,"
                            + " MergedWithPrevious, MergedWithNext, Contiguous");
                }
                yield new PreTokenizer.Split(p, behavior, n.path("invert").asBoolean(false));
            }
            default -> throw new FinetuneException(where + ": pre_tokenizer type \"" + type + "\" is not supported"
                    + " (supported: Split, ByteLevel, Digits, Sequence)");
        };
    }

    /** Compiles an Oniguruma pattern for Java's engine, refusing the constructs the two read differently. */
    public static Pattern compile(String regex, String where) {
        for (String bad : List.of("\\h", "\\H", "\\K", "(?~", "\\p{^", "\\P{^", "\\X", "\\O", "\\y", "\\Y")) {
            if (containsUnescaped(regex, bad)) {
                throw new FinetuneException(where + ": the construct " + bad
                        + " means something else (or nothing) in Java's regex engine; this pattern is not supported");
            }
        }
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new FinetuneException(where + ": Java's regex engine rejects the pattern: " + e.getDescription(), e);
        }
    }

    /** Whether {@code s} occurs in {@code regex} not preceded by an escaping backslash. */
    private static boolean containsUnescaped(String regex, String s) {
        int from = 0;
        while (true) {
            int at = regex.indexOf(s, from);
            if (at < 0) {
                return false;
            }
            int bs = 0;
            for (int k = at - 1; k >= 0 && regex.charAt(k) == '\\'; k--) {
                bs++;
            }
            // an even number of backslashes before it: the construct itself is not escaped
            if (bs % 2 == 0) {
                return true;
            }
            from = at + 1;
        }
    }

    static PostProcessor postProcessor(JsonNode n, String where, Map<String, Integer> addedIds) {
        if (n.isMissingNode() || n.isNull()) {
            return null;
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> new PostProcessor.ByteLevel();
            case "Sequence" -> {
                List<PostProcessor> l = new ArrayList<>();
                int i = 0;
                for (JsonNode c : n.path("processors")) {
                    PostProcessor p = postProcessor(c, where + ".processors[" + i++ + "]", addedIds);
                    if (p != null) {
                        l.add(p);
                    }
                }
                yield new PostProcessor.Sequence(l);
            }
            case "TemplateProcessing" -> {
                Map<String, int[]> specials = new HashMap<>();
                n.path("special_tokens").fields().forEachRemaining(e -> {
                    List<Integer> ids = new ArrayList<>();
                    e.getValue().path("ids").forEach(x -> ids.add(x.asInt()));
                    specials.put(e.getKey(), ids.stream().mapToInt(Integer::intValue).toArray());
                });
                List<Integer> pre = new ArrayList<>();
                List<Integer> post = new ArrayList<>();
                boolean seenA = false;
                int i = 0;
                for (JsonNode piece : n.path("single")) {
                    String at = where + ".single[" + i++ + "]";
                    if (piece.has("Sequence")) {
                        String id = piece.get("Sequence").path("id").asText();
                        if (!id.equals("A") || seenA) {
                            throw new FinetuneException(at + ": a single-text template has one $A (found $" + id + ")");
                        }
                        seenA = true;
                    } else if (piece.has("SpecialToken")) {
                        String id = piece.get("SpecialToken").path("id").asText();
                        int[] ids = specials.get(id);
                        if (ids == null) {
                            Integer one = addedIds.get(id);
                            if (one == null) {
                                throw new FinetuneException(at + ": special token " + id + " is in neither special_tokens nor added_tokens");
                            }
                            ids = new int[] {one};
                        }
                        for (int x : ids) {
                            (seenA ? post : pre).add(x);
                        }
                    } else {
                        throw new FinetuneException(at + ": expected Sequence or SpecialToken");
                    }
                }
                if (!seenA) {
                    throw new FinetuneException(where + ".single has no $A");
                }
                yield new PostProcessor.TemplateProcessing(pre.stream().mapToInt(Integer::intValue).toArray(),
                        post.stream().mapToInt(Integer::intValue).toArray());
            }
            default -> throw new FinetuneException(where + ": post_processor type \"" + type + "\" is not supported"
                    + " (supported: ByteLevel, TemplateProcessing, Sequence)");
        };
    }

    static Decoder decoder(JsonNode n, String where) {
        String type = n.path("type").asText(n.isNull() || n.isMissingNode() ? "null" : "");
        if (type.equals("ByteLevel")) {
            return new Decoder.ByteLevel();
        }
        throw new FinetuneException(where + ": decoder type \"" + type + "\" is not supported (supported: ByteLevel)");
    }
}
