package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.BadRequestException;
import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.classify.Classification;
import dev.finetune.classify.ClassifyRequest;
import dev.finetune.classify.ClassifyResponse;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.Strategy;
import dev.finetune.heads.TaskHead;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.rerank.RerankRequest;
import dev.finetune.rerank.RerankResponse;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.BpeTrainer;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rerank and classify fine-tunes end to end on a tiny base with datasets made here: the documented
 * metrics before and after, the head saved beside the weights, the endpoints' answers.
 */
public class TaskFinetuneTest {
    static final String[] WORDS = {"apple", "river", "stone", "cloud", "tiger", "piano", "lemon", "candle"};

    public static Path tinyBase(Path dir) {
        StringBuilder corpus = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            for (String w : WORDS) {
                corpus.append("where is the ").append(w).append("? the ").append(w).append(" is here. ")
                        .append("i love this ").append(w).append(". i hate this ").append(w).append(". red blue green ");
            }
        }
        ByteLevelBpe bpe = BpeTrainer.train(corpus.toString(), 300, List.of("<|endoftext|>"));
        GPT2 m = GPT2.randomInit(GPT2Config.of(bpe.vocabSize(), 64, 48, 2, 2), 7, 0.05f);
        Path f = dir.resolve("tiny-base");
        GPT2Checkpoint.save(m, f);
        BpeFiles.save(bpe, f);
        return f;
    }

    /** 300 queries "where is the W? (i)": relevant "the W is here.", hard negatives about other words. */
    public static Path rerankFile(Path dir) throws IOException {
        Random r = new Random(3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String w = WORDS[i % WORDS.length];
            List<String> negs = new ArrayList<>();
            while (negs.size() < 3) {
                String o = WORDS[r.nextInt(WORDS.length)];
                if (!o.equals(w) && !negs.contains("the " + o + " is here.")) {
                    negs.add("the " + o + " is here.");
                }
            }
            lines.add("{\"query\":\"where is the " + w + "? (" + i + ")\",\"relevant_passages\":[\"the " + w
                    + " is here.\"],\"hard_negatives\":[\"" + String.join("\",\"", negs) + "\"]}");
        }
        Path f = dir.resolve("rerank.jsonl");
        Files.write(f, lines);
        return f;
    }

    static Dataset upload(ClientV2 co, Path file, DatasetType type) {
        return co.wait(co.datasets().create(file, Optional.empty(), DatasetsCreateRequest.builder().name(type.toString())
                .type(type).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
    }

    static FinetunedModel train(ClientV2 co, Path base, BaseType type, Dataset d, Hyperparameters hp) {
        FinetunedModel req = FinetunedModel.builder().name(type.toString().toLowerCase()).settings(Settings.builder()
                .baseModel(BaseModel.of(type, base.toString())).datasetId(d.id()).hyperparameters(hp).build()).build();
        FinetunedModel done = co.wait(co.finetuning().createFinetunedModel(req), WaitOptions.timeout(Duration.ofSeconds(300)).interval(Duration.ofMillis(50)));
        assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
        return done;
    }

    @Test
    void aRerankFineTuneLearnsToRankAndAnswersRerank(@TempDir Path dir) throws IOException {
        Path base = tinyBase(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = upload(co, rerankFile(dir), DatasetType.RERANKER_FINETUNE_INPUT);
            FinetunedModel done = train(co, base, BaseType.BASE_TYPE_RERANK, d, Hyperparameters.builder()
                    .strategy(Strategy.STRATEGY_FULL).trainEpochs(10).trainBatchSize(16).learningRate(0.003)
                    .earlyStoppingPatience(0).build());
            Map<String, Double> m = done.metrics().orElseThrow();
            System.out.println("rerank " + m);
            for (String k : List.of("accuracy@1", "accuracy@3", "mrr@10", "ndcg@10", "loss")) {
                assertTrue(m.containsKey(k) && m.containsKey("baseline_" + k), k + " in " + m);
            }
            assertTrue(m.get("mrr@10") > m.get("baseline_mrr@10") + 0.2, m.toString());
            String id = done.id().orElseThrow();
            assertTrue(Files.isRegularFile(co.finetuning().modelFolder(id).resolve(TaskHead.FILE)));
            RerankResponse r = co.rerank(RerankRequest.builder().model(id + "-ft").query("where is the piano?")
                    .documents(List.of("the tiger is here.", "the lemon is here.", "the piano is here.", "the stone is here."))
                    .topN(3).build());
            assertEquals(3, r.results().size());
            assertEquals(2, r.results().get(0).index(), r.toString());
            for (int i = 0; i < r.results().size(); i++) {
                double s = r.results().get(i).relevanceScore();
                assertTrue(s >= 0 && s <= 1, r.toString());
                if (i > 0) {
                    assertTrue(s <= r.results().get(i - 1).relevanceScore(), r.toString());
                }
            }
            assertThrows(BadRequestException.class, () -> co.classify(ClassifyRequest.of(id + "-ft", List.of("x"))));
        }
    }

    /** Single-label: "i love this W." positive, "i hate this W." negative, "W red blue." other. */
    public static Path singleLabelFile(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        String[][] kinds = {{"i love this %s. (%d)", "positive"}, {"i hate this %s. (%d)", "negative"}, {"%s red blue. (%d)", "other"}};
        for (int i = 0; i < 120; i++) {
            String[] k = kinds[i % 3];
            lines.add("{\"text\":\"" + String.format(k[0], WORDS[(i / 3) % WORDS.length], i) + "\",\"label\":\"" + k[1] + "\"}");
        }
        Path f = dir.resolve("single.jsonl");
        Files.write(f, lines);
        return f;
    }

    /** Multi-label: the colour words a text holds are its labels. */
    public static Path multiLabelFile(Path dir) throws IOException {
        Random r = new Random(4);
        String[] colours = {"red", "blue", "green"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            List<String> words = new ArrayList<>(List.of(WORDS[r.nextInt(WORDS.length)], WORDS[r.nextInt(WORDS.length)]));
            List<String> labels = new ArrayList<>();
            for (String c : colours) {
                if (r.nextBoolean()) {
                    labels.add(c);
                    words.add(r.nextInt(words.size() + 1), c);
                }
            }
            if (labels.isEmpty()) {
                labels.add("blue");
                words.add("blue");
            }
            lines.add("{\"text\":\"" + String.join(" ", words) + " (" + i + ")\",\"label\":[\"" + String.join("\",\"", labels) + "\"]}");
        }
        Path f = dir.resolve("multi.jsonl");
        Files.write(f, lines);
        return f;
    }

    @Test
    void aSingleLabelClassifyFineTuneUnderLoraTrainsItsHeadAndAnswersClassify(@TempDir Path dir) throws IOException {
        Path base = tinyBase(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = upload(co, singleLabelFile(dir), DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT);
            FinetunedModel done = train(co, base, BaseType.BASE_TYPE_CLASSIFICATION, d, Hyperparameters.builder()
                    .trainEpochs(10).trainBatchSize(8).learningRate(0.01).earlyStoppingPatience(0).build());
            Map<String, Double> m = done.metrics().orElseThrow();
            System.out.println("single-label " + m);
            for (String k : List.of("accuracy", "precision", "recall", "f1", "loss")) {
                assertTrue(m.containsKey(k) && m.containsKey("baseline_" + k), k + " in " + m);
            }
            assertTrue(m.get("accuracy") >= 0.9 && m.get("accuracy") > m.get("baseline_accuracy") + 0.3, m.toString());
            assertTrue(m.get("f1") >= 0.9, m.toString());
            String id = done.id().orElseThrow();
            Path modelDir = co.finetuning().modelFolder(id);
            // LoRA: the adapter and the head are saved; the head is not the untrained one
            assertTrue(Files.isRegularFile(modelDir.resolve("adapter_model.safetensors")));
            com.fasterxml.jackson.databind.JsonNode peft = dev.finetune.json.Json.reader()
                    .readTree(Files.readString(modelDir.resolve("adapter_config.json")));
            assertEquals("head", peft.path("modules_to_save").path(0).asText(), peft.toString());
            assertEquals("LORA", peft.path("peft_type").asText());
            assertEquals("SEQ_CLS", peft.path("task_type").asText());
            TaskHead saved = TaskHead.load(modelDir).orElseThrow();
            TaskHead untrained = TaskHead.classify(48, saved.labels(), false, saved.maxTokens(), saved.endToken(), 0);
            assertEquals(List.of("negative", "other", "positive"), saved.labels());
            assertFalse(java.util.Arrays.equals(untrained.linear().parameters(), saved.linear().parameters()));

            ClassifyResponse r = co.classify(ClassifyRequest.of(id + "-ft", List.of("i love this lemon.", "i hate this tiger.",
                    "cloud red blue.")));
            assertEquals(3, r.classifications().size());
            assertEquals(List.of("positive", "negative", "other"),
                    r.classifications().stream().map(c -> c.prediction().orElseThrow()).toList(), r.toString());
            for (Classification c : r.classifications()) {
                assertEquals("single-label", c.classificationType());
                double sum = c.labels().values().stream().mapToDouble(Classification.LabelConfidence::confidence).sum();
                assertEquals(1.0, sum, 1e-9);
                assertEquals(c.confidence().orElseThrow(), c.labels().get(c.prediction().orElseThrow()).confidence());
                assertEquals(List.of(c.prediction().orElseThrow()), c.predictions());
            }
            assertThrows(BadRequestException.class, () -> co.rerank(RerankRequest.builder().model(id + "-ft").query("q")
                    .documents(List.of("d")).build()));
        }
    }

    @Test
    void aMultiLabelClassifyFineTunePredictsEveryLabelItSees(@TempDir Path dir) throws IOException {
        Path base = tinyBase(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = upload(co, multiLabelFile(dir), DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT);
            FinetunedModel done = train(co, base, BaseType.BASE_TYPE_CLASSIFICATION, d, Hyperparameters.builder()
                    .strategy(Strategy.STRATEGY_FULL).trainEpochs(10).trainBatchSize(8).learningRate(0.003)
                    .earlyStoppingPatience(0).build());
            Map<String, Double> m = done.metrics().orElseThrow();
            System.out.println("multi-label " + m);
            assertTrue(m.get("accuracy") >= 0.8 && m.get("accuracy") > m.get("baseline_accuracy") + 0.2, m.toString());
            String id = done.id().orElseThrow();
            ClassifyResponse r = co.classify(ClassifyRequest.of(id + "-ft", List.of("apple red river green", "stone blue")));
            Classification first = r.classifications().get(0);
            assertEquals("multi-label", first.classificationType());
            assertTrue(first.prediction().isEmpty());
            assertEquals(java.util.Set.of("red", "green"), java.util.Set.copyOf(first.predictions()), r.toString());
            assertEquals(List.of("blue"), r.classifications().get(1).predictions(), r.toString());
            for (int i = 0; i < first.predictions().size(); i++) {
                assertTrue(first.confidences().get(i) >= 0.5);
            }
        }
    }

    private static RerankTask rerankTask(GPT2 model, ByteLevelBpe bpe, Path file, long seed) {
        TaskHead head = TaskHead.rerank(model.config().channels(), 64, bpe.specialTokenId("<|endoftext|>"), seed);
        List<RerankTask.Query> q = RerankTask.read(file, bpe, 64);
        return new RerankTask(model, head, q.subList(0, 240), q.subList(280, 300), seed);
    }

    @Test
    void aRerankRunUnderLoraResumesBitForBitHeadIncluded(@TempDir Path dir) throws IOException {
        Path base = tinyBase(dir);
        Path file = rerankFile(dir);
        ByteLevelBpe bpe = BpeFiles.load(base);
        Hyperparameters hp = Hyperparameters.builder().trainEpochs(2).trainBatchSize(8).learningRate(0.02).loraRank(2)
                .earlyStoppingPatience(0).seed(5).build();
        GPT2 m1 = GPT2Checkpoint.load(base);
        dev.finetune.lora.LoraAdapter l1 = new dev.finetune.lora.LoraAdapter(m1.config(), 2, 16, dev.finetune.lora.LoraAdapter.Targets.QV, 5);
        RerankTask t1 = rerankTask(m1, bpe, file, 5);
        float[] headBefore = t1.extraSlices().get(0).values().clone();
        TrainingBackend.Outcome o1 = TrainerLoop.fit(m1, l1, -1, -1, t1, hp, Files.createDirectories(dir.resolve("a")),
                new LocalTrainingTest.StopAfter(Integer.MAX_VALUE));
        assertTrue(o1.metrics().get("mrr@10") > o1.metrics().get("baseline_mrr@10") + 0.2, o1.metrics().toString());
        assertFalse(java.util.Arrays.equals(headBefore, t1.extraSlices().get(0).values()), "the head must train under LoRA");
        assertEquals(60.0, o1.metrics().get("steps"));

        Path b = Files.createDirectories(dir.resolve("b"));
        GPT2 m2 = GPT2Checkpoint.load(base);
        dev.finetune.lora.LoraAdapter l2 = new dev.finetune.lora.LoraAdapter(m2.config(), 2, 16, dev.finetune.lora.LoraAdapter.Targets.QV, 5);
        TrainerLoop.fit(m2, l2, -1, -1, rerankTask(m2, bpe, file, 5), hp, b, new LocalTrainingTest.StopAfter(20));
        GPT2 m3 = GPT2Checkpoint.load(base);
        dev.finetune.lora.LoraAdapter l3 = new dev.finetune.lora.LoraAdapter(m3.config(), 2, 16, dev.finetune.lora.LoraAdapter.Targets.QV, 5);
        RerankTask t3 = rerankTask(m3, bpe, file, 5);
        TrainingBackend.Outcome o3 = TrainerLoop.fit(m3, l3, -1, -1, t3, hp, b, new LocalTrainingTest.StopAfter(Integer.MAX_VALUE));
        org.junit.jupiter.api.Assertions.assertArrayEquals(l1.parameters(), l3.parameters());
        org.junit.jupiter.api.Assertions.assertArrayEquals(t1.extraSlices().get(0).values(), t3.extraSlices().get(0).values());
        assertEquals(o1.metrics(), o3.metrics());
    }

    @Test
    void earlyStoppingEndsARerankRunThatStopsImproving(@TempDir Path dir) throws IOException {
        Path base = tinyBase(dir);
        ByteLevelBpe bpe = BpeFiles.load(base);
        // a learning rate too small to move MRR@10 by the threshold: stops after `patience` evaluations
        Hyperparameters hp = Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL).trainEpochs(10).trainBatchSize(8)
                .learningRate(0.00005).earlyStoppingThreshold(0.1).earlyStoppingPatience(2).seed(1).build();
        GPT2 m = GPT2Checkpoint.load(base);
        List<String> events = new ArrayList<>();
        LocalTrainingTest.StopAfter ctx = new LocalTrainingTest.StopAfter(Integer.MAX_VALUE) {
            @Override
            public void event(String message) {
                events.add(message);
            }
        };
        TrainingBackend.Outcome o = TrainerLoop.fit(m, null, -1, -1, rerankTask(m, bpe, rerankFile(dir), 1), hp,
                Files.createDirectories(dir.resolve("a")), ctx);
        assertTrue(o.metrics().get("steps") < 300, o.metrics().toString());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("early stopping") && e.contains("eval mrr@10")), events.toString());
    }
}
