package dev.finetune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Round trips and the special-token rule on the three reference families, on arbitrary Unicode. */
class FamilyTokenizerProperties {

    /** Any code point but lone surrogates, mixed with the spellings of every family's control tokens. */
    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> any = Arbitraries.integers().between(0, 0x10FFFF)
                .filter(cp -> cp < 0xD800 || cp > 0xDFFF)
                .map(Character::toString);
        Arbitrary<String> common = Arbitraries.of(" ", "  ", "\n", "\r\n", "\t", "'s", "'LL", "a", "Z", "123", "4567",
                "é", "e\u0301", "\u00A0", "\u3000", "👍", "👩‍👩‍👧", "١٢٣", "Ⅻ", "<|endoftext|>", "<|im_start|>",
                "<|im_end|>", "<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<tool_call>", ",", "...");
        return Arbitraries.oneOf(any, common, common).list().ofMaxSize(40).map(l -> String.join("", l));
    }

    /** Characters whose UTF-8 uses a byte that SmolLM2's vocabulary lacks (the library drops such bytes). */
    private static boolean smolLmCovers(String s) {
        ByteLevelBpe t = Families.tokenizer("smollm2");
        return s.codePoints().allMatch(cp -> {
            String c = Character.toString(cp);
            return t.decode(t.encode(c)).equals(c);
        });
    }

    @Property(tries = 300)
    void smolLm2DecodesWhatItEncodes(@ForAll("text") String s) {
        ByteLevelBpe t = Families.tokenizer("smollm2");
        net.jqwik.api.Assume.that(smolLmCovers(s));
        assertEquals(s, t.decode(t.encode(s)));
    }

    @Property(tries = 300)
    void llama32DecodesWhatItEncodes(@ForAll("text") String s) {
        ByteLevelBpe t = Families.tokenizer("llama3.2");
        assertEquals(s, t.decode(t.encode(s)));
        assertEquals(s, t.decode(t.encode(s, true, false)));
    }

    @Property(tries = 300)
    void qwen25DecodesTheNfcOfWhatItEncodes(@ForAll("text") String s) {
        ByteLevelBpe t = Families.tokenizer("qwen2.5");
        assertEquals(java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC), t.decode(t.encode(s)));
    }

    @Property(tries = 300)
    void userTextNeverBecomesASpecialToken(@ForAll("text") String s) {
        for (String f : Families.NAMES) {
            ByteLevelBpe t = Families.tokenizer(f);
            for (int id : t.encode(s)) {
                assertFalse(t.isSpecial(id), f + ": id " + id + " from user text " + s);
            }
        }
    }

    @Property(tries = 200)
    void countTokensIsTheLengthOfEncode(@ForAll("text") String s) {
        for (String f : Families.NAMES) {
            ByteLevelBpe t = Families.tokenizer(f);
            assertEquals(t.encode(s).length, t.countTokens(s));
        }
    }
}
