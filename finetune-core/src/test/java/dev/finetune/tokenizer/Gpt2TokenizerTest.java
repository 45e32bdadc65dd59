package dev.finetune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Gpt2TokenizerTest {
    static final ByteLevelBpe GPT2 = Tokenizers.gpt2();

    static List<JsonNode> encodings() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Gpt2TokenizerTest.class.getResourceAsStream("encodings.jsonl"), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    out.add(om.readTree(line));
                }
            }
        }
        return out;
    }

    private static int[] ids(JsonNode n) {
        int[] a = new int[n.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = n.get(i).asInt();
        }
        return a;
    }

    @Test
    void encodesEverySharedLineExactlyAsTiktoken() throws Exception {
        List<JsonNode> lines = encodings();
        assertTrue(lines.size() >= 60);
        int n = 0;
        for (JsonNode line : lines) {
            String text = line.get("text").asText();
            int[] expected = ids(line.get("ids"));
            assertArrayEquals(expected, GPT2.encode(text), "line " + (++n) + ": " + text);
            assertEquals(expected.length, GPT2.countTokens(text), "count, line " + n);
            assertEquals(text, GPT2.decode(expected), "decode, line " + n);
        }
    }

    @Test
    void endOfTextInUserTextIsOrdinaryUnlessAllowed() {
        int[] plain = GPT2.encode("a<|endoftext|>b");
        for (int id : plain) {
            assertTrue(id != 50256);
        }
        assertArrayEquals(new int[] {64, 50256, 65}, GPT2.encode("a<|endoftext|>b", Set.of("<|endoftext|>")));
        assertEquals(50257, GPT2.vocabSize());
        assertEquals("a<|endoftext|>b", GPT2.decode(new int[] {64, 50256, 65}));
    }

    @Test
    void aSplitUtf8CharacterDecodesToReplacementCharacters() {
        int[] ids = GPT2.encode("’");   // U+2019 is three bytes, two tokens in GPT-2
        assertTrue(ids.length >= 2, "expected a multi-token character");
        String first = GPT2.decode(new int[] {ids[0]});
        assertTrue(first.contains("\uFFFD"), first);
        assertEquals("’", GPT2.decode(ids));
    }

    @Test
    void unicodeWhiteSpaceIsWhiteSpace() {
        // NBSP, U+2028 and U+3000 are \s to tiktoken: they split from letters like a space run does
        for (String ws : new String[] {"\u00A0", "\u2028", "\u3000"}) {
            int[] ids = GPT2.encode("a" + ws + ws + "b");
            assertEquals("a" + ws + ws + "b", GPT2.decode(ids));
        }
        List<String> pieces = new ArrayList<>();
        Gpt2PreTokenizer.split("x\u00A0\u00A0 y", (t, s, e) -> pieces.add(t.subSequence(s, e).toString()));
        assertEquals(List.of("x", "\u00A0\u00A0", " y"), pieces);
    }

    @Test
    void combiningMarksAndEmojiSequencesSplitAsThePatternSays() {
        // U+0301 is a mark (Mn), not \p{L}: it leaves the letter run; an emoji ZWJ sequence is one "other" run
        assertEquals(List.of("cafe", "\u0301", " ok"), pieces("cafe\u0301 ok"));
        // "!" is "other" too, so it joins the emoji run
        assertEquals(List.of("hi", " \uD83D\uDC69\u200D\uD83D\uDC69\u200D\uD83D\uDC67!"),
                pieces("hi \uD83D\uDC69\u200D\uD83D\uDC69\u200D\uD83D\uDC67!"));
        String family = "\uD83D\uDC69\u200D\uD83D\uDC69\u200D\uD83D\uDC67";
        assertEquals(family, GPT2.decode(GPT2.encode(family)));
    }

    private static List<String> pieces(String s) {
        List<String> out = new ArrayList<>();
        Gpt2PreTokenizer.split(s, (t, a, b) -> out.add(t.subSequence(a, b).toString()));
        return out;
    }

    @Test
    void loneSurrogatesEncodeAsReplacementCharacter() {
        assertArrayEquals(GPT2.encode("a\uFFFDb"), GPT2.encode("a\uD800b"));
        assertArrayEquals(GPT2.encode("\uFFFD"), GPT2.encode("\uDC00"));
    }
}
