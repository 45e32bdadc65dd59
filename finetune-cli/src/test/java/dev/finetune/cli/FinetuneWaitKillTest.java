package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.jobs.TrainingKillTest;
import dev.finetune.model.GPT2Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * From the shell: {@code finetune create ... --wait} in a child JVM is killed with SIGKILL mid-training;
 * {@code finetune wait ID} (here, in this JVM) finishes the job from its last checkpoint, and its weights
 * equal an uninterrupted {@code finetune create --wait}'s bit for bit.
 */
class FinetuneWaitKillTest {
    /** The kill-test's run: 10 epochs of 30 steps, a checkpoint every 30 steps. */
    private static List<String> create(String ws, Path base, String datasetId) {
        return List.of("finetune", "create", "--workspace", ws, "--name", "kill", "--base-model", "chat:" + base,
                "--dataset-id", datasetId, "--epochs", "10", "--batch-size", "2", "--learning-rate", "0.005",
                "--early-stopping-patience", "0", "--seed", "11", "--wait");
    }

    private static long steps(Path metrics) throws Exception {
        if (!Files.exists(metrics)) {
            return 0;
        }
        return Files.readAllLines(metrics).stream().filter(l -> l.contains("train_loss")).count();
    }

    /** The one model folder of a workspace, once the child has created it. */
    private static Optional<Path> modelDir(Path ws) throws Exception {
        Path models = ws.resolve("models");
        if (!Files.isDirectory(models)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(models)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("model.json"))).findFirst();
        }
    }

    @Test
    void aFineTuneKilledInTheShellIsFinishedByFinetuneWait(@TempDir Path dir) throws Exception {
        Path base = TrainingKillTest.base(dir);
        Path data = TrainingKillTest.data(dir);
        Cli cli = new Cli();

        // the uninterrupted run, through the command line
        String straight = dir.resolve("straight").toString();
        assertEquals(0, cli.run("datasets", "create", "--workspace", straight, "--type", "chat-finetune-input", "--json",
                data.toString()), cli.both());
        List<String> args = new ArrayList<>(create(straight, base, cli.json().get("id").asText()));
        args.add("--json");
        assertEquals(0, cli.run(args.toArray(String[]::new)), cli.both());
        JsonNode done = cli.json();
        assertEquals("STATUS_READY", done.get("status").asText(), cli.both());
        float[] expected = GPT2Checkpoint.load(Path.of(straight, "models", done.get("id").asText())).parameters();

        // the killed run: the same command in a child JVM
        Path ws = dir.resolve("killed");
        assertEquals(0, cli.run("datasets", "create", "--workspace", ws.toString(), "--type", "chat-finetune-input", "--json",
                data.toString()), cli.both());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "--add-modules=jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(create(ws.toString(), base, cli.json().get("id").asText()));
        Path childOut = dir.resolve("child.out");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(childOut.toFile()).start();
        Path model = null;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            // 300 steps in all, a checkpoint every 30: kill after the second checkpoint and well before the end
            while (System.nanoTime() < deadline && child.isAlive()) {
                Optional<Path> m = modelDir(ws);
                if (m.isPresent() && steps(m.get().resolve("metrics.jsonl")) >= 70) {
                    model = m.get();
                    break;
                }
                Thread.sleep(2);
            }
            assertTrue(model != null, "the child trained 70 steps: " + Files.readString(childOut));
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        }
        String id = model.getFileName().toString();
        assertTrue(Files.readString(model.resolve("model.json")).contains("STATUS_FINETUNING"), "killed mid-training");
        assertTrue(steps(model.resolve("metrics.jsonl")) < 300);
        assertTrue(Files.readString(childOut).contains("./finetune finetune wait " + id), Files.readString(childOut));

        // finished from the shell
        assertEquals(0, cli.run("finetune", "wait", "--workspace", ws.toString(), id, "--json"), cli.both());
        assertEquals("STATUS_READY", cli.json().get("status").asText(), cli.both());
        assertFalse(cli.err().contains("Exception"), cli.err());
        assertArrayEquals(expected, GPT2Checkpoint.load(model).parameters());
        assertEquals(0, cli.run("finetune", "events", "--workspace", ws.toString(), id));
        assertTrue(cli.out().contains("resuming from the last checkpoint"), cli.out());
    }
}
