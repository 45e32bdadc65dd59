package dev.finetune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The hand-written Llama 3 / Qwen2 scanner gives exactly the regex engine's pieces. */
class Llama3PatternProperties {

    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> any = Arbitraries.integers().between(0, 0x10FFFF).map(Character::toString);
        Arbitrary<String> tricky = Arbitraries.of(" ", "  ", "\n", "\r", "\r\n", "\t", " \n ", "'", "'s", "'S", "'\u017F",
                "'ll", "'LL", "'Re", "'ve", "'d", "'m", "'t", "a", "Zé", "1", "12", "1234", "٣", "Ⅻ", "\u00A0", "\u3000",
                "\u2028", "\u0085", "...", "(", "-", "_", "👍", "e\u0301", "\uD800", "\u180E", "\u200B");
        return Arbitraries.oneOf(any, tricky, tricky, tricky).list().ofMaxSize(30).map(l -> String.join("", l));
    }

    private static List<String> pieces(String text, boolean fast, String regex) {
        PreTokenizer.Split split = new PreTokenizer.Split(TokenizerJson.compile(regex, "t"), PreTokenizer.Behavior.Isolated, false);
        List<String> out = new ArrayList<>();
        Gpt2PreTokenizer.PieceConsumer c = (t, s, e) -> out.add(t.subSequence(s, e).toString());
        if (fast) {
            Llama3Pattern.split(text, 0, text.length(), Llama3Pattern.maxDigits(regex), c);
        } else {
            split.splitWithRegex(text, 0, text.length(), c);
        }
        return out;
    }

    @Property(tries = 2000)
    void llama3ScannerEqualsTheRegex(@ForAll("text") String s) {
        assertEquals(pieces(s, false, Llama3Pattern.LLAMA3), pieces(s, true, Llama3Pattern.LLAMA3));
    }

    @Property(tries = 2000)
    void qwen2ScannerEqualsTheRegex(@ForAll("text") String s) {
        assertEquals(pieces(s, false, Llama3Pattern.QWEN2), pieces(s, true, Llama3Pattern.QWEN2));
    }
}
