package dev.finetune.validation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.ValidationStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzed files: lines drawn from random bytes, truncated JSON, wrong types, 10,000-deep nesting, NaN,
 * huge numbers, empty lines and byte-order marks, mixed with valid records. Validation must end in a
 * status with only documented messages, never another exception.
 */
class ValidationFuzzProperties {
    private static Path dir;

    @BeforeContainer
    static void makeDir() throws IOException {
        dir = Files.createTempDirectory("fuzz");
    }

    @AfterContainer
    static void removeDir() throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    Arbitrary<byte[]> line() {
        String valid = Fixtures.chat("User", "hi", "Chatbot", "hello");
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        String deepObj = "{\"messages\":" + "[".repeat(10_000);
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
        Arbitrary<byte[]> truncated = Arbitraries.integers().between(0, valid.length()).map(i -> utf8(valid.substring(0, i)));
        Arbitrary<byte[]> fixed = Arbitraries.of(
                "", "   ", "\uFEFF" + valid, valid, "{\"messages\": NaN}", "{\"messages\": [{\"role\": NaN, \"content\": 1}]}",
                "{\"messages\": 1e999999}", "{\"messages\": " + "9".repeat(5000) + "}", "{\"messages\": \"text\"}",
                "{\"messages\": [1, 2]}", "{\"messages\": [{\"role\": [], \"content\": {}}]}", "{\"messages\": null}",
                "null", "[]", "42", "\"str\"", "{}", deep, deepObj, "{\"a\":1} trailing", "{\"a\":1}{\"b\":2}",
                "{\"messages\": [{\"role\": \"User\", \"content\": \"\\ud800\"}, {\"role\": \"Chatbot\", \"content\": \"x\"}]}",
                "{\"messages\": [{\"role\": \"\u0000\", \"content\": \"x\"}]}", "prompt,completion", "\"a\",\"b")
                .map(ValidationFuzzProperties::utf8);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, random), net.jqwik.api.Tuple.of(3, truncated), net.jqwik.api.Tuple.of(6, fixed),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(utf8(Fixtures.chat("User", "q", "Chatbot", "a")))));
    }

    @Provide
    Arbitrary<List<byte[]>> lines() {
        return line().list().ofMaxSize(40);
    }

    @Provide
    Arbitrary<DatasetType> type() {
        return Arbitraries.of(DatasetType.known());
    }

    @Property(tries = 150)
    void fuzzedFilesGiveOnlyDocumentedMessages(@ForAll("lines") List<byte[]> lines, @ForAll("type") DatasetType type,
            @ForAll boolean skip, @ForAll boolean bom) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        if (bom) {
            b.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        }
        for (byte[] l : lines) {
            b.writeBytes(l);
            b.write('\n');
        }
        Path f = Fixtures.write(dir, "fuzz.jsonl", b.toByteArray());
        ValidationReport r = Fixtures.run(dir, type, f, Optional.empty(), skip);
        var o = r.outcome();
        assertTrue(o.status().equals(ValidationStatus.FAILED) || o.status().equals(ValidationStatus.VALIDATED));
        o.validationError().ifPresent(e -> assertTrue(Messages.isDocumented(e), "undocumented error: " + e));
        for (String w : o.validationWarnings()) {
            assertTrue(Messages.isDocumented(w), "undocumented warning: " + w);
        }
        assertTrue(o.status().equals(ValidationStatus.FAILED) == o.validationError().isPresent());
    }

    @Property(tries = 50)
    void evalFilesAreFuzzedToo(@ForAll("lines") List<byte[]> lines, @ForAll boolean skip) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] l : lines) {
            b.writeBytes(l);
            b.write('\n');
        }
        Path eval = Fixtures.write(dir, "eval.jsonl", b.toByteArray());
        Path train = Fixtures.write(dir, "train.jsonl", Fixtures.chats(3));
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, train, Optional.of(eval), skip);
        r.outcome().validationError().ifPresent(e -> assertTrue(Messages.isDocumented(e), "undocumented error: " + e));
        for (String w : r.outcome().validationWarnings()) {
            assertTrue(Messages.isDocumented(w), "undocumented warning: " + w);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
