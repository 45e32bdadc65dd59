package dev.finetune.validation;

import static dev.finetune.validation.Fixtures.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.FinetuneDatasetMetrics;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.json.Json;
import dev.finetune.spi.RecordFilter;
import dev.finetune.spi.ValidationJob;
import dev.finetune.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented warning "train dataset has conversations with too many tokens. conversation number:
 * number of turns with too many tokens is as follows, x:y": x is the conversation's 0-based index in
 * its part (train or eval file), y the number of its turns the rule drops (the first turn over 16384
 * tokens and every turn after it). Token counts come from a stub, so the fixtures stay a few bytes.
 */
class TooManyTokensWarningTest {
    /** One token per word, except {@code LONG} (16385 tokens, a turn over the limit by itself) and {@code EDGE} (16383). */
    static final class StubTokenizer implements Tokenizer {
        @Override
        public int[] encode(String text) {
            return new int[countTokens(text)];
        }

        @Override
        public int countTokens(String text) {
            int n = 0;
            for (String w : text.strip().split("\\s+")) {
                if (!w.isEmpty()) {
                    n += w.equals("LONG") ? ChatRules.MAX_TURN_TOKENS + 1 : w.equals("EDGE") ? ChatRules.MAX_TURN_TOKENS - 1 : 1;
                }
            }
            return n;
        }

        @Override
        public String decode(int[] ids) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int vocabSize() {
            return 1;
        }
    }

    private static final String PREFIX = " dataset has conversations with too many tokens. conversation number: "
            + "number of turns with too many tokens is as follows, ";

    /** A conversation of {@code turns} User/Chatbot turns; turn k is over-long when {@code longTurns[k]}. */
    static String conversation(String tag, boolean... longTurns) {
        List<String> rc = new ArrayList<>();
        rc.add("System");
        rc.add("preamble " + tag);
        for (int k = 0; k < longTurns.length; k++) {
            rc.add("User");
            rc.add(longTurns[k] ? "LONG question " + k : "question " + k + " of " + tag);
            rc.add("Chatbot");
            rc.add("answer " + k + " of " + tag);
        }
        return chat(rc.toArray(new String[0]));
    }

    private static ValidationReport run(Path dir, List<String> train, Optional<List<String>> eval) throws IOException {
        Path t = Fixtures.write(dir, "train.jsonl", train);
        Optional<Path> e = eval.isPresent() ? Optional.of(Fixtures.write(dir, "eval.jsonl", eval.get())) : Optional.empty();
        ValidationJob job = new ValidationJob(DatasetType.CHAT_FINETUNE_INPUT, t, e, false, ',', dir.resolve("out"), RecordFilter.NONE);
        return new DatasetValidation(new StubTokenizer()).run(job);
    }

    private static Optional<String> warning(ValidationReport r, String part) {
        return r.outcome().validationWarnings().stream().filter(w -> w.startsWith(part + PREFIX)).findFirst();
    }

    /** Turns per stored conversation, in file order. */
    private static List<Integer> storedTurns(Path part) throws IOException {
        List<Integer> out = new ArrayList<>();
        for (String l : Files.readAllLines(part)) {
            if (l.isBlank()) {
                continue;
            }
            int turns = 0;
            for (JsonNode m : Json.reader().readTree(l).get("messages")) {
                if (m.get("role").asText().equals("Chatbot")) {
                    turns++;
                }
            }
            out.add(turns);
        }
        return out;
    }

    @Test
    void numbersConversationsFromZeroAndCountEveryDroppedTurnInTrainAndEval(@TempDir Path dir) throws IOException {
        List<String> train = List.of(
                conversation("t0", true),                          // one over-long turn at 0: all 1 dropped
                conversation("t1", false, false),                  // fine
                conversation("t2", false, true),                   // one over-long later: 1 dropped
                conversation("t3", false, true, false, false),     // one over-long, then 2 fine turns: 3 dropped
                conversation("t4", true, true),                    // two over-long at 0: 2 dropped
                conversation("t5", false, false, true, true),      // two over-long later: 2 dropped
                conversation("t6", true, true, true),              // three at 0: 3 dropped
                conversation("t7", false, true, true, true, false) // three later and a fine one after: 4 dropped
        );
        List<String> eval = List.of(
                conversation("e0", false, true, true, true),       // three later: 3 dropped, index 0 in eval
                conversation("e1", false),
                conversation("e2", true, false));                  // one at 0 then a fine turn: both dropped
        ValidationReport r = run(dir, train, Optional.of(eval));
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        assertEquals(Optional.of("train" + PREFIX + "0:1, 2:1, 3:3, 4:2, 5:2, 6:3, 7:4"), warning(r, "train"),
                r.outcome().validationWarnings().toString());
        assertEquals(Optional.of("eval" + PREFIX + "0:3, 2:2"), warning(r, "eval"), r.outcome().validationWarnings().toString());

        // what the trainer reads: the stored parts keep the turns before the first over-long one
        assertEquals(List.of(2, 1, 1, 2, 1), storedTurns(dir.resolve("out/train.jsonl")));
        assertEquals(List.of(1, 1), storedTurns(dir.resolve("out/eval.jsonl")));
        FinetuneDatasetMetrics m = r.outcome().metrics().orElseThrow().finetuneDatasetMetrics().orElseThrow();
        assertEquals(7, m.chatDataMetrics().orElseThrow().numTrainTurns());
        assertEquals(2, m.chatDataMetrics().orElseThrow().numEvalTurns());
        assertEquals(5, m.trainExamples());
        assertEquals(2, m.evalExamples());
        // every conversation keeps its preamble, even the ones cut after their first turn
        assertTrue(Files.readString(dir.resolve("out/train.jsonl")).contains("preamble t5"));
    }

