package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DatasetsCliTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** Runs a command with the test tokenizer and Main's error handling; returns the exit status. */
    private int run(Object command, String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + ex.getMessage());
            return 1;
        });
        return cli.execute(args);
    }

    private Path chats(int n) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("{\"messages\": [{\"role\": \"user\", \"content\": \"q " + i + "\"}, {\"role\": \"chatbot\", \"content\": \"a " + i + "\"}]}");
        }
        return Files.write(dir.resolve("chats.jsonl"), lines);
    }

    @Test
    void validatePrintsAReviewAndExitsZero() throws Exception {
        int code = run(new ValidateCommand(SpaceTokenizer::new), "--type", "chat-finetune-input", chats(10).toString());
        assertEquals(0, code, err.toString());
        String o = out.toString();
        assertTrue(o.contains("Status: validated"), o);
        assertTrue(o.matches("(?s).*Examples\\s+8\\s+2.*"), o);
        assertTrue(o.contains("Avg turns per conversation"), o);
        assertTrue(o.contains("dataset has 0 valid eval rows. dataset will be auto-split"), o);
        assertTrue(o.contains("Samples (train):"), o);
    }

    @Test
    void validateJsonOfACsvUploadedAsChatExitsOne() throws Exception {
        Path csv = Files.writeString(dir.resolve("chats.csv"), "role,content\nUser,hi\n");
        int code = run(new ValidateCommand(SpaceTokenizer::new), "--json", "--type", "chat-finetune-input", csv.toString());
        assertEquals(1, code);
        JsonNode j = Json.reader().readTree(out.toString());
        assertEquals("failed", j.get("validation_status").asText());
        assertTrue(j.get("validation_error").asText().startsWith("line 1 is not a JSON object"), j.toString());
        assertEquals("chat-finetune-input", j.get("dataset_type").asText());
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        assertEquals(2, Main.run("validate", "--type", "embed-input", "x.jsonl"));
        assertEquals(2, Main.run("validate", "x.jsonl"));
        assertEquals(2, run(new ValidateCommand(SpaceTokenizer::new), "--type", "chat-finetune-input", dir.resolve("missing").toString()));
        assertEquals(2, run(new ValidateCommand(SpaceTokenizer::new), "--type", "chat-finetune-input", "--csv-delimiter", "\"",
                chats(3).toString()));
        assertTrue(err.toString().contains("csv_delimiter"), err.toString());
    }

    @Test
    void validateWithoutAWorkspaceWritesNothingBesideTheFile() throws Exception {
        Path f = chats(10);
        List<Path> before;
        try (var s = Files.walk(dir)) {
            before = s.sorted().toList();
        }
        assertEquals(0, run(new ValidateCommand(SpaceTokenizer::new), "--json", "--type", "chat-finetune-input", f.toString()),
                err.toString());
        JsonNode j = Json.reader().readTree(out.toString());
        assertEquals("validated", j.get("validation_status").asText());
        assertEquals(8, j.at("/metrics/finetune_dataset_metrics/train_examples").asInt());
        assertEquals("REDACT", j.at("/pii/policy").asText());
        try (var s = Files.walk(dir)) {
            assertEquals(before, s.sorted().toList());
        }
    }

    @Test
    void validateWithAWorkspaceKeepsTheDatasetForTheDatasetsCommands() throws Exception {
        Path ws = dir.resolve("ws");
        assertEquals(0, run(new ValidateCommand(SpaceTokenizer::new), "--workspace", ws.toString(), "--json", "--type",
                "chat-finetune-input", chats(5).toString()), err.toString());
        String id = Json.reader().readTree(out.toString()).get("id").asText();
        assertTrue(id.startsWith("chats-"), id);

        assertEquals(0, run(new DatasetsCommand(SpaceTokenizer::new), "--workspace", ws.toString(), "list"), err.toString());
        assertTrue(out.toString().contains(id) && out.toString().contains("validated"), out.toString());

        assertEquals(0, run(new DatasetsCommand(SpaceTokenizer::new), "--workspace", ws.toString(), "get", id), err.toString());
        assertEquals(4, Json.reader().readTree(out.toString()).at("/metrics/finetune_dataset_metrics/train_examples").asInt());

        assertEquals(0, run(new DatasetsCommand(SpaceTokenizer::new), "--workspace", ws.toString(), "delete", id), err.toString());
        assertEquals(1, run(new DatasetsCommand(SpaceTokenizer::new), "--workspace", ws.toString(), "get", id));
        assertTrue(err.toString().contains("dataset " + id + " not found"), err.toString());
    }

    @Test
    void datasetsCreateWaitsAndReportsTheStatus() throws Exception {
        Path ws = dir.resolve("ws");
        int code = run(new DatasetsCommand(SpaceTokenizer::new), "--workspace", ws.toString(), "create", "--type",
                "chat-finetune-input", "--name", "my chats", chats(3).toString());
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().startsWith("my-chats-"), out.toString());
        assertTrue(out.toString().contains("validated"), out.toString());
    }
}
