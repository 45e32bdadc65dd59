package dev.finetune.validation;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.PiiPolicy;
import dev.finetune.json.Json;
import dev.finetune.spi.RecordFilter;
import dev.finetune.spi.ValidationJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builders of small dataset files and a one-call validation run for the tests. */
final class Fixtures {
    private Fixtures() {
    }

    /** A chat line from alternating role, content pairs. */
    static String chat(String... roleContent) {
        ObjectNode o = Json.object();
        ArrayNode a = o.putArray("messages");
        for (int i = 0; i < roleContent.length; i += 2) {
            a.addObject().put("role", roleContent[i]).put("content", roleContent[i + 1]);
        }
        return o.toString();
    }

    /** {@code n} distinct valid conversations. */
    static List<String> chats(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(chat("User", "question number " + i, "Chatbot", "answer number " + i));
        }
        return out;
    }

    static String words(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append('w').append(i % 97);
        }
        return sb.toString();
    }

    static Path write(Path dir, String name, List<String> lines) throws IOException {
        return write(dir, name, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    static ValidationReport run(Path dir, DatasetType type, Path train, Optional<Path> eval, boolean skip) {
        return run(dir, type, train, eval, skip, ',', RecordFilter.NONE);
    }

    /**
     * Validates as an upload does, into {@code dir/out}. Without a record filter the same files also go
     * through {@link DatasetCheck} (which writes nothing), and the two must agree on every field: so each
     * test of a message through the stored path also pins it through the check.
     */
    static ValidationReport run(Path dir, DatasetType type, Path train, Optional<Path> eval, boolean skip, char delimiter,
            RecordFilter filter) {
        ValidationJob job = new ValidationJob(type, train, eval, skip, delimiter, dir.resolve("out"), filter);
        ValidationReport stored = new DatasetValidation(WordTokenizer.INSTANCE).run(job);
        if (filter == RecordFilter.NONE) {
            ValidationReport checked = DatasetCheck.check(train, eval, type, CheckOptions.builder().skipMalformedInput(skip)
                    .csvDelimiter(delimiter).piiPolicy(PiiPolicy.OFF).tokenizer(WordTokenizer.INSTANCE).build());
            assertSameResult(stored, checked);
        }
        return stored;
    }

    /** Everything a {@code Dataset} records and the review shows, except the PII summary (no filter vs the OFF policy). */
    static void assertSameResult(ValidationReport expected, ValidationReport actual) {
        assertEquals(expected.status(), actual.status());
        assertEquals(expected.outcome().validationError(), actual.outcome().validationError());
        assertEquals(expected.warnings(), actual.warnings());
        assertEquals(expected.datasetParts(), actual.datasetParts());
        assertEquals(expected.outcome().metrics(), actual.outcome().metrics());
        assertEquals(expected.parts(), actual.parts());
    }

    static ValidationReport chatRun(Path dir, List<String> train) throws IOException {
        return run(dir, DatasetType.CHAT_FINETUNE_INPUT, write(dir, "train.jsonl", train), Optional.empty(), false);
    }
}
