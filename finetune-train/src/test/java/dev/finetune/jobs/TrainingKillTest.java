package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.template.ChatTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.BpeTrainer;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM is killed with SIGKILL in the middle of a fine-tune; the next client to open the workspace
 * resumes it from its last checkpoint, and the final weights equal an uninterrupted run's bit for bit (with
 * packed batches: the data's examples differ in length, so shorter ones share rows).
 * Public: the command line's {@code finetune wait} test reuses its base model and data.
 */
public class TrainingKillTest {

    static FinetunedModel request(String datasetId, Path base) {
        return FinetunedModel.builder().name("kill").settings(Settings.builder()
                .baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString())).datasetId(datasetId)
                .hyperparameters(Hyperparameters.builder().trainEpochs(10).trainBatchSize(2).learningRate(0.005)
                        .earlyStoppingPatience(0).seed(11).build()).build()).build();
    }

    public static Path base(Path dir) {
        ByteLevelBpe bpe = BpeTrainer.train("the cat sat on the mat and the dog ran in the fog\n".repeat(20), 300,
                ChatTemplate.SPECIAL_TOKENS);
        GPT2 m = GPT2.randomInit(GPT2Config.of(bpe.vocabSize(), 64, 128, 3, 4), 8, 0.05f);
        Path f = dir.resolve("base");
        GPT2Checkpoint.save(m, f);
        BpeFiles.save(bpe, f);
        return f;
    }

    public static Path data(Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        // every fourth answer four times longer: the shorter examples pack two to a row beside the long ones
        for (int i = 0; i < 75; i++) {
            lines.add("{\"messages\":[{\"role\":\"User\",\"content\":\"where did the cat sit " + i + "?\"},"
                    + "{\"role\":\"Chatbot\",\"content\":\"on the mat, " + i + " times" + " and the dog ran in the fog".repeat(i % 4 == 0 ? 4 : 0)
                    + ".\"}]}");
        }
        Path f = dir.resolve("data.jsonl");
        Files.write(f, lines);
        return f;
    }

    private static long steps(Path metrics) throws Exception {
        if (!Files.exists(metrics)) {
            return 0;
        }
        return Files.readAllLines(metrics).stream().filter(l -> l.contains("train_loss")).count();
    }

    @Test
    void aKilledJobResumesToTheSameWeights(@TempDir Path dir) throws Exception {
        Path base = base(dir);
        Path data = data(dir);
        // the uninterrupted run
        float[] expected;
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("straight")).build()) {
            Dataset d = co.wait(co.datasets().create(data, Optional.empty(), DatasetsCreateRequest.builder().name("kill")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
            FinetunedModel m = co.wait(co.finetuning().createFinetunedModel(request(d.id(), base)), WaitOptions.timeout(Duration.ofMinutes(5)).interval(Duration.ofMillis(50)));
            assertEquals(Status.STATUS_READY, m.status().orElseThrow(), m.failureReason().orElse(""));
            expected = GPT2Checkpoint.load(co.finetuning().modelFolder(m.id().orElseThrow())).parameters();
        }
        // the killed run
        Path ws = dir.resolve("killed");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "--add-modules=jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                TrainingChild.class.getName(), ws.toString(), base.toString(), data.toString());
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String id;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            id = out.readLine();
            assertTrue(id != null && !id.isBlank(), "the child printed no model id");
            Path metrics = ws.resolve("models").resolve(id).resolve("metrics.jsonl");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            // 300 steps in all, a checkpoint every 30: kill after the second one and well before the end
            while (steps(metrics) < 70 && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        }
        String status = Files.readString(ws.resolve("models").resolve(id).resolve("model.json"));
        assertTrue(status.contains("STATUS_FINETUNING"), "the child was killed mid-training: " + status);
        assertTrue(steps(ws.resolve("models").resolve(id).resolve("metrics.jsonl")) < 300);
        try (ClientV2 co = ClientV2.builder().workspace(ws).build()) {
            FinetunedModel m = co.wait(co.finetuning().getFinetunedModel(id).finetunedModel(), WaitOptions.timeout(Duration.ofMinutes(5)));
            assertEquals(Status.STATUS_READY, m.status().orElseThrow(), m.failureReason().orElse(""));
            assertArrayEquals(expected, GPT2Checkpoint.load(co.finetuning().modelFolder(id)).parameters());
        }
    }
}
