package dev.finetune.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.BadRequestException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.ReturnLikelihoods;
import dev.finetune.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatWireTest {

    @Test
    void chatResponseSerializesInTheV2Shape() throws Exception {
        ChatResponse r = new ChatResponse("abc", FinishReason.COMPLETE, ChatResponse.AssistantMessage.text("Hi!"),
                Usage.of(12, 3));
        JsonNode n = Json.reader().readTree(Json.writer().writeValueAsString(r));
        assertEquals("COMPLETE", n.path("finish_reason").asText());
        assertEquals("assistant", n.path("message").path("role").asText());
        assertEquals("text", n.path("message").path("content").get(0).path("type").asText());
        assertEquals("Hi!", n.path("message").path("content").get(0).path("text").asText());
        assertEquals(12, n.path("usage").path("billed_units").path("input_tokens").asInt());
        assertEquals(3, n.path("usage").path("tokens").path("output_tokens").asInt());
        assertEquals(r, Json.readValue(Json.writer().writeValueAsString(r), ChatResponse.class));
    }

    @Test
    void trainingRoleNamesMapOntoV2Roles() {
        assertEquals(ChatRole.ASSISTANT, ChatRole.of("Chatbot"));
        assertEquals(ChatRole.SYSTEM, ChatRole.of("SYSTEM"));
        assertEquals(ChatRole.USER, ChatRole.of(" user "));
        // forward-compatible: an unknown role is kept, not rejected, and written back as it came
        ChatRole tool = ChatRole.of("Tool");
        assertEquals("tool", tool.toString());
        assertTrue(!tool.isKnown() && ChatRole.ASSISTANT.isKnown());
        assertEquals(tool, ChatRole.of("tool"));
        assertThrows(BadRequestException.class, () -> ChatRole.of(" "));
        FinishReason later = FinishReason.valueOf("TOOL_CALL");
        assertTrue(!later.isKnown() && FinishReason.COMPLETE.isKnown());
        assertEquals("TOOL_CALL", later.toString());
        assertEquals(FinishReason.MAX_TOKENS, FinishReason.valueOf("MAX_TOKENS"));
    }

    @Test
    void chatRequestRejectsOutOfRangeSettingsNamingTheField() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> ChatRequest.builder()
                .model("x-ft").messages(List.of(ChatMessage.user("hi"))).p(1.5f).build());
        assertTrue(e.getMessage().startsWith("p: 1.5 is outside the allowed range 0.01 to 0.99") && e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(BadRequestException.class, () -> ChatRequest.builder()
                .model("x-ft").messages(List.of(ChatMessage.user("hi"))).k(501).build());
        assertTrue(e.getMessage().contains("k: 501 is outside the allowed range 0 to 500") && e.getMessage().contains("501"), e.getMessage());
        assertThrows(BadRequestException.class, () -> ChatRequest.builder().model("x-ft").messages(List.of()).build());
        ChatRequest ok = ChatRequest.builder().model("x-ft").messages(List.of(ChatMessage.user("hi"))).k(500).p(0.01f)
                .temperature(0f).maxTokens(1).build();
        assertEquals(500, ok.k().orElseThrow());
    }

    @Test
    void generateAllowsZeroMaxTokensOnlyWhenScoringThePrompt() {
        GenerateRequest scoring = GenerateRequest.builder().prompt("To be").model("base-light").maxTokens(0)
                .returnLikelihoods(ReturnLikelihoods.ALL).build();
        assertEquals(0, scoring.maxTokens().orElseThrow());
        BadRequestException e = assertThrows(BadRequestException.class, () -> GenerateRequest.builder()
                .prompt("To be").model("base-light").maxTokens(0).build());
        assertTrue(e.getMessage().contains("max_tokens"), e.getMessage());
    }
}
