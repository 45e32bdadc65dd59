package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.NotFoundException;
import dev.finetune.WaitOptions;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.KeptCheckpoint;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.model.GPT2Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checkpoints a run keeps: the newest few and the best, listed with their metrics, served and exported. */
public class KeptCheckpointsTest {

    @Test
    void aRunKeepsItsLastThreeCheckpointsAndTheBestWhichServesAndExportsAsTheFinishedModel(@TempDir Path dir) throws Exception {
        Path base = LocalTrainingTest.baseFolder(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = TaskFinetuneTest.upload(co, LocalTrainingTest.chatFile(dir), DatasetType.CHAT_FINETUNE_INPUT);
            // batch 2, 3 epochs over the train part: under 20 steps, so an evaluation (and a checkpoint) after every step
            FinetunedModel req = FinetunedModel.builder().name("ckpt").settings(Settings.builder()
                    .baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString())).datasetId(d.id())
                    .hyperparameters(Hyperparameters.builder().trainEpochs(3).trainBatchSize(2).learningRate(0.05)
                            .earlyStoppingPatience(0).build()).build()).build();
            FinetunedModel done = co.wait(co.finetuning().createFinetunedModel(req), WaitOptions.timeout(Duration.ofSeconds(120))
                    .interval(Duration.ofMillis(50)));
            String id = done.id().orElseThrow();
            List<KeptCheckpoint> kept = co.finetuning().listCheckpoints(id);
            TreeMap<Integer, Map<String, Double>> steps = new TreeMap<>();
            for (TrainingStepMetrics t : co.finetuning().listTrainingStepMetrics(id).stepMetrics()) {
                steps.put(t.stepNumber(), t.metrics());
            }
            int last = steps.lastKey();
            assertEquals(done.metrics().orElseThrow().get("steps").intValue(), last);
            assertTrue(last >= 10, "an evaluation after every step: " + last);
            // the newest three, and the best wherever it is
            List<Integer> keptSteps = kept.stream().map(KeptCheckpoint::step).toList();
            assertTrue(keptSteps.containsAll(List.of(last - 2, last - 1, last)), keptSteps.toString());
            assertEquals(1, kept.stream().filter(KeptCheckpoint::best).count(), kept.toString());
            KeptCheckpoint best = kept.stream().filter(KeptCheckpoint::best).findFirst().orElseThrow();
            assertTrue(kept.size() == 3 || kept.size() == 4 && best.step() < last - 2, keptSteps.toString());
            // the best: the lowest eval cross-entropy of the run (the watched metric)
            int bestStep = steps.entrySet().stream().filter(e -> e.getKey() > 0)
                    .min(java.util.Comparator.comparingDouble(e -> e.getValue().get("eval_cross_entropy"))).orElseThrow().getKey();
            assertEquals(bestStep, best.step());
            for (KeptCheckpoint k : kept) {
                assertEquals(steps.get(k.step()), k.metrics());
            }

            // exported, the best is the finished model, weight for weight
            Path out = co.finetuning().exportCheckpoint(id, best.step(), dir.resolve("export"));
            assertArrayEquals(GPT2Checkpoint.load(co.finetuning().modelFolder(id)).parameters(), GPT2Checkpoint.load(out).parameters());
            assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));

            // served under its own name; an unknown step is not found
            var answer = co.chat(ChatRequest.builder().model(best.modelName(id)).messages(List.of(ChatMessage.user("hello there!")))
                    .temperature(0f).maxTokens(5).build());
            assertTrue(answer.usage().tokens().outputTokens() >= 1);
            assertThrows(NotFoundException.class, () -> co.finetuning().exportCheckpoint(id, 999, dir.resolve("x")));
        }
    }
}
