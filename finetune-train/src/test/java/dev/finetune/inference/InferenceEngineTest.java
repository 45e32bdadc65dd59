package dev.finetune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.chat.FinishReason;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import dev.finetune.generate.Generation;
import dev.finetune.generate.ReturnLikelihoods;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.template.CharTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InferenceEngineTest {
    static final LoadedModel M = new LoadedModel("tiny", GPT2.randomInit(GPT2Config.of(101, 64, 16, 2, 2), 7, 0.4f),
            new CharTokenizer(), Optional.of(CharTokenizer.IDS), 0);

    private static ChatRequest.Builder chat() {
        return ChatRequest.builder().model("tiny").messages(List.of(ChatMessage.user("hello there")));
    }

    @Test
    void streamedDeltasConcatenateToTheChatAnswer() {
        ChatResponse whole = InferenceEngine.chat(M, chat().seed(3).maxTokens(20).temperature(0.8f).build());
        List<ChatStreamEvent> events = new ArrayList<>();
        InferenceEngine.chatStream(M, chat().seed(3).maxTokens(20).temperature(0.8f).build(), events::add);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < events.size() - 1; i++) {
            assertFalse(events.get(i).isEnd());
            sb.append(events.get(i).text().orElseThrow());
        }
        ChatStreamEvent end = events.get(events.size() - 1);
        assertTrue(end.isEnd());
        assertEquals(whole.text(), sb.toString());
        assertEquals(whole.finishReason(), end.finishReason().orElseThrow());
        assertEquals(whole.usage(), end.usage().orElseThrow());
        assertEquals("assistant", whole.message().role().toString());
        int out = whole.usage().tokens().outputTokens();
        assertTrue(out <= 20);
        assertEquals(whole.finishReason() == FinishReason.MAX_TOKENS, out == 20);
    }

    @Test
    void aStopSequenceEndsTheAnswerBeforeIt() {
        // without an end-of-text id, so that the random model's answer runs long enough to hold a stop
        LoadedModel m = new LoadedModel("tiny", M.model(), M.tokenizer(), M.template(), -1);
        ChatResponse free = InferenceEngine.chat(m, chat().temperature(0f).maxTokens(30).build());
        String text = free.text();
        // text from a random model may repeat; pick a two-character stop from its middle
        String stop = text.length() >= 6 ? text.substring(3, 5) : text;
        ChatResponse stopped = InferenceEngine.chat(m, chat().temperature(0f).maxTokens(30).stopSequences(List.of(stop)).build());
        assertEquals(FinishReason.STOP_SEQUENCE, stopped.finishReason());
        assertEquals(text.substring(0, text.indexOf(stop)), stopped.text());
    }

    @Test
    void scoringThePromptGivesTheAverageLogLikelihoodOfAllButTheFirstToken() {
        String prompt = "To be, or not to be";
        GenerateResponse r = InferenceEngine.generate(M, GenerateRequest.builder().prompt(prompt).model("tiny")
                .maxTokens(0).returnLikelihoods(ReturnLikelihoods.ALL).build());
        Generation g = r.generations().get(0);
        assertEquals("", g.text());
        assertEquals(prompt.length(), g.tokenLikelihoods().orElseThrow().size());
        assertTrue(g.tokenLikelihoods().orElseThrow().get(0).likelihood().isEmpty());
        assertEquals("T", g.tokenLikelihoods().orElseThrow().get(0).token());
        double expected = Generator.averageLogLikelihood(new Generator(M.model()).score(new CharTokenizer().encode(prompt)));
        assertEquals(expected, g.likelihood().orElseThrow(), 1e-9);
    }

    @Test
    void generationLikelihoodsCoverTheGeneratedTokensOnly() {
        GenerateResponse r = InferenceEngine.generate(M, GenerateRequest.builder().prompt("Once").model("tiny")
                .maxTokens(8).temperature(0f).returnLikelihoods(ReturnLikelihoods.GENERATION).build());
        Generation g = r.generations().get(0);
        StringBuilder sb = new StringBuilder();
        double sum = 0;
        for (var tl : g.tokenLikelihoods().orElseThrow()) {
            sb.append(tl.token());
            sum += tl.likelihood().orElseThrow();
        }
        assertEquals(g.text(), sb.toString());
        assertEquals(sum / g.tokenLikelihoods().orElseThrow().size(), g.likelihood().orElseThrow(), 1e-12);
        GenerateResponse none = InferenceEngine.generate(M, GenerateRequest.builder().prompt("Once").model("tiny")
                .maxTokens(8).temperature(0f).build());
        assertTrue(none.generations().get(0).likelihood().isEmpty());
        assertEquals(g.text(), none.generations().get(0).text());
    }
}
