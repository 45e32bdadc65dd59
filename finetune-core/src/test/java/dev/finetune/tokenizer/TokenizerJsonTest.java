package dev.finetune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.FinetuneException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerJsonTest {
    private static final ObjectMapper OM = new ObjectMapper();

    private static List<String> pieces(PreTokenizer p, String text) {
        List<String> out = new ArrayList<>();
        p.split(text, 0, text.length(), (t, s, e) -> out.add(t.subSequence(s, e).toString()));
        return out;
    }

    /** Unicode White_Space, Oniguruma's \s: 25 code points; the regex reads every one as space. */
    @Test
    void splitRegexReadsBackslashSAsOnigurumaDoes() {
        Pattern s = TokenizerJson.compile("\\s", "t");
        int[] white = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
            0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
        for (int cp : white) {
            assertTrue(s.matcher(Character.toString(cp)).matches(), "U+" + Integer.toHexString(cp));
        }
        for (int cp : new int[] {0x180E, 0x200B, 0xFEFF, 0x1C, 0x1F}) {
            assertTrue(!s.matcher(Character.toString(cp)).matches(), "U+" + Integer.toHexString(cp) + " is not \\s");
        }
        // (?i:...) folds by Unicode: the long s is an s, the Kelvin sign a k
        assertTrue(TokenizerJson.compile("(?i:'s)", "t").matcher("'\u017F").matches());
        assertTrue(TokenizerJson.compile("(?i:k)", "t").matcher("\u212A").matches());
        // \p{N} is every number category, \d only Nd
        assertTrue(TokenizerJson.compile("\\p{N}", "t").matcher("Ⅻ").matches());
        assertTrue(!TokenizerJson.compile("\\d", "t").matcher("Ⅻ").matches());
        assertTrue(TokenizerJson.compile("\\d", "t").matcher("٣").matches());
    }

    @Test
    void refusesRegexConstructsJavaReadsDifferently() {
        FinetuneException e = assertThrows(FinetuneException.class, () -> TokenizerJson.compile("\\h+", "x.pattern"));
        assertTrue(e.getMessage().contains("\\h"), e.getMessage());
        assertThrows(FinetuneException.class, () -> TokenizerJson.compile("\\p{^L}", "x"));
        // an escaped backslash before h is a literal backslash and an h
        TokenizerJson.compile("\\\\h", "x");
    }

    @Test
    void splitBehaviorsAsTheLibraryDefinesThem() {
        Pattern dash = Pattern.compile("-");
        assertEquals(List.of("a", "-", "b", "-", "-", "c"), pieces(new PreTokenizer.Split(dash, PreTokenizer.Behavior.Isolated, false), "a-b--c"));
        assertEquals(List.of("a", "b", "c"), pieces(new PreTokenizer.Split(dash, PreTokenizer.Behavior.Removed, false), "a-b--c"));
        assertEquals(List.of("a-", "b-", "-", "c"), pieces(new PreTokenizer.Split(dash, PreTokenizer.Behavior.MergedWithPrevious, false), "a-b--c"));
        assertEquals(List.of("a", "-b", "--c"), pieces(new PreTokenizer.Split(dash, PreTokenizer.Behavior.MergedWithNext, false), "a-b--c"));
        assertEquals(List.of("a", "-", "b", "--", "c"), pieces(new PreTokenizer.Split(dash, PreTokenizer.Behavior.Contiguous, false), "a-b--c"));
        assertEquals(List.of("-", "-", "-"), pieces(new PreTokenizer.Split(dash, PreTokenizer.Behavior.Removed, true), "a-b--c"));
        assertEquals(List.of("1", "2", "a", "3"), pieces(new PreTokenizer.Digits(true), "12a3"));
        assertEquals(List.of("12", "a", "3"), pieces(new PreTokenizer.Digits(false), "12a3"));
        assertEquals(List.of(" hi"), pieces(new PreTokenizer.ByteLevel(true, false), "hi"));
    }

    @Test
    void invertedSplitKeepsTheNonMatches() {
        assertEquals(List.of("a", "-", "b", "--", "c"), pieces(new PreTokenizer.Split(Pattern.compile("[a-z]"), PreTokenizer.Behavior.Isolated, true), "a-b--c"));
        assertEquals(List.of("a", "b", "c"), pieces(new PreTokenizer.Split(Pattern.compile("[a-z]"), PreTokenizer.Behavior.Removed, true), "a-b--c"));
    }

    @Test
    void llamaAndQwenFilesUseTheHandWrittenScanner() {
        assertEquals(3, scannerDigits("llama3.2"));
        assertEquals(1, scannerDigits("qwen2.5"));
    }

    private static int scannerDigits(String family) {
        PreTokenizer p = Families.tokenizer(family).pipeline().orElseThrow().preTokenizer();
        PreTokenizer.Split split = (PreTokenizer.Split) ((PreTokenizer.Sequence) p).pretokenizers().get(0);
        assertTrue(split.usesScanner());
        return Llama3Pattern.maxDigits(split.pattern().pattern());
    }

    @Test
    void llama3AddsBeginOfTextOnlyWhenAsked() {
        ByteLevelBpe t = Families.tokenizer("llama3.2");
        int bot = t.specialTokenId("<|begin_of_text|>");
        int[] plain = t.encode("Hello");
        int[] withSpecial = t.encode("Hello", false, true);
        assertEquals(plain.length + 1, withSpecial.length);
        assertEquals(bot, withSpecial[0]);
        assertArrayEquals(plain, java.util.Arrays.copyOfRange(withSpecial, 1, withSpecial.length));
    }

    @Test
    void specialTokenTextIsOrdinaryUnlessAllowed() {
        ByteLevelBpe t = Families.tokenizer("qwen2.5");
        int imStart = t.specialTokenId("<|im_start|>");
        int[] ordinary = t.encode("<|im_start|>user");
        assertTrue(java.util.Arrays.stream(ordinary).noneMatch(id -> id == imStart));
        assertEquals(imStart, t.encode("<|im_start|>user", Set.of("<|im_start|>"))[0]);
        // a non-special added token is matched as the library matches it
        int toolCall = t.tokenId("<tool_call>").orElseThrow();
        assertEquals(toolCall, t.encode("<tool_call>")[0]);
        assertEquals("user", t.decode(t.encode("<|im_start|>user", Set.of("<|im_start|>")), true));
    }

    @Test
    void addedTokenStripsAndSingleWord(@TempDir Path dir) throws Exception {
        // GPT-2's vocabulary and merges, with tokens that strip and one single word
        BpeFiles.save(Tokenizers.gpt2(), dir);
        ObjectNode root = (ObjectNode) OM.readTree(dir.resolve("tokenizer.json").toFile());
        var added = root.putArray("added_tokens");
        added.addObject().put("id", 50257).put("content", "<L>").put("lstrip", true).put("special", false).put("normalized", false);
        added.addObject().put("id", 50258).put("content", "<R>").put("rstrip", true).put("special", false).put("normalized", false);
        added.addObject().put("id", 50259).put("content", "cat").put("single_word", true).put("special", false).put("normalized", false);
        ObjectNode seq = OM.createObjectNode().put("type", "Sequence");
        seq.putArray("pretokenizers").add(OM.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true));
        root.set("pre_tokenizer", seq);
        Files.writeString(dir.resolve("tokenizer.json"), OM.writeValueAsString(root));
        ByteLevelBpe t = BpeFiles.loadTokenizerJson(dir.resolve("tokenizer.json"));
        ByteLevelBpe g = Tokenizers.gpt2();
        assertArrayEquals(concat(g.encode("a"), new int[] {50257}, g.encode(" b")), t.encode("a   <L> b"));
        assertArrayEquals(concat(g.encode("a "), new int[] {50258}, g.encode("b")), t.encode("a <R>   b"));
        assertArrayEquals(concat(g.encode("a "), new int[] {50259}, g.encode(" b")), t.encode("a cat b"));
        assertArrayEquals(g.encode("a concatenate b"), t.encode("a concatenate b"));
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    @Test
    void unsupportedComponentsFailLoadingWithTheirNames(@TempDir Path dir) throws Exception {
        BpeFiles.save(Tokenizers.gpt2(), dir);
        Path f = dir.resolve("tokenizer.json");
        ObjectNode root = (ObjectNode) OM.readTree(f.toFile());
        assertFailsWith(f, root.deepCopy().set("normalizer", OM.createObjectNode().put("type", "Lowercase")), "Lowercase");
        assertFailsWith(f, root.deepCopy().set("pre_tokenizer", OM.createObjectNode().put("type", "Metaspace")), "Metaspace");
        assertFailsWith(f, root.deepCopy().set("decoder", OM.createObjectNode().put("type", "WordPiece")), "WordPiece");
        assertFailsWith(f, root.deepCopy().set("post_processor", OM.createObjectNode().put("type", "RobertaProcessing")), "RobertaProcessing");
        ObjectNode m = root.deepCopy();
        ((ObjectNode) m.get("model")).put("byte_fallback", true);
        assertFailsWith(f, m, "byte_fallback");
        ObjectNode u = root.deepCopy();
        ((ObjectNode) u.get("model")).put("type", "Unigram");
        assertFailsWith(f, u, "Unigram");
    }

    private static void assertFailsWith(Path f, com.fasterxml.jackson.databind.JsonNode root, String name) throws Exception {
        Files.writeString(f, OM.writeValueAsString(root));
        FinetuneException e = assertThrows(FinetuneException.class, () -> BpeFiles.loadTokenizerJson(f));
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void savingAFamilyTokenizerKeepsItsPipeline(@TempDir Path dir) {
        ByteLevelBpe t = Families.tokenizer("smollm2");
        BpeFiles.save(t, dir);
        ByteLevelBpe back = BpeFiles.load(dir);
        String s = "Digits 12345 and <|im_start|>";
        assertArrayEquals(t.encode(s), back.encode(s));
        assertArrayEquals(t.encode(s, true, true), back.encode(s, true, true));
    }
}
