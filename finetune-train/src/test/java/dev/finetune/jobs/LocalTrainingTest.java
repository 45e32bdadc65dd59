package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
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
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.template.ChatTemplate;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class LocalTrainingTest {
    static final String CORPUS = "what is the capital of france? paris. what is two plus two? four. hello there! hi.\n".repeat(30);

    public static Path baseFolder(Path dir) {
        ByteLevelBpe bpe = BpeTrainer.train(CORPUS, 320, ChatTemplate.SPECIAL_TOKENS);
        GPT2 m = GPT2.randomInit(GPT2Config.of(bpe.vocabSize(), 64, 32, 2, 2), 5, 0.05f);
        Path f = dir.resolve("tiny-base");
        GPT2Checkpoint.save(m, f);
        BpeFiles.save(bpe, f);
        return f;
    }

    public static Path chatFile(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        String[][] qa = {{"what is the capital of france?", "paris."}, {"what is two plus two?", "four."}, {"hello there!", "hi."}};
        for (int i = 0; i < 12; i++) {
            String[] p = qa[i % 3];
            lines.add("{\"messages\":[{\"role\":\"User\",\"content\":\"" + p[0] + " (" + i + ")\"},{\"role\":\"Chatbot\",\"content\":\""
                    + p[1] + "\"}]}");
        }
        Path f = dir.resolve("chat.jsonl");
        Files.write(f, lines);
        return f;
    }

    @Test
    void aFullFineTuneLowersTheEvalLossAndAnswersAsIdFt(@TempDir Path dir) throws IOException {
        Path base = baseFolder(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = co.wait(co.datasets().create(chatFile(dir), Optional.empty(), DatasetsCreateRequest.builder().name("qa")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
            FinetunedModel req = FinetunedModel.builder().name("qa").settings(Settings.builder()
                    .baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString())).datasetId(d.id())
                    .hyperparameters(Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL).trainEpochs(10)
                            .trainBatchSize(4).learningRate(0.01).earlyStoppingPatience(0).build()).build()).build();
            FinetunedModel done = co.wait(co.finetuning().createFinetunedModel(req), WaitOptions.timeout(Duration.ofSeconds(120)).interval(Duration.ofMillis(50)));
            assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
            Map<String, Double> m = done.metrics().orElseThrow();
            assertTrue(m.get("cross_entropy") < m.get("baseline_cross_entropy") - 1.0, m.toString());
            String id = done.id().orElseThrow();
            var steps = co.finetuning().listTrainingStepMetrics(id).stepMetrics();
            assertTrue(steps.size() > 5);
            // every training step reports its padding share and its pace in the examples' own tokens
            for (var st : steps) {
                if (st.stepNumber() > 0) {
                    double share = st.metrics().get("padding_share");
                    assertTrue(share >= 0 && share < 1, st.toString());
                    assertTrue(st.metrics().get("tokens_per_second") > 0, st.toString());
                }
            }
            try (var files = Files.list(co.finetuning().modelFolder(id).resolve("tensorboard"))) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("events.out.tfevents.")));
            }
            var answer = co.chat(ChatRequest.builder().model(id + "-ft").messages(List.of(ChatMessage.user("hello there!")))
                    .temperature(0f).maxTokens(10).build());
            assertTrue(answer.usage().tokens().outputTokens() >= 1);
        }
    }

    /** A stand-in context that cancels after a number of steps (a crash between checkpoints, then a restart). */
    /** The language-model task over {@code train} (no eval part: it evaluates on train). */
    static Task lm(GPT2 model, List<ChatTemplate.Example> train, Hyperparameters hp) {
        return new LanguageModelTask(model, train, List.of(), hp.batchSize());
    }

    static class StopAfter implements TrainingBackend.Context {
        final int stopAt;
        int steps;

        StopAfter(int stopAt) {
            this.stopAt = stopAt;
        }

        @Override
        public void event(String message) {
        }

        @Override
        public void stepMetrics(int step, Map<String, Double> metrics) {
            steps = Math.max(steps, step);
        }

        @Override
        public void progress(int step, int total, String detail) {
        }

        @Override
        public boolean cancelled() {
            return steps >= stopAt;
        }

        @Override
        public Status status() {
            return Status.STATUS_FINETUNING;
        }
    }

    @Test
    void aResumedRunEndsWithTheSameWeightsBitForBit(@TempDir Path dir) throws IOException {
        Path base = baseFolder(dir);
        ByteLevelBpe bpe = BpeFiles.load(base);
        ChatTemplate t = new ChatTemplate(bpe, dev.finetune.basemodels.BaseModels.templateIds(bpe).orElseThrow());
        List<ChatTemplate.Example> train = TrainingData.chat(chatFile(dir), t, 65);
        Hyperparameters hp = Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL).trainEpochs(4).trainBatchSize(4)
                .learningRate(0.005).earlyStoppingPatience(0).seed(3).build();
        Path a = Files.createDirectories(dir.resolve("a"));
        GPT2 straight = GPT2Checkpoint.load(base);
        TrainerLoop.fit(straight, null, -1, -1, lm(straight, train, hp), hp, a, new StopAfter(Integer.MAX_VALUE));

        Path b = Files.createDirectories(dir.resolve("b"));
        GPT2 first = GPT2Checkpoint.load(base);
        // 12 steps in all, evaluations (and checkpoints) every step: stop after 5, then resume in a fresh model
        TrainerLoop.fit(first, null, -1, -1, lm(first, train, hp), hp, b, new StopAfter(5));
        GPT2 resumed = GPT2Checkpoint.load(base);
        TrainerLoop.fit(resumed, null, -1, -1, lm(resumed, train, hp), hp, b, new StopAfter(Integer.MAX_VALUE));
        assertArrayEquals(straight.parameters(), resumed.parameters());
    }

    @Test
    void loraTrainsOnlyTheAdapterAndResumesBitForBit(@TempDir Path dir) throws IOException {
        Path base = baseFolder(dir);
        ByteLevelBpe bpe = BpeFiles.load(base);
        ChatTemplate t = new ChatTemplate(bpe, dev.finetune.basemodels.BaseModels.templateIds(bpe).orElseThrow());
        List<ChatTemplate.Example> train = TrainingData.chat(chatFile(dir), t, 65);
        Hyperparameters hp = Hyperparameters.builder().trainEpochs(8).trainBatchSize(4).learningRate(0.01)
                .loraRank(4).loraAlpha(16).earlyStoppingPatience(0).seed(2)
                .loraTargetModules(dev.finetune.finetuning.LoraTargetModules.LORA_TARGET_MODULES_QKVO_FFN).build();
        GPT2 model = GPT2Checkpoint.load(base);
        float[] before = model.parameters().clone();
        dev.finetune.lora.LoraAdapter lora = new dev.finetune.lora.LoraAdapter(model.config(), 4, 16,
                dev.finetune.lora.LoraAdapter.Targets.QKVO_FFN, 2);
        Path a = Files.createDirectories(dir.resolve("a"));
        TrainingBackend.Outcome out = TrainerLoop.fit(model, lora, -1, -1, lm(model, train, hp), hp, a, new StopAfter(Integer.MAX_VALUE));
        assertArrayEquals(before, model.parameters(), "LoRA must not touch the base weights");
        assertTrue(out.metrics().get("cross_entropy") < out.metrics().get("baseline_cross_entropy") - 0.5, out.metrics().toString());

        GPT2 m2 = GPT2Checkpoint.load(base);
        dev.finetune.lora.LoraAdapter l2 = new dev.finetune.lora.LoraAdapter(m2.config(), 4, 16,
                dev.finetune.lora.LoraAdapter.Targets.QKVO_FFN, 2);
        Path b = Files.createDirectories(dir.resolve("b"));
        TrainerLoop.fit(m2, l2, -1, -1, lm(m2, train, hp), hp, b, new StopAfter(7));
        GPT2 m3 = GPT2Checkpoint.load(base);
        dev.finetune.lora.LoraAdapter l3 = new dev.finetune.lora.LoraAdapter(m3.config(), 4, 16,
                dev.finetune.lora.LoraAdapter.Targets.QKVO_FFN, 2);
        TrainerLoop.fit(m3, l3, -1, -1, lm(m3, train, hp), hp, b, new StopAfter(Integer.MAX_VALUE));
        assertArrayEquals(lora.parameters(), l3.parameters());
    }

    @Test
    void underLoraTheTemplateTokenRowsTrainAndNothingElseOfTheBase(@TempDir Path dir) throws IOException {
        Path base = baseFolder(dir);
        ByteLevelBpe bpe = BpeFiles.load(base);
        ChatTemplate t = new ChatTemplate(bpe, dev.finetune.basemodels.BaseModels.templateIds(bpe).orElseThrow());
        List<ChatTemplate.Example> train = TrainingData.chat(chatFile(dir), t, 65);
        Hyperparameters hp = Hyperparameters.builder().trainEpochs(3).trainBatchSize(4).learningRate(0.01).earlyStoppingPatience(0)
                .build();
        GPT2 model = GPT2Checkpoint.load(base);
        float[] before = model.parameters().clone();
        int from = bpe.specialTokenId(ChatTemplate.BOS);
        int to = bpe.specialTokenId(ChatTemplate.CHATBOT) + 1;
        dev.finetune.lora.LoraAdapter lora = new dev.finetune.lora.LoraAdapter(model.config(), 4, 16,
                dev.finetune.lora.LoraAdapter.Targets.QV, 1);
        TrainerLoop.fit(model, lora, from, to, lm(model, train, hp), hp, Files.createDirectories(dir.resolve("a")),
                new StopAfter(Integer.MAX_VALUE));
        int C = model.config().channels();
        int wte = model.tensor("wte.weight").offset();
        float[] after = model.parameters();
        boolean rowsMoved = false;
        for (int i = 0; i < after.length; i++) {
            boolean templateRow = i >= wte + from * C && i < wte + to * C;
            if (templateRow) {
                rowsMoved |= after[i] != before[i];
            } else {
                assertEquals(before[i], after[i], 0f, "base weight " + i + " changed under LoRA");
            }
        }
        assertTrue(rowsMoved, "the template tokens' embedding rows did not train");
    }

    @Test
    void aBaseWithoutTheTemplateGetsItsTokensAsNewRows(@TempDir Path dir) throws IOException {
        ByteLevelBpe plain = BpeTrainer.train(CORPUS, 300, List.of("<|endoftext|>"));
        GPT2 m = GPT2.randomInit(GPT2Config.of(plain.vocabSize(), 64, 32, 2, 2), 5, 0.05f);
        Path base = dir.resolve("plain-base");
        GPT2Checkpoint.save(m, base);
        BpeFiles.save(plain, base);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = co.wait(co.datasets().create(chatFile(dir), Optional.empty(), DatasetsCreateRequest.builder().name("qa")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
            FinetunedModel done = co.wait(co.finetuning().createFinetunedModel(FinetunedModel.builder().name("qa")
                    .settings(Settings.builder().baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString())).datasetId(d.id())
                            .hyperparameters(Hyperparameters.builder().trainEpochs(2).trainBatchSize(4).build()).build()).build()), WaitOptions.timeout(Duration.ofSeconds(120)).interval(Duration.ofMillis(50)));
            assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
            Path served = co.finetuning().modelFolder(done.id().orElseThrow());
            assertEquals(plain.vocabSize() + ChatTemplate.SPECIAL_TOKENS.size() - 1, GPT2Checkpoint.load(served).config().vocabSize());
            assertTrue(dev.finetune.basemodels.BaseModels.templateIds(BpeFiles.load(served)).isPresent());
            assertTrue(Files.exists(served.resolve("adapter_embeddings.safetensors")));
            assertTrue(co.finetuning().listEvents(done.id().orElseThrow()).events().stream()
                    .anyMatch(e -> e.message().orElse("").contains("added 5 chat template tokens")));
            co.chat(ChatRequest.builder().model(done.id().orElseThrow() + "-ft").messages(List.of(ChatMessage.user("hi")))
                    .maxTokens(3).build());
        }
    }
}
