package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.jobs.TaskFinetuneTest;
import dev.finetune.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code finetune create} with the rerank and classification base types, then {@code rerank} and {@code classify}. */
class TaskCommandsTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    private static String upload(String ws, Path file, DatasetType type) {
        try (ClientV2 co = ClientV2.builder().workspace(Path.of(ws)).build()) {
            return co.wait(co.datasets().create(file, Optional.empty(), DatasetsCreateRequest.builder().name("d").type(type).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20))).id();
        }
    }

    private String created() {
        return out.toString().lines().filter(l -> l.contains("STATUS_READY")).findFirst().orElseThrow().split(" ")[0];
    }

    @Test
    void rerankAndClassifyFromTheCommandLine(@TempDir Path dir) throws Exception {
        Path base = TaskFinetuneTest.tinyBase(dir);
        String ws = dir.resolve("ws").toString();

        String rerankData = upload(ws, TaskFinetuneTest.rerankFile(dir), DatasetType.RERANKER_FINETUNE_INPUT);
        assertEquals(0, run("finetune", "create", "--workspace", ws, "--name", "rr", "--base-model", "rerank:" + base,
                "--dataset-id", rerankData, "--full", "--epochs", "10", "--learning-rate", "0.003", "--early-stopping-patience", "0",
                "--wait"), err.toString() + out);
        String rr = created();
        Path docs = Files.write(dir.resolve("docs.txt"), List.of("the tiger is here.", "", "the piano is here.", "the stone is here."));
        assertEquals(0, run("rerank", "--workspace", ws, "--model", rr + "-ft", "--query", "where is the piano?",
                "--documents", docs.toString(), "--top-n", "2", "--json"), err.toString());
        JsonNode r = Json.reader().readTree(out.toString());
        assertEquals(2, r.get("results").size(), out.toString());
        assertEquals(1, r.get("results").get(0).get("index").asInt(), out.toString()); // blank lines are not documents
        assertTrue(r.get("results").get(0).has("relevance_score"), out.toString());
        assertEquals(0, run("rerank", "--workspace", ws, "--model", rr + "-ft", "--query", "where is the piano?",
                "--documents", docs.toString()), err.toString());
        assertTrue(out.toString().lines().skip(1).findFirst().orElseThrow().contains("the piano is here."), out.toString());

        Path bad = Files.write(dir.resolve("docs.jsonl"), List.of("\"fine\"", "{\"title\": 3}"));
        assertEquals(1, run("rerank", "--workspace", ws, "--model", rr + "-ft", "--query", "q", "--documents", bad.toString()));
        assertTrue(err.toString().contains("docs.jsonl line 2") && err.toString().contains("\"text\""), err.toString());
        assertEquals(1, run("classify", "--workspace", ws, "--model", rr + "-ft", "some text"));
        assertTrue(err.toString().contains("BASE_TYPE_CLASSIFICATION"), err.toString());

        String classData = upload(ws, TaskFinetuneTest.singleLabelFile(dir), DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT);
        assertEquals(0, run("finetune", "create", "--workspace", ws, "--name", "cl", "--base-model", "classification:" + base,
                "--dataset-id", classData, "--epochs", "10", "--batch-size", "8", "--early-stopping-patience", "0", "--wait"),
                err.toString() + out);
        String cl = created();
        assertEquals(0, run("classify", "--workspace", ws, "--model", cl + "-ft", "--json", "i hate this apple.", "i love this river."),
                err.toString());
        JsonNode c = Json.reader().readTree(out.toString());
        assertEquals("negative", c.get("classifications").get(0).get("prediction").asText(), out.toString());
        assertEquals("positive", c.get("classifications").get(1).get("prediction").asText(), out.toString());
        assertTrue(c.get("classifications").get(0).get("labels").get("negative").has("confidence"), out.toString());
        assertEquals(0, run("finetune", "get", "--workspace", ws, cl), err.toString());
        assertTrue(out.toString().contains("f1"), out.toString());
    }
}