    @Test
    void aBlankLineIsNotAConversationAndATurnOfExactly16384TokensIsKept(@TempDir Path dir) throws IOException {
        List<String> train = new ArrayList<>();
        train.add(conversation("a", false));
        train.add("");
        train.add(chat("User", "EDGE", "Chatbot", "one")); // 16384 tokens: at the limit, kept
        train.add(conversation("c", false, false, true));
        ValidationReport r = run(dir, train, Optional.empty());
        assertEquals(ValidationStatus.VALIDATED, r.outcome().status(), r.outcome().toString());
        assertEquals(Optional.of("train" + PREFIX + "2:1"), warning(r, "train"));
    }

    @Test
    void conversationsLeftWithNoTurnAreTheTooManyTokensOfTheNotEnoughMessage(@TempDir Path dir) throws IOException {
        ValidationReport r = run(dir, List.of(conversation("a", true, false), conversation("b", false),
                conversation("c", true, true, true)), Optional.empty());
        assertEquals("not enough valid examples: found only 1 valid train examples of 3 received (0 incorrectly encoded, "
                + "0 duplicated, 2 too many tokens); at least 2 valid examples required since no eval data was provided",
                r.outcome().validationError().orElseThrow());
        assertTrue(r.outcome().validationWarnings().contains("train" + PREFIX + "0:2, 2:3"), r.outcome().validationWarnings().toString());
    }

    @Test
    void listsTheFirstFiftyConversationsThenAnEllipsis(@TempDir Path dir) throws IOException {
        List<String> train = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            train.add(conversation("c" + i, false, true));
        }
        ValidationReport r = run(dir, train, Optional.empty());
        String w = warning(r, "train").orElseThrow();
        assertTrue(w.startsWith("train" + PREFIX + "0:1, 1:1, ") && w.endsWith(", 49:1, ..."), w);
        assertTrue(Messages.isDocumented(w));
    }

    /**
     * For any mix of conversations (each a list of turns, some over-long), the warning pairs are the
     * 0-based index and turns-after-the-first-over-long-one of every conversation that has one, and the
     * stored part plus the dropped turns add up to the turns uploaded.
     */
    @Property(tries = 40)
    void warningAndStoredPartAgreeWithTheRule(@ForAll("conversations") List<List<Boolean>> convs) throws IOException {
        List<String> lines = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        List<Integer> keptTurns = new ArrayList<>();
        for (int i = 0; i < convs.size(); i++) {
            List<Boolean> turns = convs.get(i);
            boolean[] longTurns = new boolean[turns.size()];
            int first = -1;
            for (int k = 0; k < longTurns.length; k++) {
                longTurns[k] = turns.get(k);
                if (longTurns[k] && first < 0) {
                    first = k;
                }
            }
            lines.add(conversation("p" + i, longTurns));
            if (first >= 0) {
                expected.add(i + ":" + (turns.size() - first));
            }
            int kept = first < 0 ? turns.size() : first;
            if (kept > 0) {
                keptTurns.add(kept);
            }
        }
        List<String> eval = List.of(conversation("eval", false));
        Path out = Files.createTempDirectory("too-many-tokens");
        try {
            check(run(out, lines, Optional.of(eval)), out, expected, keptTurns);
        } finally {
            try (var walk = Files.walk(out)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void check(ValidationReport r, Path out, List<String> expected, List<Integer> keptTurns) throws IOException {
        Optional<String> w = warning(r, "train");
        assertEquals(expected.isEmpty() ? Optional.empty() : Optional.of("train" + PREFIX + String.join(", ", expected)), w);
        if (r.outcome().status() == ValidationStatus.VALIDATED) {
            assertEquals(keptTurns, storedTurns(out.resolve("out/train.jsonl")));
        } else {
            assertTrue(keptTurns.isEmpty(), r.outcome().toString());
        }
    }

    @Provide
    Arbitrary<List<List<Boolean>>> conversations() {
        return Arbitraries.of(true, false, false).list().ofMinSize(1).ofMaxSize(5).list().ofMinSize(1).ofMaxSize(12);
    }
}
