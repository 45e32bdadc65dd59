package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.WaitOptions;
import dev.finetune.jobs.LocalTrainingTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FinetuneCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void createWaitThenInspectFromTheCommandLine(@TempDir Path dir) throws Exception {
        Path base = LocalTrainingTest.baseFolder(dir);
        Path data = LocalTrainingTest.chatFile(dir);
        String ws = dir.resolve("ws").toString();
        String id;
        try (dev.finetune.ClientV2 co = dev.finetune.ClientV2.builder().workspace(Path.of(ws)).build()) {
            id = co.wait(co.datasets().create(data, java.util.Optional.empty(), dev.finetune.datasets.DatasetsCreateRequest.builder()
                    .name("qa").type(dev.finetune.datasets.DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(java.time.Duration.ofSeconds(60)).interval(java.time.Duration.ofMillis(20))).id();
        }
        assertEquals(0, run("finetune", "create", "--workspace", ws, "--name", "qa", "--base-model", "chat:" + base,
                "--dataset-id", id, "--full", "--epochs", "3", "--batch-size", "4", "--learning-rate", "0.01", "--wait"),
                err.toString() + out);
        assertTrue(out.toString().contains("STATUS_READY"), out.toString());
        String modelId = out.toString().lines().filter(l -> l.contains("STATUS_READY")).findFirst().orElseThrow().split(" ")[0];
        out.getBuffer().setLength(0);
        assertEquals(0, run("finetune", "events", "--workspace", ws, modelId));
        assertTrue(out.toString().contains("STATUS_QUEUED") && out.toString().contains("training started"), out.toString());
        out.getBuffer().setLength(0);
        assertEquals(0, run("finetune", "metrics", "--workspace", ws, modelId + "-ft"));
        assertTrue(out.toString().contains("train_loss"), out.toString());
        assertEquals(2, run("finetune", "create", "--workspace", ws, "--name", "x", "--base-model", "chat",
                "--dataset-id", id, "--epochs", "not-a-number"));
        assertEquals(1, run("finetune", "create", "--workspace", ws, "--name", "x", "--base-model", "chat",
                "--dataset-id", id, "--epochs", "11"));
        assertTrue(err.toString().contains("train_epochs: 11 is outside the allowed range 1 to 10"), err.toString());
    }
}
