package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
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
import dev.finetune.json.Json;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.CausalLM;
import dev.finetune.model.CausalLMs;
import dev.finetune.model.Llama;
import dev.finetune.model.LlamaConfig;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.template.ChatTemplate;
import dev.finetune.template.ModelTemplate;
import dev.finetune.template.ReferenceFamilies;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole workflow on a Llama-family base: a tiny random Llama carrying SmolLM2's real tokenizer and
 * chat template, fine-tuned through ClientV2 with LoRA (the default) for chat and for classification,
 * evaluated, saved in PEFT's layout, and served; and the loop resumes bit for bit on it.
 */
class LlamaFinetuneTest {

    /** A 2-layer GQA Llama at SmolLM2's vocabulary, with SmolLM2's tokenizer, template and generation config. */
    static Path tinyLlama(Path dir) throws IOException {
        Path base = dir.resolve("tiny-llama");
        LlamaConfig cfg = LlamaConfig.of(49152, 96, 32, 64, 2, 4, 2);
        CausalLMs.save(Llama.randomInit(cfg, 5, 0.02f), base);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(ReferenceFamilies.dir("smollm2").resolve(f), base.resolve(f));
        }
        return base;
    }

    /** {@link #tinyLlama} saved in BF16, as SmolLM2 and most Hub checkpoints are. */
    static Path tinyBf16Llama(Path dir) throws IOException {
        Path base = tinyLlama(dir.resolve("f32"));
        Path bf16 = dir.resolve("tiny-llama-bf16");
        dev.finetune.model.LlamaCheckpoint.save((Llama) CausalLMs.load(base), bf16, dev.finetune.safetensors.DType.BF16);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(base.resolve(f), bf16.resolve(f));
        }
        return bf16;
    }

    /**
     * LoRA on a BF16 base held frozen in BF16 trains, step for step, the adapter the float copy of the same base
     * trains (bit for bit), and the whole workflow on such a base ends in a merged BF16 model that answers.
     */
    @Test
    void loraOnABf16BaseHeldInBf16TrainsTheFloatBasesAdapterAndAnswers(@TempDir Path dir) throws Exception {
        Path base = tinyBf16Llama(dir);
        assertTrue(dev.finetune.model.LlamaCheckpoint.matricesAreBf16(base));
        List<ChatTemplate.Example> train = chatExamples(base, dir);
        CausalLM widened = CausalLMs.load(base);
        Llama frozen = dev.finetune.model.LlamaCheckpoint.loadFrozenBf16(base);
        assertTrue(frozen.isFrozenBf16());
        LoraAdapter a1 = fitLora(widened, train, Files.createDirectories(dir.resolve("a")), Integer.MAX_VALUE);
        LoraAdapter a2 = fitLora(frozen, train, Files.createDirectories(dir.resolve("b")), Integer.MAX_VALUE);
        assertArrayEquals(a1.parameters(), a2.parameters());
        assertFalse(java.util.Arrays.equals(a1.parameters(), new LoraAdapter(widened, 4, 8,
                LoraAdapter.Targets.QKVO_FFN, 3).parameters()), "the adapter trained");

        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            FinetunedModel done = chatFineTune(co, base, dir);
            Map<String, Double> m = done.metrics().orElseThrow();
            assertTrue(m.get("cross_entropy") < m.get("baseline_cross_entropy"), m.toString());
            String id = done.id().orElseThrow();
            String events = co.finetuning().listEvents(id).toString();
            assertTrue(events.contains("the frozen base stays in BF16"), events);
            Path folder = co.finetuning().modelFolder(id);
            // merged in float and saved in the base's dtype
            assertTrue(dev.finetune.model.LlamaCheckpoint.matricesAreBf16(folder));
            ChatResponse r = co.chat(ChatRequest.builder().model(id + "-ft").messages(List.of(ChatMessage.user("hello there!")))
                    .temperature(0f).maxTokens(8).build());
            assertFalse(r.text().contains("<|im_"), r.text());
        }
    }

    /** The test chat file's conversations through the base folder's own template. */
    static List<ChatTemplate.Example> chatExamples(Path base, Path dir) throws IOException {
        ByteLevelBpe bpe = BpeFiles.load(base);
        ModelTemplate t = ModelTemplate.load(base, bpe).orElseThrow();
        return dev.finetune.template.ConversationExamples.read(LocalTrainingTest.chatFile(dir), t, 97, 0).examples();
    }

    /** LoRA (rank 4, alpha 8, every linear layer, seed 3) on {@code model} by the trainer loop, 2 epochs, stopping at {@code stopAt}. */
    static LoraAdapter fitLora(CausalLM model, List<ChatTemplate.Example> train, Path out, int stopAt) throws Exception {
        Hyperparameters hp = Hyperparameters.builder().trainEpochs(2).trainBatchSize(4).learningRate(0.01)
                .earlyStoppingPatience(0).seed(3).build();
        LoraAdapter a = new LoraAdapter(model, 4, 8, LoraAdapter.Targets.QKVO_FFN, 3);
        TrainerLoop.fit(model, a, -1, -1, new LanguageModelTask(model, train, List.of(), 4), hp, out,
                new LocalTrainingTest.StopAfter(stopAt));
        return a;
    }

    /** The chat fine-tune both chat tests run (LoRA, 3 epochs of the test chat file), checked READY. */
    static FinetunedModel chatFineTune(ClientV2 co, Path base, Path dir) throws IOException {
        Dataset d = upload(co, LocalTrainingTest.chatFile(dir), DatasetType.CHAT_FINETUNE_INPUT);
        FinetunedModel done = train(co, base, BaseType.BASE_TYPE_CHAT, d, Hyperparameters.builder().trainEpochs(3)
                .trainBatchSize(4).learningRate(0.01).earlyStoppingPatience(0).build());
        assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
        return done;
    }

    static Dataset upload(ClientV2 co, Path file, DatasetType type) {
        return co.wait(co.datasets().create(file, Optional.empty(), DatasetsCreateRequest.builder().name(type.toString())
                .type(type).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
    }

    static FinetunedModel train(ClientV2 co, Path base, BaseType type, Dataset d, Hyperparameters hp) {
        FinetunedModel req = FinetunedModel.builder().name(type.toString().toLowerCase()).settings(Settings.builder()
                .baseModel(BaseModel.of(type, base.toString())).datasetId(d.id()).hyperparameters(hp).build()).build();
        return co.wait(co.finetuning().createFinetunedModel(req), WaitOptions.timeout(Duration.ofSeconds(300)).interval(Duration.ofMillis(50)));
    }

    @Test
    void aLoraChatFineTuneOfALlamaLowersTheEvalLossSavesPeftAndAnswers(@TempDir Path dir) throws Exception {
        Path base = tinyLlama(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            FinetunedModel done = chatFineTune(co, base, dir);
            Map<String, Double> m = done.metrics().orElseThrow();
            // lower, and by more than the noise of the eval set: the paired interval of the change excludes 0
            assertTrue(m.get("cross_entropy") < m.get("baseline_cross_entropy"), m.toString());
            assertEquals(1.0, m.get("cross_entropy_change_verdict"), m.toString());
            String id = done.id().orElseThrow();
            Path folder = co.finetuning().modelFolder(id);
            // PEFT's layout: the config names the HF modules, the weights use PEFT's keys
            var config = Json.reader().readTree(Files.readString(folder.resolve(LoraAdapter.CONFIG_FILE)));
            assertEquals("[\"q_proj\",\"v_proj\"]", config.get("target_modules").toString());
            try (SafetensorsReader r = SafetensorsReader.open(folder.resolve(LoraAdapter.WEIGHTS_FILE))) {
                assertTrue(r.find("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").isPresent());
                assertTrue(r.find("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").isPresent());
            }
            // the merged model is a Llama folder again, and serves through the KV-cached decoder
            assertEquals("llama", CausalLMs.family(folder));
            ChatResponse r = co.chat(ChatRequest.builder().model(id + "-ft").messages(List.of(ChatMessage.user("hello there!")))
                    .temperature(0f).maxTokens(8).returnPrompt(true).build());
            assertTrue(r.prompt().orElseThrow().endsWith("<|im_start|>assistant\n"), r.prompt().orElseThrow());
            assertFalse(r.text().contains("<|im_"), r.text());
        }
    }

    @Test
    void aLlamaClassifierTrainsItsHeadAndAnswers(@TempDir Path dir) throws Exception {
        Path base = tinyLlama(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = upload(co, TaskFinetuneTest.singleLabelFile(dir), DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT);
            FinetunedModel done = train(co, base, BaseType.BASE_TYPE_CLASSIFICATION, d, Hyperparameters.builder().trainEpochs(3)
                    .trainBatchSize(8).learningRate(0.01).earlyStoppingPatience(0).build());
            assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
            Map<String, Double> m = done.metrics().orElseThrow();
            assertTrue(m.get("loss") < m.get("baseline_loss"), m.toString());
            ClassifyResponse c = co.classify(ClassifyRequest.of(done.id().orElseThrow() + "-ft", List.of("i love this apple. (7)")));
            assertTrue(List.of("positive", "negative", "other").contains(c.classifications().get(0).prediction().orElseThrow()));
        }
    }

    @Test
    void theLoopResumesBitForBitOnALlama(@TempDir Path dir) throws Exception {
        Path base = tinyLlama(dir);
        List<ChatTemplate.Example> train = chatExamples(base, dir);
        LoraAdapter a1 = fitLora(CausalLMs.load(base), train, Files.createDirectories(dir.resolve("a")), Integer.MAX_VALUE);
        Path b = Files.createDirectories(dir.resolve("b"));
        fitLora(CausalLMs.load(base), train, b, 5);
        LoraAdapter a3 = fitLora(CausalLMs.load(base), train, b, Integer.MAX_VALUE);
        assertArrayEquals(a1.parameters(), a3.parameters());
        assertFalse(java.util.Arrays.equals(a1.parameters(), new LoraAdapter(CausalLMs.load(base), 4, 8,
                LoraAdapter.Targets.QKVO_FFN, 3).parameters()), "the adapter trained");
    }
}
