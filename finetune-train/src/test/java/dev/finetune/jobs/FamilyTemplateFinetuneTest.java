package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
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
import dev.finetune.template.ReferenceFamilies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chat fine-tune of a tiny model that carries a real family's tokenizer and chat template
 * (SmolLM2's): it trains on that template, keeps the template files, and chat renders the same
 * template (read back with return_prompt).
 */
class FamilyTemplateFinetuneTest {

    @Test
    void aTinyModelWithSmolLm2sTemplateTrainsAndAnswersOnIt(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("tiny-smollm2");
        GPT2Checkpoint.save(GPT2.randomInit(GPT2Config.of(49152, 96, 16, 1, 2), 3, 0.02f), base);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(ReferenceFamilies.dir("smollm2").resolve(f), base.resolve(f));
        }
        Path data = LocalTrainingTest.chatFile(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = co.wait(co.datasets().create(data, Optional.empty(), DatasetsCreateRequest.builder().name("qa")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
            FinetunedModel req = FinetunedModel.builder().name("qa").settings(Settings.builder()
                    .baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString())).datasetId(d.id())
                    .hyperparameters(Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL).trainEpochs(1)
                            .trainBatchSize(4).learningRate(0.001).earlyStoppingPatience(0).build()).build()).build();
            FinetunedModel done = co.wait(co.finetuning().createFinetunedModel(req), WaitOptions.timeout(Duration.ofSeconds(180)).interval(Duration.ofMillis(50)));
            assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
            String id = done.id().orElseThrow();
            String events = co.finetuning().listEvents(id).toString();
            assertTrue(events.contains("chat template of tiny-smollm2"), events);
            assertTrue(events.contains("0 train and 0 eval examples cut"), events);
            Path modelDir = dir.resolve("ws").resolve("models").resolve(id);
            assertTrue(Files.isRegularFile(modelDir.resolve("tokenizer_config.json")));
            ChatResponse r = co.chat(ChatRequest.builder().model(id + "-ft").messages(List.of(ChatMessage.user("hello there!")))
                    .maxTokens(6).seed(1).returnPrompt(true).build());
            assertEquals("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                    + "<|im_start|>user\nhello there!<|im_end|>\n<|im_start|>assistant\n", r.prompt().orElseThrow());
            assertFalse(r.text().contains("<|im_"), r.text());
        }
    }
}
