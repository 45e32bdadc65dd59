package dev.finetune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.basemodels.BaseModels;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.chat.FinishReason;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.Generation;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.template.ChatTemplate;
import dev.finetune.tokenizer.BpeTrainer;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 20 part 3: a model that emits {@code <|endoftext|>} (what a generative fine-tune learned to
 * emit) and stray control tokens. Its output layer is set so that every step draws one of three
 * tokens with equal odds: the word " the", a control token that does not end an answer
 * ({@code <|START_OF_TURN_TOKEN|>}) and {@code <|endoftext|>}. Every endpoint must stop at the end of
 * text with COMPLETE and show no control token's text.
 */
class EndOfSequenceTest {
    static final ByteLevelBpe BPE = BpeTrainer.train("the quick brown fox jumps over the lazy dog\n".repeat(20), 300,
            ChatTemplate.SPECIAL_TOKENS);
    static final int THE = BPE.encode(" the")[0];
    static final int EOT = BPE.specialTokenId("<|endoftext|>");
    static final int SOT = BPE.specialTokenId(ChatTemplate.START_OF_TURN);
    static final LoadedModel M = rigged();

    /** Logits: 10 for " the", the start-of-turn and the end-of-text tokens, 0 for every other id. */
    private static LoadedModel rigged() {
        GPT2 g = GPT2.randomInit(GPT2Config.of(BPE.vocabSize(), 128, 32, 1, 2), 5, 0.3f);
        float[] p = g.parameters();
        int C = 32;
        int wte = g.tensor("wte.weight").offset();
        int[] picked = {THE, SOT, EOT};
        for (int v = 0; v < BPE.vocabSize(); v++) {
            for (int c = 0; c < picked.length; c++) {
                p[wte + v * C + c] = v == picked[c] ? 1f : 0f;
            }
        }
        Arrays.fill(p, g.tensor("ln_f.weight").offset(), g.tensor("ln_f.weight").offset() + C, 0f);
        int b = g.tensor("ln_f.bias").offset();
        Arrays.fill(p, b, b + C, 0f);
        for (int c = 0; c < picked.length; c++) {
            p[b + c] = 10f;
        }
        return new LoadedModel("rigged", g, BPE, BaseModels.templateIds(BPE), EOT);
    }

    private static ChatRequest chat(long seed) {
        return ChatRequest.builder().model("rigged").messages(List.of(ChatMessage.user("Who are you?")))
                .maxTokens(60).temperature(1f).p(0.99f).seed(seed).build();
    }

    private static void assertOrdinary(String text) {
        assertFalse(text.contains("<|"), text);
        assertTrue(text.replace(" the", "").isEmpty(), "only the word: \"" + text + "\"");
    }

    @Test
    void chatStopsAtEndOfTextWithoutControlTokenText() {
        for (long seed = 1; seed <= 5; seed++) {
            ChatResponse r = InferenceEngine.chat(M, chat(seed));
            assertEquals(FinishReason.COMPLETE, r.finishReason(), "seed " + seed);
            assertOrdinary(r.text());
            assertTrue(r.usage().tokens().outputTokens() < 60);
        }
    }

    @Test
    void chatStreamStopsAtEndOfTextWithoutControlTokenText() {
        for (long seed = 1; seed <= 5; seed++) {
            List<ChatStreamEvent> events = new ArrayList<>();
            InferenceEngine.chatStream(M, chat(seed), events::add);
            StringBuilder text = new StringBuilder();
            for (ChatStreamEvent e : events.subList(0, events.size() - 1)) {
                text.append(e.text().orElseThrow());
            }
            ChatStreamEvent end = events.get(events.size() - 1);
            assertTrue(end.isEnd());
            assertEquals(FinishReason.COMPLETE, end.finishReason().orElseThrow());
            assertOrdinary(text.toString());
        }
    }

    @Test
    void generateStopsAtEndOfTextWithoutControlTokenText() {
        for (long seed = 1; seed <= 5; seed++) {
            Generation g = InferenceEngine.generate(M, GenerateRequest.builder().prompt("Who are you?").model("rigged")
                    .maxTokens(60).temperature(1f).p(0.99f).seed(seed).build()).generations().get(0);
            assertEquals(FinishReason.COMPLETE, g.finishReason(), "seed " + seed);
            assertOrdinary(g.text());
        }
    }

    @Test
    void configEosIdsEndGenerationToo() {
        // a model whose config names the start-of-turn id as an eos id stops there as well
        LoadedModel m = new LoadedModel("rigged", M.model(), BPE, M.template(), EOT, Optional.empty(), Optional.empty(),
                new int[] {EOT, SOT});
        for (long seed = 1; seed <= 5; seed++) {
            ChatResponse r = InferenceEngine.chat(m, chat(seed));
            assertEquals(FinishReason.COMPLETE, r.finishReason());
            assertOrdinary(r.text());
        }
    }

    @Test
    void returnPromptGivesTheRenderedPrompt() {
        ChatRequest req = ChatRequest.builder().model("rigged").messages(List.of(ChatMessage.system("Be brief."),
                ChatMessage.user("Who are you?"))).maxTokens(5).seed(1).returnPrompt(true).build();
        String prompt = InferenceEngine.chat(M, req).prompt().orElseThrow();
        assertEquals("<|endoftext|><|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>Be brief.<|END_OF_TURN_TOKEN|>"
                + "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Who are you?<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", prompt);
        assertTrue(InferenceEngine.chat(M, chat(1)).prompt().isEmpty());
    }
}
