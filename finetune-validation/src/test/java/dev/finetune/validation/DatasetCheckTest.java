package dev.finetune.validation;

import static dev.finetune.validation.Fixtures.chat;
import static dev.finetune.validation.Fixtures.chats;
import static dev.finetune.validation.Fixtures.words;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.finetune.BadRequestException;
import dev.finetune.ClientV2;
import dev.finetune.FinetuneException;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetValidationException;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.PiiPolicy;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.pii.PiiFindings;
import dev.finetune.pii.PiiType;
import dev.finetune.tokenizer.Tokenizer;
import dev.finetune.tokenizer.Tokenizers;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link DatasetCheck} through its public surface: every message validation can produce, word for word,
 * with no workspace (and the same result as an upload through one); PII findings through
 * {@link CheckOptions}; argument errors; and the default GPT-2 tokenizer.
 */
class DatasetCheckTest {
    @TempDir
    Path dir;

    private static final CheckOptions OPTIONS = CheckOptions.builder().tokenizer(WordTokenizer.INSTANCE).build();

    // ---- the messages ----

    /**
     * One dataset and what checking it must say: the exact {@code validation_error} (or its start, where
     * the rest is Jackson's or a schema's text), and a warning that must be among the warnings (exactly,
     * or by its start where another change may renumber its details).
     */
    record Case(String name, DatasetType type, byte[] train, byte[] eval, boolean skip, String error, String errorStart,
            String warning, String warningStart) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static byte[] lines(List<String> lines) {
        return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static Case error(String name, DatasetType type, List<String> train, String error) {
        return new Case(name, type, lines(train), null, false, error, null, null, null);
    }

    private static Case warning(String name, DatasetType type, List<String> train, String warning) {
        return new Case(name, type, lines(train), null, false, null, null, warning, null);
    }

    private static List<String> with(List<String> base, int at, String line) {
        List<String> out = new ArrayList<>(base);
        out.add(at < 0 ? out.size() : at, line);
        return out;
    }

    private static List<String> promptCompletion(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(JsonNodeFactory.instance.objectNode().put("prompt", "p" + i).put("completion", "c" + i).toString());
        }
        return out;
    }

    private static String rerank(String q, List<String> rel, List<String> neg) {
        var o = JsonNodeFactory.instance.objectNode().put("query", q);
        rel.forEach(o.putArray("relevant_passages")::add);
        if (neg != null) {
            neg.forEach(o.putArray("hard_negatives")::add);
        }
        return o.toString();
    }

