package dev.finetune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

class TokenizerProperties {
    static final ByteLevelBpe GPT2 = Tokenizers.gpt2();
    static Path dir;
    static ByteLevelBpe fromTokenizerJson;

    @BeforeContainer
    static void saveBothForms() throws Exception {
        dir = Files.createTempDirectory("bpe");
        BpeFiles.save(GPT2, dir);
        fromTokenizerJson = BpeFiles.loadTokenizerJson(dir.resolve(BpeFiles.TOKENIZER_JSON));
    }

    @AfterContainer
    static void cleanUp() throws Exception {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Valid Unicode text of every kind: any code point except lone surrogates, mixed with spaces and ASCII. */
    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> any = Arbitraries.integers().between(0, 0x10FFFF)
                .filter(cp -> cp < 0xD800 || cp > 0xDFFF)
                .map(Character::toString);
        Arbitrary<String> common = Arbitraries.of(" ", "  ", "\n", "\t", "'s", "'ll", "a", "Z", "9", "é", "\u00A0",
                "\u3000", "\u2028", "👍", "👩‍👩‍👧", "e\u0301", "<|endoftext|>", ",", "...");
        return Arbitraries.oneOf(any, common, common).list().ofMaxSize(40).map(l -> String.join("", l));
    }

    @Property(tries = 500)
    void decodeInvertsEncode(@ForAll("text") String s) {
        assertEquals(s, GPT2.decode(GPT2.encode(s)));
    }

    @Property(tries = 500)
    void countTokensIsTheLengthOfEncode(@ForAll("text") String s) {
        assertEquals(GPT2.encode(s).length, GPT2.countTokens(s));
    }

    @Property(tries = 300)
    void tokenizerJsonAndEncoderJsonGiveTheSameIds(@ForAll("text") String s) {
        assertArrayEquals(GPT2.encode(s), fromTokenizerJson.encode(s));
    }

    @Property(tries = 200)
    void piecesTileTheText(@ForAll("text") String s) {
        StringBuilder sb = new StringBuilder();
        int[] last = {0};
        Gpt2PreTokenizer.split(s, (t, a, b) -> {
            assertEquals(last[0], a);
            last[0] = b;
            sb.append(t, a, b);
        });
        assertEquals(s, sb.toString());
    }
}
