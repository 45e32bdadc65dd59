package dev.finetune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every text of each family's encodings.jsonl, id for id against the HF Rust tokenizers library (the
 * file's {@code ids}, with added tokens matched as that library does by default), with and without the
 * post-processor's special tokens, and decoded with and without transformers' clean-up.
 */
class FamilyEncodingsTest {

    @ParameterizedTest
    @ValueSource(strings = {"smollm2", "qwen2.5", "llama3.2"})
    void encodesEveryReferenceTextToTheReferenceIds(String family) {
        ByteLevelBpe tok = Families.tokenizer(family);
        List<String> failures = new ArrayList<>();
        List<JsonNode> recs = Families.jsonl(family, "encodings.jsonl");
        for (JsonNode r : recs) {
            String text = r.get("text").asText();
            int[] want = Families.ints(r.get("ids"));
            int[] got = tok.encode(text, true, false);
            if (!java.util.Arrays.equals(want, got)) {
                failures.add(r.get("idx") + " " + escape(text) + "\n   want " + java.util.Arrays.toString(want)
                        + "\n   got  " + java.util.Arrays.toString(got));
            }
            if (r.has("ids_add_special_tokens")) {
                assertArrayEquals(Families.ints(r.get("ids_add_special_tokens")), tok.encode(text, true, true),
                        family + " " + r.get("idx") + " with special tokens added");
            } else {
                assertArrayEquals(want, tok.encode(text, true, true), family + " " + r.get("idx") + " adds no ids");
            }
        }
        assertTrue(failures.isEmpty(), family + ": " + failures.size() + " of " + recs.size() + " texts differ:\n"
                + String.join("\n", failures));
    }

    @ParameterizedTest
    @ValueSource(strings = {"smollm2", "qwen2.5", "llama3.2"})
    void decodesEveryReferenceIdListToTheReferenceText(String family) {
        ByteLevelBpe tok = Families.tokenizer(family);
        boolean cleanUp = Families.cleanUp(family);
        for (JsonNode r : Families.jsonl(family, "encodings.jsonl")) {
            int[] ids = Families.ints(r.get("ids"));
            String raw = tok.decode(ids);
            assertEquals(r.get("decoded_no_cleanup").asText(), raw, family + " " + r.get("idx"));
            assertEquals(r.get("decoded").asText(), cleanUp ? Decoder.cleanUpTokenizationSpaces(raw) : raw,
                    family + " " + r.get("idx") + " with clean-up " + cleanUp);
        }
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> b.append(cp >= 0x20 && cp < 0x7F ? Character.toString(cp) : String.format("\\u{%X}", cp)));
        return b.toString();
    }
}
