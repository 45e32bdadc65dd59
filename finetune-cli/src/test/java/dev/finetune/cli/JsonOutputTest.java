package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.jobs.LocalTrainingTest;
import dev.finetune.jobs.TaskFinetuneTest;
import dev.finetune.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Every command that has {@code --json} is run with it on a tiny workspace made by the fixtures, and its
 * standard output parses as JSON (one document; {@code audit} writes one JSON object a line).
 */
class JsonOutputTest {
    @TempDir
    Path dir;

    private final Cli cli = new Cli();
    private final TreeSet<String> tried = new TreeSet<>();

    /** Runs {@code args} (which hold --json), expects exit 0 and returns the JSON values stdout holds. */
    private List<JsonNode> json(String... args) throws Exception {
        ParseResult p = Main.commandLine().parseArgs(args);
        while (p.hasSubcommand()) {
            p = p.subcommand();
        }
        tried.add(p.commandSpec().qualifiedName());
        assertEquals(0, cli.run(args), String.join(" ", args) + "\n" + cli.both());
        List<JsonNode> values = new ArrayList<>();
        try (JsonParser parser = Json.reader().createParser(cli.out())) {
            while (parser.nextToken() != null) {
                values.add(Json.reader().readTree(parser));
            }
        } catch (Exception e) {
            throw new AssertionError(String.join(" ", args) + ": stdout is not JSON: " + e.getMessage() + "\n" + cli.out(), e);
        }
        assertTrue(!values.isEmpty(), String.join(" ", args) + ": no JSON on stdout");
        return values;
    }

    private JsonNode one(String... args) throws Exception {
        List<JsonNode> v = json(args);
        assertEquals(1, v.size(), String.join(" ", args) + ": one JSON document expected\n" + cli.out());
        return v.get(0);
    }

    @Test
    void everyCommandWithJsonPrintsJson() throws Exception {
        String w = dir.resolve("ws").toString();
        Path chatBase = LocalTrainingTest.baseFolder(Files.createDirectories(dir.resolve("chat")));
        Path taskBase = TaskFinetuneTest.tinyBase(Files.createDirectories(dir.resolve("task")));
        Path chats = LocalTrainingTest.chatFile(dir);

        Path corpus = Files.writeString(dir.resolve("corpus.txt"), "the cat sat on the mat and the dog ran\n".repeat(30));
        int vocab = one("tokenizer", "train", "--corpus", corpus.toString(), "--vocab-size", "300", "--out",
                dir.resolve("tok").toString(), "--json").get("vocab_size").asInt();
        assertTrue(vocab > 256 && vocab <= 300, "vocab_size " + vocab); // a small corpus runs out of merges first
        Path pii = Files.writeString(dir.resolve("pii.txt"), "write to jane.doe@example.com\n");
        assertEquals(1, one("pii", "scan", "--json", pii.toString()).get("findings").asInt());
        assertEquals("validated", one("validate", "--type", "chat-finetune-input", "--json", chats.toString())
                .get("validation_status").asText());

        String chatData = one("datasets", "create", "--workspace", w, "--type", "chat-finetune-input", "--json",
                chats.toString()).get("id").asText();
        String spare = one("datasets", "create", "--workspace", w, "--type", "chat-finetune-input", "--name", "spare",
                "--json", chats.toString()).get("id").asText();
        assertEquals(2, one("datasets", "list", "--workspace", w, "--json").get("datasets").size());
        assertEquals(chatData, one("datasets", "get", "--workspace", w, chatData, "--json").get("id").asText());
        assertTrue(one("datasets", "delete", "--workspace", w, spare, "--json").get("deleted").asBoolean());
        assertTrue(one("base-models", "list", "--workspace", w, "--json").get(0).has("built"));

        JsonNode chatModel = one("finetune", "create", "--workspace", w, "--name", "chat", "--base-model", "chat:" + chatBase,
                "--dataset-id", chatData, "--batch-size", "4", "--wait", "--json");
        assertEquals("STATUS_READY", chatModel.get("status").asText(), chatModel.toString());
        String chatId = chatModel.get("id").asText();
        JsonNode queued = one("finetune", "create", "--workspace", w, "--name", "later", "--base-model", "chat:" + chatBase,
                "--dataset-id", chatData, "--json");
        assertEquals("STATUS_QUEUED", queued.get("status").asText());
        String queuedId = queued.get("id").asText();
        assertEquals("STATUS_CANCELLED", one("finetune", "cancel", "--workspace", w, queuedId, "--json").get("status").asText());
        assertTrue(one("finetune", "delete", "--workspace", w, queuedId, "--json").get("deleted").asBoolean());
        assertEquals(1, one("finetune", "list", "--workspace", w, "--json").get("finetuned_models").size());
        assertEquals(chatId, one("finetune", "get", "--workspace", w, chatId + "-ft", "--json").get("id").asText());
        assertTrue(one("finetune", "events", "--workspace", w, chatId, "--json").get("events").size() > 2);
        assertTrue(one("finetune", "metrics", "--workspace", w, chatId, "--json").get("step_metrics").size() > 0);
        assertEquals("STATUS_READY", one("finetune", "wait", "--workspace", w, chatId, "--json").get("status").asText());
        assertTrue(one("chat", "--workspace", w, "--model", chatId + "-ft", "--max-tokens", "3", "--json", "hello there!")
                .has("finish_reason"));
        assertEquals(1, one("generate", "--workspace", w, "--model", chatBase.toString(), "--max-tokens", "3", "--json", "hello")
                .get("generations").size());

        String rerankData = one("datasets", "create", "--workspace", w, "--type", "reranker-finetune-input", "--json",
                TaskFinetuneTest.rerankFile(dir).toString()).get("id").asText();
        String rerankId = one("finetune", "create", "--workspace", w, "--name", "rr", "--base-model", "rerank:" + taskBase,
                "--dataset-id", rerankData, "--early-stopping-patience", "0", "--wait", "--json").get("id").asText();
        Path docs = Files.writeString(dir.resolve("docs.txt"), "the tiger is here.\nthe piano is here.\n");
        assertEquals(2, one("rerank", "--workspace", w, "--model", rerankId + "-ft", "--query", "where is the piano?",
                "--documents", docs.toString(), "--json").get("results").size());
        String classData = one("datasets", "create", "--workspace", w, "--type", "single-label-classification-finetune-input",
                "--json", TaskFinetuneTest.singleLabelFile(dir).toString()).get("id").asText();
        String classId = one("finetune", "create", "--workspace", w, "--name", "cl", "--base-model",
                "classification:" + taskBase, "--dataset-id", classData, "--batch-size", "8", "--early-stopping-patience", "0",
                "--wait", "--json").get("id").asText();
        assertEquals(2, one("classify", "--workspace", w, "--model", classId + "-ft", "--json", "i love this river.",
                "i hate this stone.").get("classifications").size());

        List<JsonNode> audit = json("audit", "--workspace", w, "--json");
        assertTrue(audit.size() >= 5, audit.toString()); // four creates and a delete
        assertTrue(audit.stream().allMatch(a -> a.has("action") && a.has("dataset_id")), audit.toString());

        TreeSet<String> withJson = new TreeSet<>();
        for (Map.Entry<String, CommandLine> e : CommandModelTest.commands().entrySet()) {
            if (e.getValue().getCommandSpec().findOption("--json") != null) {
                withJson.add(e.getKey());
            }
        }
        assertEquals(withJson, tried, "commands with --json that this test does not run (or runs without having it)");
    }
}
