package dev.finetune.validation;

import static dev.finetune.validation.Fixtures.chat;
import static dev.finetune.validation.Fixtures.chatRun;
import static dev.finetune.validation.Fixtures.chats;
import static dev.finetune.validation.Fixtures.words;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.FinetuneDatasetMetrics;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.spi.ValidationOutcome;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatValidationTest {
    @TempDir
    Path dir;

    private static String error(ValidationReport r) {
        assertEquals(ValidationStatus.FAILED, r.outcome().status(), () -> "expected failure, got " + r.outcome());
        return r.outcome().validationError().orElseThrow();
    }

    @Test
    void acceptsLowerCaseRolesAsInTheServiceExampleFile() throws Exception {
        ValidationReport r = chatRun(dir, List.of(
                chat("system", "You are terse.", "user", "hi", "chatbot", "hello"),
                chat("user", "how are you", "chatbot", "fine")));
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        String all = Files.readString(dir.resolve("out/train.jsonl")) + Files.readString(dir.resolve("out/eval.jsonl"));
        assertTrue(all.contains("\"role\":\"System\"") && all.contains("\"role\":\"Chatbot\""), all);
        FinetuneDatasetMetrics m = ((ValidationOutcome) r.outcome()).metrics().orElseThrow().finetuneDatasetMetrics().orElseThrow();
        assertEquals(Optional.of("You are terse."), m.chatDataMetrics().orElseThrow().preamble());
    }

    @Test
    void rejectsAnExtraSpeakerNamingItAndTheLine() throws Exception {
        List<String> lines = new ArrayList<>(chats(3));
        lines.add(1, chat("User", "hi", "Assistant", "hello"));
        assertEquals("extra speaker in example: Assistant (line : 2)", error(chatRun(dir, lines)));
    }

    @Test
    void laterSystemMessagesAreSpeakersNotExtraSpeakers() throws Exception {
        ValidationReport r = chatRun(dir, List.of(
                chat("System", "pre", "User", "a", "System", "note", "Chatbot", "b"), chats(1).get(0)));
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
    }

    @Test
    void rejectsAConversationWithoutChatbot() throws Exception {
        List<String> lines = new ArrayList<>(chats(3));
        lines.add(chat("User", "hi", "User", "anyone?"));
        assertEquals("missing Chatbot in example", error(chatRun(dir, lines)));
        assertTrue(chatRun(dir, lines).outcome().validationWarnings().contains("missing Chatbot in example (line : 4)"));
    }

    @Test
    void rejectsAConversationWithoutUser() throws Exception {
        List<String> lines = new ArrayList<>(chats(3));
        lines.add(0, chat("System", "pre", "Chatbot", "hello"));
        assertEquals("missing User in example", error(chatRun(dir, lines)));
    }

    @Test
    void rejectsTrainPreamblesOver2048Tokens() throws Exception {
        List<String> lines = new ArrayList<>(chats(3));
        lines.add(chat("System", words(2049), "User", "hi", "Chatbot", "hey"));
        lines.add(chat("System", words(2048), "User", "hi", "Chatbot", "ok at the limit"));
        assertEquals("train preambles are too long: 1 preamble over 2048 tokens (lines: 4)", error(chatRun(dir, lines)));
    }

    @Test
    void rejectsEvalPreamblesOver2048TokensAsAnInvalidEvalFile() throws Exception {
        Path train = Fixtures.write(dir, "t.jsonl", chats(3));
        Path eval = Fixtures.write(dir, "e.jsonl", List.of(chat("System", words(3000), "User", "x", "Chatbot", "y"),
                chat("User", "fine", "Chatbot", "eval")));
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, train, Optional.of(eval), false);
        assertEquals("invalid eval file: preambles are too long: 1 preamble over 2048 tokens (lines: 1)", error(r));
    }

    @Test
    void dropsTurnsOver16384TokensWithTheDocumentedWarning() throws Exception {
        List<String> lines = new ArrayList<>(chats(3));
        // line 4 (index 3): the second turn is too long; the first is kept
        lines.add(chat("User", "short", "Chatbot", "fine", "User", words(16384), "Chatbot", "x"));
        // line 5 (index 4): the only turn is too long: the conversation is dropped
        lines.add(chat("User", words(16000), "Chatbot", words(385)));
        ValidationReport r = chatRun(dir, lines);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        assertTrue(r.outcome().validationWarnings().contains("train dataset has conversations with too many tokens. "
                + "conversation number: number of turns with too many tokens is as follows, 3:1, 4:1"),
                r.outcome().validationWarnings().toString());
        long total = r.parts().get(0).examples() + r.parts().get(1).examples();
        assertEquals(4, total);
    }

    @Test
    void aTurnOfExactly16384TokensIsKept() throws Exception {
        List<String> lines = new ArrayList<>(chats(2));
        lines.add(chat("User", words(16000), "Chatbot", words(384)));
        ValidationReport r = chatRun(dir, lines);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status());
        assertTrue(r.outcome().validationWarnings().stream().noneMatch(w -> w.contains("too many tokens")));
    }

    @Test
    void countsEncodingDuplicatesAndTooLongInTheNotEnoughMessage() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        String ok = chats(1).get(0);
        b.writeBytes((ok + "\n" + ok + "\n").getBytes(StandardCharsets.UTF_8));
        b.writeBytes(new byte[] {'{', '"', (byte) 0xFF, (byte) 0xFE, '"', '}', '\n'});
        b.writeBytes((chat("User", words(17000), "Chatbot", "x") + "\n").getBytes(StandardCharsets.UTF_8));
        Path f = Fixtures.write(dir, "t.jsonl", b.toByteArray());
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, f, Optional.empty(), false);
        assertEquals("not enough valid examples: found only 1 valid train examples of 4 received (1 incorrectly encoded, "
                + "1 duplicated, 1 too many tokens); at least 2 valid examples required since no eval data was provided", error(r));
    }

    @Test
    void dropsExactDuplicatesWithAWarning() throws Exception {
        List<String> lines = new ArrayList<>(chats(3));
        lines.add(lines.get(1));
        ValidationReport r = chatRun(dir, lines);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status());
        assertTrue(r.outcome().validationWarnings().contains("train dataset has 1 exact duplicate example, dropped"));
        assertEquals(3, r.parts().get(0).examples() + r.parts().get(1).examples());
    }

    @Test
    void dropsIncorrectlyEncodedLinesAndSaysWhich() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes((String.join("\n", chats(2)) + "\n").getBytes(StandardCharsets.UTF_8));
        // an overlong encoding of '/' is not valid UTF-8
        b.writeBytes(("{\"messages\": [{\"role\": \"User\", \"content\": \"a").getBytes(StandardCharsets.UTF_8));
        b.writeBytes(new byte[] {(byte) 0xC0, (byte) 0xAF});
        b.writeBytes("\"}]}\n".getBytes(StandardCharsets.UTF_8));
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, Fixtures.write(dir, "t.jsonl", b.toByteArray()),
                Optional.empty(), false);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status());
        assertTrue(r.outcome().validationWarnings().contains("train dataset has 1 incorrectly encoded line (not UTF-8), dropped (lines: 3)"),
                r.outcome().validationWarnings().toString());
    }

    @Test
    void autoSplitsTwoConversationsOneEachSide() throws Exception {
        ValidationReport r = chatRun(dir, chats(2));
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status());
        assertTrue(r.outcome().validationWarnings().contains("dataset has 0 valid eval rows. dataset will be auto-split"));
        assertEquals(1, r.parts().get(0).examples());
        assertEquals(1, r.parts().get(1).examples());
        assertEquals(1, Files.readAllLines(dir.resolve("out/eval.jsonl")).size());
    }

    @Test
    void autoSplitIsEightyTwentyAndDeterministic() throws Exception {
        ValidationReport r = chatRun(dir, chats(100));
        assertEquals(80, r.parts().get(0).examples());
        assertEquals(20, r.parts().get(1).examples());
        String first = Files.readString(dir.resolve("out/eval.jsonl"));
        chatRun(dir, chats(100));
        assertEquals(first, Files.readString(dir.resolve("out/eval.jsonl")));
        FinetuneDatasetMetrics m = r.outcome().metrics().orElseThrow().finetuneDatasetMetrics().orElseThrow();
        assertEquals(100, m.totalExamples());
        assertEquals(80, m.chatDataMetrics().orElseThrow().numTrainTurns());
        assertEquals(Files.size(dir.resolve("out/train.jsonl")), m.trainSizeBytes());
    }

    @Test
    void splitMaskPutsRoughlyAFifthOnTheEvalSide() {
        for (int n = 2; n < 300; n++) {
            boolean[] m = DatasetValidation.splitMask(n);
            int k = 0;
            for (boolean b : m) {
                k += b ? 1 : 0;
            }
            assertEquals(Math.max(1, Math.round(n * 0.2)), k, "n=" + n);
            assertFalse(m[0] && n > 1 && k == n, "train side empty for n=" + n);
        }
    }

    @Test
    void anEvalFileWithOneValidConversationIsEnoughAndStopsTheSplit() throws Exception {
        Path train = Fixtures.write(dir, "t.jsonl", chats(1));
        Path eval = Fixtures.write(dir, "e.jsonl", List.of(chat("User", "eval q", "Chatbot", "eval a")));
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, train, Optional.of(eval), false);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        assertFalse(r.outcome().validationWarnings().contains(Messages.AUTO_SPLIT));
        assertEquals(1, r.parts().get(1).examples());
    }

    @Test
    void anEvalFileWithoutValidConversationsIsAutoSplit() throws Exception {
        Path train = Fixtures.write(dir, "t.jsonl", chats(5));
        Path emptyEval = Fixtures.write(dir, "e2.jsonl", List.of(chat("User", "only a user")));
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, train, Optional.of(emptyEval), true);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        assertTrue(r.outcome().validationWarnings().contains("dataset has 0 valid eval rows. dataset will be auto-split"));
        assertEquals(4, r.parts().get(0).examples());
        assertEquals(1, r.parts().get(1).examples());
    }

    @Test
    void warnsWhenEvalExamplesAlsoAppearInTrain() throws Exception {
        Path train = Fixtures.write(dir, "t.jsonl", chats(5));
        Path eval = Fixtures.write(dir, "e.jsonl", List.of(chats(2).get(1), chat("user", "new", "chatbot", "one")));
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, train, Optional.of(eval), false);
        assertTrue(r.outcome().validationWarnings().contains(
                "1 eval example also appears in the train data (leakage): eval scores will look better than they are"),
                r.outcome().validationWarnings().toString());
    }

    @Test
    void rejectsCsvUploadedAsChatOnFirstLine() throws Exception {
        Path f = Fixtures.write(dir, "chats.csv", List.of("role,content", "User,hi", "Chatbot,hello"));
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, f, Optional.empty(), true);
        assertEquals("line 1 is not a JSON object: chat-finetune-input expects JSONL, one JSON object per line, like "
                + ChatRules.SCHEMA, error(r));
        assertTrue(r.outcome().validationWarnings().isEmpty(), "nothing after line 1 is read");
        assertFalse(Files.exists(dir.resolve("out/train.jsonl")));
    }

    @Test
    void failsFastOnLineOneWithoutLoadingTheTokenizer() throws Exception {
        Path f = Fixtures.write(dir, "chats.csv", List.of("role,content", "User,hi"));
        DatasetValidation v = new DatasetValidation(() -> {
            throw new AssertionError("the tokenizer was loaded");
        });
        ValidationOutcome o = v.validate(new dev.finetune.spi.ValidationJob(DatasetType.CHAT_FINETUNE_INPUT, f, Optional.empty(),
                false, ',', dir.resolve("out"), dev.finetune.spi.RecordFilter.NONE));
        assertTrue(o.validationError().orElseThrow().startsWith("line 1 is not a JSON object"));
    }

    @Test
    void rejectsAJsonArrayFileOnFirstLine() throws Exception {
        Path f = Fixtures.write(dir, "chats.json", List.of("[", chats(1).get(0), "]"));
        assertTrue(error(Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, f, Optional.empty(), false))
                .startsWith("line 1 is not a JSON object: chat-finetune-input expects JSONL"));
    }

    @Test
    void skipMalformedInputDropsRowsAndListsThem() throws Exception {
        List<String> lines = new ArrayList<>(chats(3));
        lines.add(1, chat("User", "hi", "Bot", "hello"));
        lines.add("{\"messages\": [");
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, Fixtures.write(dir, "t.jsonl", lines),
                Optional.empty(), true);
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        List<String> w = r.outcome().validationWarnings();
        assertTrue(w.contains("skipped malformed row: extra speaker in example: Bot (line : 2)"), w.toString());
        assertTrue(w.stream().anyMatch(x -> x.startsWith("skipped malformed row: line 5 is not valid JSON: ")), w.toString());
    }

    @Test
    void reportsAMissingRequiredField() throws Exception {
        List<String> lines = new ArrayList<>(chats(2));
        lines.add("{\"turns\": []}");
        assertEquals("The required field messages was not found in the dataset (line: 3)", error(chatRun(dir, lines)));
        lines.set(2, "{\"messages\": [{\"role\": \"User\"}]}");
        assertEquals("The required field content was not found in the dataset (line: 3)", error(chatRun(dir, lines)));
    }

    @Test
    void firstErrorIsTheValidationErrorAndTheRestAreWarnings() throws Exception {
        List<String> lines = new ArrayList<>(chats(3));
        lines.add(chat("User", "hi", "Robot", "x"));
        lines.add(chat("User", "only"));
        ValidationReport r = chatRun(dir, lines);
        assertEquals("extra speaker in example: Robot (line : 4)", error(r));
        assertTrue(r.outcome().validationWarnings().contains("missing Chatbot in example (line : 5)"));
    }

    @Test
    void aLineOver16MiBIsAnErrorNamingTheLine() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes((String.join("\n", chats(2)) + "\n").getBytes(StandardCharsets.UTF_8));
        byte[] big = new byte[(16 << 20) + 10];
        java.util.Arrays.fill(big, (byte) 'a');
        big[0] = '{';
        b.writeBytes(big);
        b.write('\n');
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, Fixtures.write(dir, "t.jsonl", b.toByteArray()),
                Optional.empty(), false);
        assertEquals("line 3 is longer than 16 MiB (16777216 bytes), the longest line allowed", error(r));
    }

    @Test
    void reviewNumbersCountTurnsAndTokenPercentiles() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            lines.add(chat("User", words(i + 1), "Chatbot", "a" + i, "User", "more", "Chatbot", "b" + i));
        }
        ValidationReport r = Fixtures.run(dir, DatasetType.CHAT_FINETUNE_INPUT, Fixtures.write(dir, "t.jsonl", lines),
                Optional.of(Fixtures.write(dir, "e.jsonl", List.of(chat("User", "x", "Chatbot", "y")))), false);
        PartSummary train = r.parts().get(0);
        assertEquals(10, train.examples());
        assertEquals(20, train.turns());
        assertEquals(2.0, train.averageTurns());
        // tokens per conversation: (i+1) + 1 + 1 + 1 = i + 4 for i = 0..9 -> 4..13
        assertEquals(8, train.tokensP50());
        assertEquals(13, train.tokensMax());
        assertEquals(3, train.samples().size());
    }
}
