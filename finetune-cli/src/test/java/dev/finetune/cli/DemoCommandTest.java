package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.basemodels.BaseModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @Test
    void theDemoDatasetIsValidPromptCompletionWithoutTheScoredText(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("d.jsonl");
        Path e = dir.resolve("e.jsonl");
        int[] n = DemoCommand.writeDataset(f, e, 500, 40, 8, 2);
        List<String> lines = Files.readAllLines(f);
        List<String> evalLines = Files.readAllLines(e);
        assertEquals(500, n[0]);
        assertEquals(40, n[1]);
        assertEquals(n[0], lines.size());
        assertEquals(n[1], evalLines.size());
        // the evaluation passages are not training passages
        assertTrue(evalLines.stream().noneMatch(lines::contains));
        ObjectMapper om = new ObjectMapper();
        for (String l : (Iterable<String>) java.util.stream.Stream.concat(lines.stream(), evalLines.stream())::iterator) {
            JsonNode o = om.readTree(l);
            assertTrue(o.path("prompt").isTextual() && o.path("completion").isTextual());
            assertFalse(o.path("completion").asText().isBlank());
        }
        // the scored soliloquy is not in the corpus at all, so the comparison is on unseen text
        assertFalse(BaseModels.corpus("tinyshakespeare.txt").contains("To be, or not to be: that is the question"));
    }

    @Test
    void passageAndPromptLinesShapeEachExample(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("d.jsonl");
        Path e = dir.resolve("e.jsonl");
        int[] n = DemoCommand.writeDataset(f, e, 30, 3, 12, 1);
        assertEquals(30, n[0]);
        ObjectMapper om = new ObjectMapper();
        for (String l : Files.readAllLines(f)) {
            JsonNode o = om.readTree(l);
            assertEquals(1, o.path("prompt").asText().chars().filter(c -> c == '\n').count(), l);
            assertEquals(11, o.path("completion").asText().chars().filter(c -> c == '\n').count(), l);
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> DemoCommand.writeDataset(f, e, 30, 3, 4, 4));
    }

    @Test
    void proseDropsSpeakerNamesAndJoinsLinesAsRunningText(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("d.jsonl");
        Path e = dir.resolve("e.jsonl");
        int[] n = DemoCommand.writeDataset(f, e, 40, 4, 8, 1, true);
        assertEquals(40, n[0]);
        ObjectMapper om = new ObjectMapper();
        List<String> lines = Files.readAllLines(f);
        // the corpus opens with "First Citizen:" / "Before we proceed any further, hear me speak." / "" / "All:" / "Speak, speak."
        JsonNode first = om.readTree(lines.get(0));
        assertEquals("Before we proceed any further, hear me speak.", first.path("prompt").asText());
        assertTrue(first.path("completion").asText().startsWith(" Speak, speak. "), first.toString());
        for (String l : lines) {
            JsonNode o = om.readTree(l);
            String all = o.path("prompt").asText() + o.path("completion").asText();
            assertFalse(all.contains("\n"), l);
            assertFalse(all.contains("Citizen:") || all.contains("All:"), l);
            assertTrue(o.path("completion").asText().startsWith(" ") && o.path("completion").asText().length() > 1, l);
        }
    }
}