    private static List<String> queries(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(rerank("query " + i, List.of("relevant " + i), List.of("negative " + i)));
        }
        return out;
    }

    private static List<String> labelled(int perLabel, String... labels) {
        List<String> out = new ArrayList<>();
        for (String l : labels) {
            for (int i = 0; i < perLabel; i++) {
                out.add(JsonNodeFactory.instance.objectNode().put("text", "text " + l + " " + i).put("label", l).toString());
            }
        }
        return out;
    }

    static Stream<Case> messages() {
        DatasetType chat = DatasetType.CHAT_FINETUNE_INPUT;
        DatasetType pc = DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT;
        DatasetType rr = DatasetType.RERANKER_FINETUNE_INPUT;
        DatasetType single = DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT;
        DatasetType multi = DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT;

        ByteArrayOutputStream badUtf8 = new ByteArrayOutputStream();
        badUtf8.writeBytes(lines(chats(2)));
        badUtf8.writeBytes("{\"messages\": [{\"role\": \"User\", \"content\": \"a".getBytes(StandardCharsets.UTF_8));
        badUtf8.writeBytes(new byte[] {(byte) 0xC0, (byte) 0xAF});
        badUtf8.writeBytes("\"}]}\n".getBytes(StandardCharsets.UTF_8));

        List<String> manyBad = new ArrayList<>(chats(3));
        for (int i = 0; i < 25; i++) {
            manyBad.add("{\"messages\": [" + i);
        }
        List<String> multiLabel = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            var o = JsonNodeFactory.instance.objectNode().put("text", "t" + i);
            o.putArray("label").add("x").add(i % 2 == 0 ? "y" : "z");
            multiLabel.add(o.toString());
        }
        multiLabel.set(3, "{\"text\": \"t\", \"label\": \"x\"}");
        List<String> csv = new ArrayList<>(List.of("prompt,completion"));
        for (int i = 0; i < 32; i++) {
            csv.add("p" + i + ",c" + i);
        }

        return Stream.of(
                // chat: the service's texts
                error("extra speaker", chat, with(chats(3), 1, chat("User", "hi", "Assistant", "hello")),
                        "extra speaker in example: Assistant (line : 2)"),
                new Case("missing Chatbot", chat, lines(with(chats(3), -1, chat("User", "hi", "User", "anyone?"))), null, false,
                        "missing Chatbot in example", null, "missing Chatbot in example (line : 4)", null),
                error("missing User", chat, with(chats(3), 0, chat("System", "pre", "Chatbot", "hello")), "missing User in example"),
                error("train preambles", chat, with(chats(3), -1, chat("System", words(2049), "User", "hi", "Chatbot", "hey")),
                        "train preambles are too long: 1 preamble over 2048 tokens (lines: 4)"),
                new Case("eval preambles", chat, lines(chats(3)), lines(List.of(chat("System", words(3000), "User", "x", "Chatbot", "y"),
                        chat("User", "fine", "Chatbot", "eval"))), false,
                        "invalid eval file: preambles are too long: 1 preamble over 2048 tokens (lines: 1)", null, null, null),
                new Case("too many tokens", chat, lines(with(chats(3), -1, chat("User", "short", "Chatbot", "fine", "User",
                        words(16384), "Chatbot", "x"))), null, false, null, null, null,
                        "train dataset has conversations with too many tokens. conversation number: "
                                + "number of turns with too many tokens is as follows, "),
                error("not enough valid, no eval", chat, chats(1), "not enough valid examples: found only 1 valid train examples "
                        + "of 1 received (0 incorrectly encoded, 0 duplicated, 0 too many tokens); at least 2 valid examples "
                        + "required since no eval data was provided"),
                warning("auto-split", chat, chats(2), "dataset has 0 valid eval rows. dataset will be auto-split"),
                error("required field", chat, with(chats(2), -1, "{\"turns\": []}"),
                        "The required field messages was not found in the dataset (line: 3)"),
                // chat: this library's texts
                new Case("csv as chat", chat, lines(List.of("role,content", "User,hi")), null, false, null,
                        "line 1 is not a JSON object: chat-finetune-input expects JSONL, one JSON object per line, like {", null, null),
                new Case("invalid JSON", chat, lines(with(chats(2), -1, "{\"messages\": [")), null, false, null,
                        "line 3 is not valid JSON: ", null, null),
                error("wrong type", chat, with(chats(2), -1, "{\"messages\": \"text\"}"),
                        "The field messages must be a list of messages (line: 3)"),
                new Case("bad UTF-8", chat, badUtf8.toByteArray(), null, false, null, null,
                        "train dataset has 1 incorrectly encoded line (not UTF-8), dropped (lines: 3)", null),
                warning("duplicates", chat, with(chats(3), -1, chats(3).get(1)), "train dataset has 1 exact duplicate example, dropped"),
                new Case("skipped", chat, lines(with(chats(3), 1, chat("User", "hi", "Bot", "hello"))), null, true, null, null,
                        "skipped malformed row: extra speaker in example: Bot (line : 2)", null),
                new Case("skipped more", chat, lines(manyBad), null, true, null, null, "skipped 5 more malformed rows", null),
                new Case("more errors", chat, lines(manyBad), null, false, null, "line 4 is not valid JSON: ", "and 5 more errors", null),
                new Case("leakage", chat, lines(chats(5)), lines(List.of(chats(2).get(1), chat("user", "new", "chatbot", "one"))),
                        false, null, null, "1 eval example also appears in the train data (leakage): eval scores will look better than they are",
                        null),
                new Case("invalid eval file", chat, lines(chats(3)), lines(List.of(chat("System", "pre", "Chatbot", "hi"))), false,
                        "invalid eval file: missing User in example", null, null, null),
                // prompt-completion
                error("at least 32", pc, promptCompletion(31), "not enough valid examples: found only 31 valid train examples "
                        + "of 31 received (0 incorrectly encoded, 0 duplicated, 0 too many tokens); at least 32 valid examples required"),
                error("csv header", pc, List.of("hello,world", "a,b"),
                        "csv files must have a header with the required fields: [prompt, completion]"),
                error("empty field", pc, with(promptCompletion(32), -1, "{\"prompt\": \"p\", \"completion\": \"\"}"),
                        "The field completion must not be empty (line: 33)"),
                error("csv field count", pc, with(csv, -1, "a,b,c"), "csv row has 3 fields but the header has 2 (line: 34)"),
                error("unterminated quote", pc, with(csv, -1, "\"open,b"), "csv row has an unterminated quoted field (line: 34)"),
                // reranker
                error("unique queries", rr, with(queries(255), -1, rerank("query 0", List.of("another relevant"), null)),
                        "not enough unique queries: found only 255 unique queries in the train data; at least 256 required"),
                error("relevant and negative", rr, with(queries(256), -1, rerank("q", List.of("same", "other"), List.of("same"))),
                        "a passage is both a relevant passage and a hard negative (line: 257)"),
                warning("hard negatives removed", rr, with(queries(256), -1, rerank("q", List.of("r"), List.of("n", "n", "", "  "))),
                        "train dataset: removed 3 empty or duplicate hard negatives"),
                warning("pairs truncated", rr, with(queries(256), -1, rerank("q", List.of(words(600)), List.of("n"))),
                        "1 query+passage pair exceeds 510 tokens and will be truncated"),
                // classification
                error("at least 40", single, labelled(13, "a", "b", "c"), "not enough valid examples: found only 39 valid train "
                        + "examples of 39 received (0 incorrectly encoded, 0 duplicated, 0 too many tokens); at least 40 valid examples required"),
                error("two labels", single, labelled(40, "only"), "at least 2 unique labels are required; found only 1"),
                error("five per label", single, appendAll(labelled(20, "a", "b"), labelled(4, "rare")),
                        "each label needs at least 5 examples; too few: rare (4)"),
                error("multi-label list", multi, multiLabel, "The field label must be a list of labels (line: 4)"),
                error("classification csv header", single, List.of("great product,positive", "bad,negative"),
                        "csv files must have a header with the required fields: [text, label]"),
                new Case("unknown type", DatasetType.valueOf("embed-input"), lines(List.of("{}")), null, false, null,
                        "unknown dataset type embed-input; known types: chat-finetune-input, ", null, null));
    }

    private static List<String> appendAll(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private ValidationReport check(Case c, CheckOptions.Builder options) throws Exception {
        Path train = Fixtures.write(dir, "train-upload", c.train());
        Optional<Path> eval = c.eval() == null ? Optional.empty() : Optional.of(Fixtures.write(dir, "eval-upload", c.eval()));
        return DatasetCheck.check(train, eval, c.type(), options.skipMalformedInput(c.skip()).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void everyMessageComesBackWordForWordWithoutAWorkspace(Case c) throws Exception {
        ValidationReport r = check(c, CheckOptions.builder().tokenizer(WordTokenizer.INSTANCE));
        if (c.error() != null || c.errorStart() != null) {
            assertFalse(r.validated(), r::toString);
            assertEquals(ValidationStatus.FAILED, r.status());
            if (c.error() != null) {
                assertEquals(c.error(), r.validationError());
            } else {
                assertTrue(r.validationError().startsWith(c.errorStart()), r.validationError());
            }
            assertTrue(r.datasetParts().isEmpty() && r.parts().isEmpty() && r.metrics().isEmpty());
        } else {
            assertTrue(r.validated(), r::validationError);
            assertEquals("", r.validationError());
        }
        if (c.warning() != null) {
            assertTrue(r.warnings().contains(c.warning()), r.warnings().toString());
        }
        if (c.warningStart() != null) {
            assertTrue(r.warnings().stream().anyMatch(w -> w.startsWith(c.warningStart())), r.warnings().toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void saysWhatAnUploadThroughAWorkspaceRecords(Case c) throws Exception {
        ValidationReport r = check(c, CheckOptions.builder().tokenizer(WordTokenizer.INSTANCE));
        Dataset d = upload(c.type(), dir.resolve("train-upload"),
                c.eval() == null ? Optional.empty() : Optional.of(dir.resolve("eval-upload")), c.skip(), PiiPolicy.REDACT);
        assertEquals(d.validationStatus(), r.status());
        assertEquals(d.validationError(), r.outcome().validationError());
        assertEquals(d.validationWarnings(), r.warnings());
        assertEquals(d.datasetParts(), r.datasetParts());
        assertEquals(d.finetuneDatasetMetrics(), r.metrics());
        assertEquals(d.pii(), r.outcome().pii());
    }

    /** The same files uploaded into a fresh workspace as a user would, with the test tokenizer. */
    private Dataset upload(DatasetType type, Path train, Optional<Path> eval, boolean skip, PiiPolicy policy) {
        Path ws = dir.resolve("ws-" + System.nanoTime());
        try (ClientV2 co = ClientV2.builder().workspace(ws).validator(new DatasetValidation(WordTokenizer.INSTANCE)).build()) {
            var created = co.datasets().create(train, eval, DatasetsCreateRequest.builder().name("check").type(type)
                    .skipMalformedInput(skip).piiPolicy(policy).build());
            try {
                return co.wait(created, WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(10)));
            } catch (DatasetValidationException e) {
                return e.dataset();
            }
        }
    }

    @Test
    void aLineOver16MiBAndAFileOver1point5GBFailAsDocumented() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(lines(chats(2)));
        byte[] big = new byte[(16 << 20) + 10];
        Arrays.fill(big, (byte) 'a');
        big[0] = '{';
        b.writeBytes(big);
        b.write('\n');
        ValidationReport r = DatasetCheck.check(Fixtures.write(dir, "t.jsonl", b.toByteArray()), Optional.empty(),
                DatasetType.CHAT_FINETUNE_INPUT, OPTIONS);
        assertEquals("line 3 is longer than 16 MiB (16777216 bytes), the longest line allowed", r.validationError());

        Path huge = dir.resolve("big.jsonl");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength((3L << 29) + 1); // sparse: no disk used
        }
        assertEquals("file big.jsonl is 1610612737 bytes; the largest dataset file allowed is 1.5 GB (1610612736 bytes)",
                DatasetCheck.check(huge, Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT, OPTIONS).validationError());
    }

    // ---- counts, metrics, the split ----

    @Test
    void aValidDatasetHasTheCountsAndMetricsADatasetRecords() throws Exception {
        ValidationReport r = DatasetCheck.check(Fixtures.write(dir, "t.jsonl", chats(10)), Optional.empty(),
                DatasetType.CHAT_FINETUNE_INPUT, OPTIONS);
        assertTrue(r.validated(), r::validationError);
        assertEquals(8, r.metrics().orElseThrow().trainExamples());
        assertEquals(2, r.metrics().orElseThrow().evalExamples());
        assertEquals(8, r.metrics().orElseThrow().chatDataMetrics().orElseThrow().numTrainTurns());
        assertEquals(List.of("train", "eval"), r.datasetParts().stream().map(p -> p.name()).toList());
        assertEquals(8L, r.datasetParts().get(0).numRows().orElseThrow());
        assertEquals(8, r.part("train").orElseThrow().examples());
        assertEquals(2, r.part("eval").orElseThrow().examples());
        assertEquals(r.metrics().orElseThrow().trainSizeBytes(), r.datasetParts().get(0).sizeBytes().orElseThrow());
    }

    @Test
    void theSplitSamplesAlwaysLieWithinTheRecordsACheckKeeps() {
        for (int n = 2; n <= 20_000; n++) {
            boolean[] m = DatasetValidation.splitMask(n);
            int[] seen = new int[2];
            for (int i = 0; i < n; i++) {
                int side = m[i] ? 1 : 0;
                if (seen[side] < DatasetValidation.SAMPLES) {
                    seen[side]++;
                    assertTrue(i < DatasetValidation.SPLIT_HEAD, "n=" + n + ": sample at " + i);
                }
            }
        }
    }

    @Test
    void partSizesAndSamplesMatchTheStoredSplitForEverySmallSize() throws Exception {
        for (int n = 2; n <= 60; n++) {
            // Fixtures.run stores the parts and checks the same file, asserting every field equal
            ValidationReport stored = Fixtures.chatRun(dir, chats(n));
            assertEquals(Files.size(dir.resolve("out/eval.jsonl")), stored.metrics().orElseThrow().evalSizeBytes());
        }
    }

    // ---- PII through the options ----

    static final String EMAIL = "jane.doe@example.com";
    static final String SSN = "536-22-1945";

    private Path piiChats() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String user = i == 1 ? "Mail me at " + EMAIL + " please" : i == 4 ? "my SSN is " + SSN : "What is " + i + "+" + i + "?";
            lines.add(chat("User", user, "Chatbot", (2 * i) + "."));
        }
        return Fixtures.write(dir, "chats.jsonl", lines);
    }

    @Test
    void piiIsCountedByTypeWithLocationsAndNoValuesUnderTheUploadDefault() throws Exception {
        ValidationReport r = DatasetCheck.check(piiChats(), Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT, OPTIONS);
        assertTrue(r.validated(), r::validationError);
        PiiFindings p = r.pii().orElseThrow();
        assertEquals(PiiPolicy.REDACT, p.policy());
        assertEquals(1, p.count(PiiType.EMAIL_ADDRESS));
        assertEquals(1, p.count("US_SSN"));
        assertEquals(2, p.total());
        assertEquals(2, p.recordsChanged());
        assertEquals(List.of(
                new PiiFindings.Location("EMAIL_ADDRESS", "train", 2, Optional.of("messages[0].content"), 11, 11 + EMAIL.length()),
                new PiiFindings.Location("US_SSN", "train", 5, Optional.of("messages[0].content"), 10, 10 + SSN.length())),
                p.locations());
        assertTrue(r.warnings().contains("personal data redacted before storage (pii policy REDACT): 1 EMAIL_ADDRESS, 1 US_SSN "
                + "in 2 record(s)"), r.warnings().toString());
        String everything = r + " " + r.outcome() + " " + r.parts() + " " + p;
        assertFalse(everything.contains(EMAIL) || everything.contains(SSN), everything);
        // and the same as an upload under the same policy records
        Dataset d = upload(DatasetType.CHAT_FINETUNE_INPUT, dir.resolve("chats.jsonl"), Optional.empty(), false, PiiPolicy.REDACT);
        assertEquals(d.pii(), r.outcome().pii());
        assertEquals(d.validationWarnings(), r.warnings());
        assertEquals(d.datasetParts(), r.datasetParts());
    }

    @Test
    void rejectFailsWithTheUploadsMessageAndStillCounts() throws Exception {
        ValidationReport r = DatasetCheck.check(piiChats(), Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT,
                CheckOptions.builder().tokenizer(WordTokenizer.INSTANCE).piiPolicy(PiiPolicy.REJECT).build());
        assertFalse(r.validated());
        assertTrue(r.validationError().startsWith(
                "dataset contains personal data and the pii policy is REJECT: 1 EMAIL_ADDRESS, 1 US_SSN in 2 record(s); first at "
                        + "EMAIL_ADDRESS at train line 2"), r.validationError());
        assertFalse(r.validationError().contains(EMAIL));
        assertEquals(PiiPolicy.REJECT, r.pii().orElseThrow().policy());
        assertEquals(2, r.pii().orElseThrow().total());
    }

    @Test
    void warnKeepsTheDatasetValidAndOffDoesNotScan() throws Exception {
        ValidationReport warn = DatasetCheck.check(piiChats(), Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT,
                CheckOptions.builder().tokenizer(WordTokenizer.INSTANCE).piiPolicy(PiiPolicy.WARN).build());
        assertTrue(warn.validated());
        assertEquals(2, warn.pii().orElseThrow().total());
        assertTrue(warn.warnings().stream().anyMatch(w -> w.startsWith("personal data found and kept as uploaded (pii policy WARN)")));

        ValidationReport off = DatasetCheck.check(piiChats(), Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT,
                CheckOptions.builder().tokenizer(WordTokenizer.INSTANCE).piiPolicy(PiiPolicy.OFF).build());
        assertTrue(off.validated());
        assertTrue(off.pii().isEmpty());
        assertTrue(off.warnings().stream().noneMatch(w -> w.contains("personal data")), off.warnings().toString());
    }

    @Test
    void customPatternsAreCountedAsCustomTypes() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            lines.add(chat("User", "where is ACCT-00" + i + "77?", "Chatbot", "shipped"));
        }
        ValidationReport r = DatasetCheck.check(Fixtures.write(dir, "orders.jsonl", lines), Optional.empty(),
                DatasetType.CHAT_FINETUNE_INPUT,
                CheckOptions.builder().tokenizer(WordTokenizer.INSTANCE).piiCustomPattern("ACCOUNT", "ACCT-\\d{5}").build());
        assertEquals(4, r.pii().orElseThrow().count("CUSTOM_ACCOUNT"));
        assertEquals(4, r.pii().orElseThrow().count(PiiType.CUSTOM));
        assertTrue(r.datasetParts().stream().flatMap(p -> p.samples().stream()).allMatch(s -> s.contains("<CUSTOM_ACCOUNT>")));
    }

    // ---- arguments ----

    @Test
    void badArgumentsAreBadRequestsNamingTheField() throws Exception {
        Path ok = Fixtures.write(dir, "t.jsonl", chats(3));
        DatasetType chat = DatasetType.CHAT_FINETUNE_INPUT;
        assertMessage("train: must not be null", () -> DatasetCheck.check(null, Optional.empty(), chat, OPTIONS));
        assertMessage("train: no such file: " + dir.resolve("none"),
                () -> DatasetCheck.check(dir.resolve("none"), Optional.empty(), chat, OPTIONS));
        assertMessage("eval: not a regular file: " + dir, () -> DatasetCheck.check(ok, Optional.of(dir), chat, OPTIONS));
        assertMessage("eval: must not be null (use Optional.empty())", () -> DatasetCheck.check(ok, null, chat, OPTIONS));
        assertMessage("type: must not be null", () -> DatasetCheck.check(ok, Optional.empty(), null, OPTIONS));
        assertMessage("options: must not be null (use CheckOptions.defaults())",
                () -> DatasetCheck.check(ok, Optional.empty(), chat, null));
        assertMessage("csv_delimiter: '\"' cannot separate fields (a quote or a line break)",
                () -> CheckOptions.builder().csvDelimiter('"').build());
        assertMessage("pii_custom_patterns: name \"9lives\" must be a letter then up to 39 letters, digits or underscores",
                () -> CheckOptions.builder().piiCustomPattern("9lives", "x"));
        assertTrue(assertThrows(BadRequestException.class, () -> CheckOptions.builder().piiCustomPattern("OK", "(unclosed"))
                .getMessage().startsWith("pii_custom_patterns.OK: not a valid regular expression"));
        assertMessage("pii_policy: must be one of REDACT, REJECT, WARN, OFF, got null", () -> CheckOptions.builder().piiPolicy(null));
        assertMessage("tokenizer: must not be null", () -> CheckOptions.builder().tokenizer((Tokenizer) null));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        FinetuneException e = assertThrows(BadRequestException.class, call);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void optionsAreImmutableAndDefaultToAnUploadsDefaults() {
        CheckOptions d = CheckOptions.defaults();
        assertEquals(',', d.csvDelimiter());
        assertFalse(d.skipMalformedInput());
        assertEquals(PiiPolicy.REDACT, d.piiPolicy());
        assertTrue(d.piiCustomPatterns().isEmpty() && d.tokenizer().isEmpty());
        CheckOptions.Builder b = CheckOptions.builder().piiCustomPattern("A", "a");
        CheckOptions first = b.build();
        b.piiCustomPattern("B", "b");
        assertEquals(List.of("A"), List.copyOf(first.piiCustomPatterns().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> first.piiCustomPatterns().put("C", "c"));
    }

    // ---- the tokenizer ----

    @Test
    void countsTokensWithGpt2ByDefaultAndLoadsNoTokenizerForAFileFailingOnLineOne() throws Exception {
        Path f = Fixtures.write(dir, "t.jsonl", List.of(chat("User", "To be, or not to be", "Chatbot", "that is the question"),
                chat("User", "hello", "Chatbot", "hi")));
        ValidationReport gpt2 = DatasetCheck.check(f, Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT, CheckOptions.defaults());
        ValidationReport explicit = DatasetCheck.check(f, Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT,
                CheckOptions.builder().tokenizer(Tokenizers.gpt2()).build());
        assertTrue(gpt2.validated(), gpt2::validationError);
        assertEquals(explicit.metrics(), gpt2.metrics());
        assertEquals(explicit.parts(), gpt2.parts());

        Path csv = Fixtures.write(dir, "c.csv", List.of("role,content", "User,hi"));
        ValidationReport r = DatasetCheck.check(csv, Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT,
                CheckOptions.builder().tokenizer(() -> {
                    throw new AssertionError("the tokenizer was loaded");
                }).build());
        assertTrue(r.validationError().startsWith("line 1 is not a JSON object"), r.validationError());
    }
}
