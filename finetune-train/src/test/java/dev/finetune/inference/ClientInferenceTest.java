package dev.finetune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.NotFoundException;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import dev.finetune.generate.ReturnLikelihoods;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.template.ChatTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.BpeTrainer;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientInferenceTest {

    static Path modelFolder(Path dir) {
        ByteLevelBpe bpe = BpeTrainer.train("the quick brown fox jumps over the lazy dog\n".repeat(20), 300,
                ChatTemplate.SPECIAL_TOKENS);
        GPT2 m = GPT2.randomInit(GPT2Config.of(bpe.vocabSize(), 48, 16, 2, 2), 3, 0.3f);
        Path f = dir.resolve("tiny-model");
        GPT2Checkpoint.save(m, f);
        BpeFiles.save(bpe, f);
        return f;
    }

    @Test
    void chatAndGenerateThroughTheClientOnAModelFolder(@TempDir Path dir) {
        Path folder = modelFolder(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            ChatResponse r = co.chat(ChatRequest.builder().model(folder.toString())
                    .messages(List.of(ChatMessage.user("the fox?"))).maxTokens(8).seed(1).build());
            assertTrue(r.usage().tokens().outputTokens() <= 8);
            StringBuilder streamed = new StringBuilder();
            int ends = 0;
            for (ChatStreamEvent e : co.chatStream(ChatRequest.builder().model(folder.toString())
                    .messages(List.of(ChatMessage.user("the fox?"))).maxTokens(8).seed(1).build())) {
                if (e.isEnd()) {
                    ends++;
                    assertEquals(r.finishReason(), e.finishReason().orElseThrow());
                } else {
                    streamed.append(e.text().orElseThrow());
                }
            }
            assertEquals(1, ends);
            assertEquals(r.text(), streamed.toString());
            GenerateResponse g = co.generate(GenerateRequest.builder().prompt("the quick brown").model(folder.toString())
                    .maxTokens(0).returnLikelihoods(ReturnLikelihoods.ALL).build());
            assertTrue(g.generations().get(0).likelihood().orElseThrow() < 0);
        }
    }

    @Test
    void unknownModelsAreClearErrors(@TempDir Path dir) {
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            NotFoundException e = assertThrows(NotFoundException.class, () -> co.generate(GenerateRequest.builder()
                    .prompt("x").model("no-such-model").build()));
            assertTrue(e.getMessage().contains("no-such-model") && e.getMessage().contains("base-light"), e.getMessage());
            NotFoundException ft = assertThrows(NotFoundException.class, () -> co.chat(ChatRequest.builder()
                    .model("abc-ft").messages(List.of(ChatMessage.user("hi"))).build()));
            assertTrue(ft.getMessage().contains("abc-ft"), ft.getMessage());
        }
    }
}
