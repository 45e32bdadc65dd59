package dev.finetune.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.FinetuneDatasetMetrics;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OtherTypesValidationTest {
    @TempDir
    Path dir;

    private ValidationReport run(DatasetType type, List<String> lines) throws Exception {
        return Fixtures.run(dir, type, Fixtures.write(dir, "upload", lines), Optional.empty(), false);
    }

    private static String error(ValidationReport r) {
        assertEquals(ValidationStatus.FAILED, r.outcome().status(), () -> "expected failure, got " + r.outcome());
        return r.outcome().validationError().orElseThrow();
    }

    private static List<String> promptCompletion(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Json.object().put("prompt", "p" + i).put("completion", "c" + i).toString());
        }
        return out;
    }

    // ---- prompt-completion ----

    @Test
    void promptCompletionNeedsAtLeast32Examples() throws Exception {
        assertEquals("not enough valid examples: found only 31 valid train examples of 31 received (0 incorrectly encoded, "
                + "0 duplicated, 0 too many tokens); at least 32 valid examples required",
                error(run(DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT, promptCompletion(31))));
        assertEquals(ValidationStatus.VALIDATED, run(DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT, promptCompletion(32)).outcome().status());
    }

    @Test
    void promptCompletionAcceptsCsvWithHeaderAndQuotedLineBreaks() throws Exception {
        List<String> lines = new ArrayList<>(List.of("prompt,completion", "\"multi", "line, prompt\",\"say \"\"hi\"\"\""));
        for (int i = 0; i < 31; i++) {
            lines.add("p" + i + ",c" + i);
        }
        ValidationReport r = run(DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT, lines);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        String all = Files.readString(dir.resolve("out/train.jsonl")) + Files.readString(dir.resolve("out/eval.jsonl"));
        assertTrue(all.contains("{\"prompt\":\"multi\\nline, prompt\",\"completion\":\"say \\\"hi\\\"\"}"), all);
    }

    @Test
    void promptCompletionCsvWithoutHeaderFailsAtOnce() throws Exception {
        assertEquals("csv files must have a header with the required fields: [prompt, completion]",
                error(run(DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT, List.of("hello,world", "a,b"))));
    }

    @Test
    void csvDelimiterIsConfigurable() throws Exception {
        List<String> lines = new ArrayList<>(List.of("prompt;completion"));
        for (int i = 0; i < 40; i++) {
            lines.add("p, " + i + ";c" + i);
        }
        ValidationReport r = Fixtures.run(dir, DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT, Fixtures.write(dir, "u.csv", lines),
                Optional.empty(), false, ';', dev.finetune.spi.RecordFilter.NONE);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
    }

    // ---- reranker ----

    private static String rerank(String q, List<String> rel, List<String> neg) {
        var o = Json.object().put("query", q);
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

    @Test
    void rerankerNeedsAtLeast256UniqueQueries() throws Exception {
        List<String> lines = queries(255);
        lines.add(rerank("query 0", List.of("another relevant"), null));
        assertEquals("not enough unique queries: found only 255 unique queries in the train data; at least 256 required",
                error(run(DatasetType.RERANKER_FINETUNE_INPUT, lines)));
        ValidationReport ok = run(DatasetType.RERANKER_FINETUNE_INPUT, queries(256));
        assertEquals(ValidationStatus.VALIDATED, ok.outcome().status(), ok.outcome().toString());
        FinetuneDatasetMetrics.RerankerDataMetrics m = ok.outcome().metrics().orElseThrow().finetuneDatasetMetrics().orElseThrow()
                .rerankerDataMetrics().orElseThrow();
        assertEquals(256, m.numTrainQueries() + m.numEvalQueries());
        assertEquals(256, m.numTrainHardNegatives() + m.numEvalHardNegatives());
    }

    @Test
    void rerankerRejectsAPassageThatIsBothRelevantAndAHardNegative() throws Exception {
        List<String> lines = queries(256);
        lines.add(rerank("q", List.of("same", "other"), List.of("same")));
        assertEquals("a passage is both a relevant passage and a hard negative (line: 257)",
                error(run(DatasetType.RERANKER_FINETUNE_INPUT, lines)));
    }

    @Test
    void rerankerNeedsAtLeastOneRelevantPassage() throws Exception {
        List<String> lines = queries(256);
        lines.add(rerank("q", List.of(), List.of("n")));
        assertEquals("The field relevant_passages must not be empty (line: 257)", error(run(DatasetType.RERANKER_FINETUNE_INPUT, lines)));
    }

    @Test
    void rerankerRemovesEmptyAndDuplicateHardNegativesAndCountsLongPairs() throws Exception {
        List<String> lines = queries(256);
        lines.add(rerank("q", List.of(Fixtures.words(600)), List.of("n", "n", "", "  ")));
        ValidationReport r = run(DatasetType.RERANKER_FINETUNE_INPUT, lines);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        List<String> w = r.outcome().validationWarnings();
        assertTrue(w.contains("train dataset: removed 3 empty or duplicate hard negatives"), w.toString());
        assertTrue(w.contains("1 query+passage pair exceeds 510 tokens and will be truncated"), w.toString());
    }

    // ---- classification ----

    private static List<String> labelled(int perLabel, String... labels) {
        List<String> out = new ArrayList<>();
        for (String l : labels) {
            for (int i = 0; i < perLabel; i++) {
                out.add(Json.object().put("text", "text " + l + " " + i).put("label", l).toString());
            }
        }
        return out;
    }

    @Test
    void singleLabelCsvWithoutHeaderFailsWithTheDocumentedMessage() throws Exception {
        assertEquals("csv files must have a header with the required fields: [text, label]",
                error(run(DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT, List.of("great product,positive", "bad,negative"))));
    }

    @Test
    void singleLabelCsvWithHeaderIsValidated() throws Exception {
        List<String> lines = new ArrayList<>(List.of("text,label"));
        for (int i = 0; i < 40; i++) {
            lines.add("\"review, number " + i + "\"," + (i % 2 == 0 ? "positive" : "negative"));
        }
        ValidationReport r = run(DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT, lines);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        var labels = r.outcome().metrics().orElseThrow().finetuneDatasetMetrics().orElseThrow().classifyDataMetrics().orElseThrow()
                .labelMetrics();
        assertEquals(2, labels.size());
        assertEquals(20, labels.get(0).totalExamples());
    }

    @Test
    void classificationNeedsFortyExamples() throws Exception {
        assertEquals("not enough valid examples: found only 39 valid train examples of 39 received (0 incorrectly encoded, "
                + "0 duplicated, 0 too many tokens); at least 40 valid examples required",
                error(run(DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT, labelled(13, "a", "b", "c"))));
    }

    @Test
    void classificationNeedsTwoLabels() throws Exception {
        assertEquals("at least 2 unique labels are required; found only 1",
                error(run(DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT, labelled(40, "only"))));
    }

    @Test
    void classificationNeedsFiveExamplesPerLabel() throws Exception {
        List<String> lines = labelled(20, "a", "b");
        lines.addAll(labelled(4, "rare"));
        assertEquals("each label needs at least 5 examples; too few: rare (4)",
                error(run(DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT, lines)));
    }

    @Test
    void multiLabelTakesAListAndRejectsCsv() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            var o = Json.object().put("text", "t" + i);
            o.putArray("label").add("x").add(i % 2 == 0 ? "y" : "z");
            lines.add(o.toString());
        }
        ValidationReport r = run(DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT, lines);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        lines.set(3, "{\"text\": \"t\", \"label\": \"x\"}");
        assertEquals("The field label must be a list of labels (line: 4)", error(run(DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT, lines)));
        assertTrue(error(run(DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT, List.of("text,label", "a,b")))
                .startsWith("line 1 is not a JSON object: multi-label-classification-finetune-input expects JSONL"));
    }

    @Test
    void classificationReportsAMissingLabel() throws Exception {
        List<String> lines = labelled(20, "a", "b");
        lines.add("{\"text\": \"no label\"}");
        assertEquals("The required field label was not found in the dataset (line: 41)",
                error(run(DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT, lines)));
    }

    @Test
    void filesOver1point5GBAreRejectedBeforeReading() throws Exception {
        Path big = dir.resolve("big.jsonl");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength((3L << 29) + 1); // sparse: no disk used
        }
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, big, Optional.empty(), false);
        assertEquals("file big.jsonl is 1610612737 bytes; the largest dataset file allowed is 1.5 GB (1610612736 bytes)", error(r));
    }

    @Test
    void unknownTypeFailsNamingTheKnownTypes() throws Exception {
        assertTrue(error(run(DatasetType.valueOf("embed-input"), List.of("{}"))).startsWith("unknown dataset type embed-input"));
    }
}
