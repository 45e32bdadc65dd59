package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.WaitOptions;
import dev.finetune.jobs.LocalTrainingTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** estimate (create's flags, --json), create --wait printing the estimate first, get's pills, checkpoints, report. */
class EstimateCommandsTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        out.getBuffer().setLength(0);
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void estimateThenTrainThenLookAtThePillsCheckpointsAndReport(@TempDir Path dir) throws Exception {
        System.setProperty("finetune.estimateBurstSeconds", "0.3");
        try {
            Path base = LocalTrainingTest.baseFolder(dir);
            String ws = dir.resolve("ws").toString();
            String id;
            try (dev.finetune.ClientV2 co = dev.finetune.ClientV2.builder().workspace(Path.of(ws)).build()) {
                id = co.wait(co.datasets().create(LocalTrainingTest.chatFile(dir), java.util.Optional.empty(),
                        dev.finetune.datasets.DatasetsCreateRequest.builder().name("qa")
                                .type(dev.finetune.datasets.DatasetType.CHAT_FINETUNE_INPUT).build()),
                        WaitOptions.timeout(java.time.Duration.ofSeconds(60)).interval(java.time.Duration.ofMillis(20))).id();
            }
            String[] flags = {"--workspace", ws, "--name", "qa", "--base-model", "chat:" + base, "--dataset-id", id, "--epochs", "2",
                    "--batch-size", "4", "--early-stopping-patience", "0"};
            String[] estimate = new String[flags.length + 3];
            estimate[0] = "finetune";
            estimate[1] = "estimate";
            System.arraycopy(flags, 0, estimate, 2, flags.length);
            estimate[estimate.length - 1] = "--json";
            assertEquals(0, run(estimate), err.toString());
            JsonNode e = dev.finetune.json.Json.reader().readTree(out.toString());
            for (String k : new String[] {"steps", "trainable_tokens", "seconds", "peak_memory_bytes"}) {
                assertTrue(e.path(k).isNumber() && e.path(k).asDouble() > 0, k + " in " + e);
            }
            int steps = e.path("steps").asInt();
            assertEquals(1, run("finetune", "list", "--workspace", ws, "--json") == 0 && !out.toString().contains("\"qa\"") ? 1 : 0,
                    "estimate created nothing: " + out);

            String[] create = new String[flags.length + 3];
            create[0] = "finetune";
            create[1] = "create";
            System.arraycopy(flags, 0, create, 2, flags.length);
            create[create.length - 1] = "--wait";
            assertEquals(0, run(create), err.toString() + out);
            String created = out.toString();
            assertTrue(created.startsWith("estimate: " + steps + " steps"), created);
            assertTrue(created.indexOf("estimate:") < created.indexOf("STATUS_READY"), created);
            String modelId = created.lines().filter(l -> l.contains("STATUS_READY")).findFirst().orElseThrow().split(" ")[0];

            assertEquals(0, run("finetune", "get", "--workspace", ws, modelId));
            Matcher pill = Pattern.compile("cross_entropy\\s+\\S+ -> \\S+\\s+[+-]\\S+ \\[[+-]\\S+, [+-]\\S+\\]\\s+(improved|worse|no clear change)")
                    .matcher(out.toString());
            assertTrue(pill.find(), out.toString());
            assertTrue(out.toString().contains("steps") && out.toString().contains("trained_tokens"), out.toString());

            assertEquals(0, run("finetune", "checkpoints", "--workspace", ws, modelId));
            assertTrue(out.toString().contains("(best)") && out.toString().contains(modelId + "-ft:ckpt-step-" + steps)
                    || out.toString().contains("step " + String.format("%5d", steps)), out.toString());
            Path exported = dir.resolve("exported");
            assertEquals(0, run("finetune", "checkpoints", "--workspace", ws, modelId, "--export", Integer.toString(steps), "--out",
                    exported.toString()), err.toString());
            assertTrue(Files.isRegularFile(exported.resolve("model.safetensors")) && Files.isRegularFile(exported.resolve("config.json")));

            Path report = dir.resolve("r/report.html");
            assertEquals(0, run("finetune", "report", "--workspace", ws, modelId, "--out", report.toString()), err.toString());
            String html = Files.readString(report);
            assertTrue(html.startsWith("<!DOCTYPE html>") && html.contains("<svg") && html.contains("class=\"pill\""), html);
        } finally {
            System.clearProperty("finetune.estimateBurstSeconds");
        }
    }
}
