package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.ClientV2;
import dev.finetune.finetuning.Event;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Status;
import dev.finetune.jobs.LocalTrainingTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fine-tune queued by {@code finetune create} (no {@code --wait}) stays queued through every command that
 * only reads; {@code finetune wait ID} trains it. The new create flags reach the stored settings.
 */
class ReadingCommandsTest {
    @TempDir
    Path dir;

    private final Cli cli = new Cli();

    @AfterEach
    void restore() {
        FinetuneCommand.Create.environment = System::getenv;
    }

    /** The model as stored, read by a client that never trains. */
    private static FinetunedModel stored(Path ws, String id) {
        try (ClientV2 co = ClientV2.builder().workspace(ws).runJobs(false).build()) {
            return co.finetuning().getFinetunedModel(id).finetunedModel();
        }
    }

    private static List<String> events(Path ws, String id) {
        try (ClientV2 co = ClientV2.builder().workspace(ws).runJobs(false).build()) {
            return co.finetuning().listEvents(id).events().stream().map(e -> e.message().orElse("")).toList();
        }
    }

    @Test
    void readingCommandsLeaveAQueuedJobAloneAndWaitTrainsIt() throws Exception {
        Path base = LocalTrainingTest.baseFolder(dir);
        Path ws = dir.resolve("ws");
        String w = ws.toString();
        assertEquals(0, cli.run("datasets", "create", "--workspace", w, "--type", "chat-finetune-input", "--json",
                LocalTrainingTest.chatFile(dir).toString()), cli.both());
        String datasetId = cli.json().get("id").asText();

        FinetuneCommand.Create.environment = name -> name.equals("WANDB_API_KEY") ? "wandb-secret-0123456789" : null;
        assertEquals(0, cli.run("finetune", "create", "--workspace", w, "--name", "queued", "--base-model", "chat:" + base,
                "--dataset-id", datasetId, "--strategy", "STRATEGY_LORA", "--lora-target-modules", "qkvo_ffn",
                "--lora-rank", "4", "--wandb-project", "proj", "--wandb-entity", "team"), cli.both());
        String id = cli.out().lines().findFirst().orElseThrow().split(" ")[0];
        assertTrue(cli.out().contains("STATUS_QUEUED") && cli.out().contains("./finetune finetune wait " + id), cli.out());
        FinetunedModel m = stored(ws, id);
        assertEquals("LORA_TARGET_MODULES_QKVO_FFN", m.settings().hyperparameters().orElseThrow().loraTargetModules()
                .orElseThrow().toString());
        assertEquals("STRATEGY_LORA", m.settings().hyperparameters().orElseThrow().strategy().orElseThrow().toString());
        // the store keeps no W&B settings (the key stays in memory); the event says what was done with them
        assertTrue(events(ws, id).stream().anyMatch(e -> e.contains("project proj") && e.contains("wandb sync --sync-tensorboard")),
                events(ws, id).toString());

        assertEquals(0, cli.run("finetune", "create", "--workspace", w, "--name", "to-cancel", "--base-model", "chat:" + base,
                "--dataset-id", datasetId, "--json"), cli.both());
        String other = cli.json().get("id").asText();

        String[][] reading = {
            {"finetune", "list", "--workspace", w},
            {"finetune", "list", "--workspace", w, "--page-size", "1"},
            {"finetune", "get", "--workspace", w, id},
            {"finetune", "events", "--workspace", w, id},
            {"finetune", "metrics", "--workspace", w, id},
            {"datasets", "list", "--workspace", w},
            {"datasets", "get", "--workspace", w, datasetId},
            {"audit", "--workspace", w},
            {"base-models", "list", "--workspace", w},
            {"generate", "--workspace", w, "--model", base.toString(), "--max-tokens", "2", "hello"},
            {"chat", "--workspace", w, "--model", base.toString(), "--max-tokens", "2", "hello"},
            {"finetune", "cancel", "--workspace", w, other},
        };
        for (String[] args : reading) {
            assertEquals(0, cli.run(args), String.join(" ", args) + "\n" + cli.both());
            assertFalse(cli.err().contains("Exception"), String.join(" ", args) + ": " + cli.err());
            assertEquals(Status.STATUS_QUEUED, stored(ws, id).status().orElseThrow(), String.join(" ", args));
            assertFalse(events(ws, id).stream().anyMatch(e -> e.contains("job runner") || e.contains("training started")),
                    String.join(" ", args) + ": " + events(ws, id));
        }
        assertEquals(0, cli.run("finetune", "list", "--workspace", w, "--page-size", "1"));
        assertTrue(cli.out().contains("next page: --page-token 1"), cli.out());
        assertEquals(0, cli.run("finetune", "list", "--workspace", w, "--page-token", "1", "--json"));
        assertEquals(1, cli.json().get("finetuned_models").size(), cli.out());
        assertEquals(0, cli.run("finetune", "list", "--workspace", w, "--json"));
        assertEquals(2, cli.json().get("finetuned_models").size(), cli.out());

        // the cancelled one: wait says how it ended, exit 1
        assertEquals(1, cli.run("finetune", "wait", "--workspace", w, other), cli.both());
        assertTrue(cli.out().contains("STATUS_CANCELLED") && cli.err().contains("ended STATUS_CANCELLED"), cli.both());

        // wait trains the queued one in this process
        assertEquals(0, cli.run("finetune", "wait", "--workspace", w, id + "-ft", "--json"), cli.both());
        JsonNode done = cli.json();
        assertEquals("STATUS_READY", done.get("status").asText(), cli.both());
        assertEquals(id, done.get("id").asText());
        assertEquals(Status.STATUS_READY, stored(ws, id).status().orElseThrow());
        assertTrue(events(ws, id).contains("picked up by a job runner"), events(ws, id).toString());
        assertFalse(cli.err().contains("Exception"), cli.err());

        // the W&B key is in no file of the workspace
        try (Stream<Path> files = Files.walk(ws)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains("wandb-secret-0123456789"),
                        f.toString());
            }
        }
    }
}
