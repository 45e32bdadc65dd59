package dev.finetune.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.FinetuneException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading and writing byte-level BPE vocabularies in their two published forms: GPT-2's
 * {@code encoder.json} (token text → id) with {@code vocab.bpe} (one merge per line after a
 * {@code #version} line), and HuggingFace's {@code tokenizer.json} (model type BPE, byte-level).
 * Token texts use GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the
 * other 68 bytes for U+0100 upwards.
 */
public final class BpeFiles {
    public static final String ENCODER_JSON = "encoder.json";
    public static final String VOCAB_BPE = "vocab.bpe";
    public static final String TOKENIZER_JSON = "tokenizer.json";
    /** Spellings that are special tokens when they appear in {@code encoder.json}. */
    static final String END_OF_TEXT = "<|endoftext|>";

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private BpeFiles() {
    }

    /** The GPT-2 character string of {@code bytes}. */
    static String toTokenText(byte[] bytes) {
        char[] cs = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            cs[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(cs);
    }

    /** The bytes of a GPT-2 token string. */
    static byte[] fromTokenText(String text, String where) {
        byte[] b = new byte[text.length()];
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int v = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (v < 0) {
                throw new FinetuneException(where + ": token \"" + text + "\" has character U+"
                        + String.format("%04X", (int) c) + ", which is not in GPT-2's byte table");
            }
            b[i] = (byte) v;
        }
        return b;
    }

    /** The bytes of a GPT-2 token string, or null when a character is outside the byte table. */
    static byte[] fromTokenTextOrNull(String text) {
        byte[] b = new byte[text.length()];
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int v = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (v < 0) {
                return null;
            }
            b[i] = (byte) v;
        }
        return b;
    }

    /** Loads whichever form {@code dir} holds: {@code tokenizer.json}, else encoder.json + vocab.bpe. */
    public static ByteLevelBpe load(Path dir) {
        if (Files.isRegularFile(dir.resolve(TOKENIZER_JSON))) {
            return loadTokenizerJson(dir.resolve(TOKENIZER_JSON));
        }
        if (Files.isRegularFile(dir.resolve(ENCODER_JSON)) && Files.isRegularFile(dir.resolve(VOCAB_BPE))) {
            return loadGpt2(dir.resolve(ENCODER_JSON), dir.resolve(VOCAB_BPE));
        }
        throw new FinetuneException(dir + ": no tokenizer here (expected tokenizer.json, or encoder.json and vocab.bpe)");
    }

    /** Loads GPT-2's {@code encoder.json} and {@code vocab.bpe}. */
    public static ByteLevelBpe loadGpt2(Path encoderJson, Path vocabBpe) {
        try (InputStream e = Files.newInputStream(encoderJson); InputStream v = Files.newInputStream(vocabBpe)) {
            return readGpt2(e, encoderJson.toString(), v, vocabBpe.toString());
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read " + encoderJson + " / " + vocabBpe, ex);
        }
    }

    static ByteLevelBpe readGpt2(InputStream encoderJson, String encoderName, InputStream vocabBpe, String vocabName)
            throws IOException {
        Map<String, Integer> vocab = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(encoderJson)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new FinetuneException(encoderName + ": expected a JSON object of token -> id");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String tok = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                    throw new FinetuneException(encoderName + ": the id of \"" + tok + "\" is not an integer");
                }
                vocab.put(tok, p.getIntValue());
            }
        }
        List<String[]> merges = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(vocabBpe, StandardCharsets.UTF_8))) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.startsWith("#version") || line.isEmpty()) {
                    continue;
                }
                int sp = line.indexOf(' ');
                if (sp <= 0 || sp == line.length() - 1 || line.indexOf(' ', sp + 1) >= 0) {
                    throw new FinetuneException(vocabName + " line " + lineNo + ": a merge is two tokens separated by one space");
                }
                merges.add(new String[] {line.substring(0, sp), line.substring(sp + 1)});
            }
        }
        return buildGpt2(vocab, merges, Map.of(), encoderName);
    }

    /** Loads a HuggingFace {@code tokenizer.json} of the byte-level BPE kind, with its own pipeline. */
    public static ByteLevelBpe loadTokenizerJson(Path file) {
        return TokenizerJson.load(file);
    }

    /** A tokenizer.json's vocabulary, merges and added tokens (added contents leave the vocabulary). */
    static ByteLevelBpe build(Map<String, Integer> vocab, List<String[]> mergeTexts, List<AddedToken> added,
                              ByteLevelBpe.Pipeline pipeline, String where) {
        List<AddedToken> all = new ArrayList<>(added);
        for (AddedToken a : added) {
            Integer v = vocab.get(a.content());
            if (v != null && v == a.id()) {
                vocab.remove(a.content());
            }
        }
        Integer eot = vocab.get(END_OF_TEXT);
        if (pipeline == null && eot != null) {
            // GPT-2's pipeline: <|endoftext|> in the vocabulary is its special token, as in encoder.json
            vocab.remove(END_OF_TEXT);
            all.add(AddedToken.special(eot, END_OF_TEXT));
        }
        return assemble(vocab, mergeTexts, all, pipeline, where);
    }

    private static ByteLevelBpe buildGpt2(Map<String, Integer> vocab, List<String[]> mergeTexts,
                                          Map<String, Integer> addedSpecials, String where) {
        Map<String, Integer> specials = new LinkedHashMap<>(addedSpecials);
        Integer eot = vocab.remove(END_OF_TEXT);
        if (eot != null) {
            specials.putIfAbsent(END_OF_TEXT, eot);
        }
        List<AddedToken> added = new ArrayList<>();
        specials.forEach((t, id) -> added.add(AddedToken.special(id, t)));
        return assemble(vocab, mergeTexts, added, null, where);
    }

    private static ByteLevelBpe assemble(Map<String, Integer> vocab, List<String[]> mergeTexts, List<AddedToken> added,
                                         ByteLevelBpe.Pipeline pipeline, String where) {
        int max = 0;
        for (int id : vocab.values()) {
            max = Math.max(max, id + 1);
        }
        byte[][] tokens = new byte[max][];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            if (id < 0) {
                throw new FinetuneException(where + ": token \"" + e.getKey() + "\" has a negative id " + id);
            }
            if (tokens[id] != null) {
                throw new FinetuneException(where + ": id " + id + " is given to two tokens");
            }
            tokens[id] = fromTokenText(e.getKey(), where);
        }
        List<int[]> merges = new ArrayList<>(mergeTexts.size());
        for (int r = 0; r < mergeTexts.size(); r++) {
            String[] m = mergeTexts.get(r);
            Integer a = vocab.get(m[0]);
            Integer b = vocab.get(m[1]);
            if (a == null || b == null) {
                throw new FinetuneException(where + ": merge " + (r + 1) + " (\"" + m[0] + " " + m[1]
                        + "\") names a token that is not in the vocabulary");
            }
            merges.add(new int[] {a, b});
        }
        try {
            return new ByteLevelBpe(tokens, merges, added, pipeline);
        } catch (IllegalArgumentException e) {
            throw new FinetuneException(where + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code bpe} to {@code dir} in both forms: {@code encoder.json} + {@code vocab.bpe} and
     * {@code tokenizer.json}; each file written to a temporary name and renamed.
     */
    public static void save(ByteLevelBpe bpe, Path dir) {
        try {
            Files.createDirectories(dir);
            byte[][] table = bpe.tokenTable();
            Map<String, Integer> vocab = new LinkedHashMap<>();
            for (int id = 0; id < table.length; id++) {
                if (table[id] != null) {
                    vocab.put(toTokenText(table[id]), id);
                }
            }
            List<int[]> merges = bpe.mergePairs();
            // encoder.json: ordinary tokens and the special tokens, as GPT-2 ships <|endoftext|>
            write(dir.resolve(ENCODER_JSON), out -> {
                try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
                    g.writeStartObject();
                    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
                        g.writeNumberField(e.getKey(), e.getValue());
                    }
                    for (Map.Entry<String, Integer> e : bpe.specialTokens().entrySet()) {
                        g.writeNumberField(e.getKey(), e.getValue());
                    }
                    g.writeEndObject();
                }
            });
            write(dir.resolve(VOCAB_BPE), out -> {
                Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
                w.write("#version: 0.2\n");
                for (int[] m : merges) {
                    w.write(toTokenText(table[m[0]]) + " " + toTokenText(table[m[1]]) + "\n");
                }
                w.flush();
            });
            ObjectMapper om = new ObjectMapper();
            if (bpe.pipeline().isPresent() && bpe.pipeline().get().source() != null) {
                // the file's own pipeline, with the added tokens as they are now (new ones appended)
                ObjectNode src = (ObjectNode) bpe.pipeline().get().source().deepCopy();
                ArrayNode addedJson = src.putArray("added_tokens");
                for (AddedToken t : bpe.addedTokens()) {
                    ObjectNode a = addedJson.addObject();
                    a.put("id", t.id());
                    a.put("content", t.content());
                    a.put("single_word", t.singleWord());
                    a.put("lstrip", t.lstrip());
                    a.put("rstrip", t.rstrip());
                    a.put("normalized", t.normalized());
                    a.put("special", t.special());
                }
                write(dir.resolve(TOKENIZER_JSON), out -> om.writeValue(out, src));
                return;
            }
            ObjectNode root = om.createObjectNode();
            root.put("version", "1.0");
            ArrayNode added = root.putArray("added_tokens");
            for (Map.Entry<String, Integer> e : bpe.specialTokens().entrySet()) {
                ObjectNode a = added.addObject();
                a.put("id", e.getValue());
                a.put("content", e.getKey());
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", true);
                a.put("special", true);
            }
            root.putNull("normalizer");
            ObjectNode pre = root.putObject("pre_tokenizer");
            pre.put("type", "ByteLevel");
            pre.put("add_prefix_space", false);
            pre.put("trim_offsets", true);
            pre.put("use_regex", true);
            ObjectNode dec = root.putObject("decoder");
            dec.put("type", "ByteLevel");
            dec.put("add_prefix_space", true);
            dec.put("trim_offsets", true);
            dec.put("use_regex", true);
            ObjectNode model = root.putObject("model");
            model.put("type", "BPE");
            model.putNull("dropout");
            model.putNull("unk_token");
            model.put("fuse_unk", false);
            model.put("byte_fallback", false);
            ObjectNode v = model.putObject("vocab");
            vocab.forEach(v::put);
            ArrayNode mj = model.putArray("merges");
            for (int[] m : merges) {
                mj.add(toTokenText(table[m[0]]) + " " + toTokenText(table[m[1]]));
            }
            write(dir.resolve(TOKENIZER_JSON), out -> om.writerWithDefaultPrettyPrinter().writeValue(out, root));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tokenizer to " + dir, e);
        }
    }

    private interface Body {
        void write(OutputStream out) throws IOException;
    }

    /** Atomic write; the body may close its stream (Jackson does), which only flushes here. */
    private static void write(Path file, Body body) throws IOException {
        dev.finetune.workspace.AtomicWrite.write(file, out -> body.write(new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        }));
    }
}
