package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Estimate;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.Strategy;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.workspace.ModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The estimate against the run it estimates: the same steps and trained tokens as the trainer then
 * counts in its own steps, a job estimate with an estimated finish, results.csv equal to the step
 * metrics, and a run that cannot fit the heap refused before its first step.
 */
public class EstimateTest {
    private static String burst;

    @BeforeAll
    static void shortBurst() {
        burst = System.getProperty("finetune.estimateBurstSeconds");
        System.setProperty("finetune.estimateBurstSeconds", "0.3"); // the tiny runs here: a few steps is plenty
    }

    @AfterAll
    static void restore() {
        if (burst == null) {
            System.clearProperty("finetune.estimateBurstSeconds");
        } else {
            System.setProperty("finetune.estimateBurstSeconds", burst);
        }
    }

    static FinetunedModel request(BaseType type, Path base, Dataset d, Hyperparameters hp) {
        return FinetunedModel.builder().name("est").settings(Settings.builder().baseModel(BaseModel.of(type, base.toString()))
                .datasetId(d.id()).hyperparameters(hp).build()).build();
    }

    static void estimateEqualsTheRun(ClientV2 co, FinetunedModel req) throws Exception {
        Estimate e = co.finetuning().estimate(req);
        assertTrue(e.seconds().orElseThrow() > 0 && e.measuredSteps() >= 2, e.toString());
        assertTrue(e.fits() && e.peakMemoryBytes() > 0, e.toString());
        FinetunedModel done = co.wait(co.finetuning().createFinetunedModel(req), WaitOptions.timeout(Duration.ofSeconds(300))
                .interval(Duration.ofMillis(50)));
        assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
        Map<String, Double> m = done.metrics().orElseThrow();
        assertEquals(e.steps(), m.get("steps").intValue(), m.toString());
        assertEquals(e.trainedTokens(), m.get("trained_tokens").longValue(), m.toString());
        assertEquals(e.evalExamples(), m.get("eval_examples").intValue());
        String id = done.id().orElseThrow();

        // the job's own estimate: the same counts, and a finish time from its pace
        Estimate job = co.finetuning().jobEstimate(id).orElseThrow();
        assertEquals(e.steps(), job.steps());
        assertEquals(e.trainedTokens(), job.trainedTokens());
        assertEquals(e.peakMemoryBytes(), job.peakMemoryBytes());
        assertTrue(job.estimatedFinish().isPresent() && job.secondsPerStep().orElseThrow() > 0, job.toString());

        // results.csv: one row per training step, equal to the step metrics
        List<String> rows = Files.readAllLines(co.finetuning().modelFolder(id).resolve(ModelFiles.RESULTS));
        assertEquals(ResultsCsv.HEADER, rows.get(0));
        TreeMap<Integer, Map<String, Double>> steps = new TreeMap<>();
        for (TrainingStepMetrics t : co.finetuning().listTrainingStepMetrics(id, dev.finetune.finetuning.ListTrainingStepMetricsRequest
                .builder().pageSize(1000).build()).stepMetrics()) {
            if (t.stepNumber() > 0) {
                steps.put(t.stepNumber(), t.metrics());
            }
        }
        assertEquals(e.steps(), steps.size());
        assertEquals(steps.size() + 1, rows.size());
        int r = 1;
        for (Map.Entry<Integer, Map<String, Double>> s : steps.entrySet()) {
            String[] cells = rows.get(r++).split(",", -1);
            Map<String, Double> mm = s.getValue();
            assertEquals(s.getKey(), Integer.parseInt(cells[0]));
            assertEquals(mm.get("train_loss"), Double.parseDouble(cells[1]));
            assertEquals("", cells[2]);
            Double valid = mm.containsKey("eval_cross_entropy") ? mm.get("eval_cross_entropy") : mm.get("eval_loss");
            Double acc = mm.containsKey("eval_accuracy") ? mm.get("eval_accuracy") : mm.get("eval_accuracy@1");
            assertEquals(valid == null ? "" : Double.toString(valid), cells[3]);
            assertEquals(acc == null ? "" : Double.toString(acc), cells[4]);
        }
    }

    @Test
    void aChatEstimateCountsTheStepsAndTokensTheLoraRunThenTrains(@TempDir Path dir) throws Exception {
        Path base = LocalTrainingTest.baseFolder(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = TaskFinetuneTest.upload(co, LocalTrainingTest.chatFile(dir), DatasetType.CHAT_FINETUNE_INPUT);
            estimateEqualsTheRun(co, request(BaseType.BASE_TYPE_CHAT, base, d, Hyperparameters.builder().trainEpochs(3)
                    .trainBatchSize(5).earlyStoppingPatience(0).seed(11).build()));
        }
    }

    @Test
    void aClassifyEstimateCountsTheStepsAndTokensTheRunThenTrains(@TempDir Path dir) throws Exception {
        Path base = TaskFinetuneTest.tinyBase(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = TaskFinetuneTest.upload(co, TaskFinetuneTest.singleLabelFile(dir),
                    DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT);
            estimateEqualsTheRun(co, request(BaseType.BASE_TYPE_CLASSIFICATION, base, d, Hyperparameters.builder().trainEpochs(2)
                    .trainBatchSize(16).earlyStoppingPatience(0).build()));
        }
    }

    @Test
    void aRerankEstimateCountsTheStepsAndTokensOfItsSampledGroups(@TempDir Path dir) throws Exception {
        Path base = TaskFinetuneTest.tinyBase(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = TaskFinetuneTest.upload(co, TaskFinetuneTest.rerankFile(dir), DatasetType.RERANKER_FINETUNE_INPUT);
            estimateEqualsTheRun(co, request(BaseType.BASE_TYPE_RERANK, base, d, Hyperparameters.builder().trainEpochs(1)
                    .trainBatchSize(16).strategy(Strategy.STRATEGY_FULL).earlyStoppingPatience(0).build()));
        }
    }

    @Test
    void aRunThatCannotFitTheHeapFailsBeforeTrainingWithWhatItNeeds(@TempDir Path dir) throws Exception {
        Path base = LocalTrainingTest.baseFolder(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).trainingBackend(new LocalTrainingBackend(1 << 20))
                .build()) {
            Dataset d = TaskFinetuneTest.upload(co, LocalTrainingTest.chatFile(dir), DatasetType.CHAT_FINETUNE_INPUT);
            FinetunedModel req = request(BaseType.BASE_TYPE_CHAT, base, d, Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL)
                    .trainEpochs(1).build());
            Estimate e = co.finetuning().estimate(req);
            assertTrue(!e.fits() && e.seconds().isEmpty() && e.peakMemoryBytes() > 1 << 20, e.toString());
            FinetunedModel created = co.finetuning().createFinetunedModel(req).finetunedModel();
            FinetunedModel done = assertThrows(dev.finetune.finetuning.FinetuningFailedException.class, () -> co.wait(created,
                    WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)))).finetunedModel();
            assertEquals(Status.STATUS_FAILED, done.status().orElseThrow());
            String reason = done.failureReason().orElseThrow();
            assertTrue(reason.contains("needs about " + RunEstimator.mib(e.peakMemoryBytes())) && reason.contains("-Xmx"), reason);
            assertTrue(co.finetuning().listTrainingStepMetrics(done.id().orElseThrow()).stepMetrics().isEmpty(), "no step ran");
        }
    }
}
