package dev.finetune.chat;

import java.util.List;
import java.util.Optional;

/**
 * A v2 chat response: {@code id}, {@code finish_reason}, {@code message}, {@code usage}, and with
 * {@code return_prompt} the {@code prompt} the model saw.
 */
public record ChatResponse(String id, FinishReason finishReason, AssistantMessage message, Usage usage,
                           Optional<String> prompt) {
    public ChatResponse {
        prompt = prompt == null ? Optional.empty() : prompt;
    }

    /** A response without the prompt. */
    public ChatResponse(String id, FinishReason finishReason, AssistantMessage message, Usage usage) {
        this(id, finishReason, message, usage, Optional.empty());
    }

    /** The assistant's reply: role {@code assistant} and a list of content parts. */
    public record AssistantMessage(ChatRole role, List<Content> content) {
        public AssistantMessage {
            content = List.copyOf(content);
        }

        public static AssistantMessage text(String text) {
            return new AssistantMessage(ChatRole.ASSISTANT, List.of(new Content("text", text)));
        }
    }

    /** One content part; {@code type} is {@code text}. */
    public record Content(String type, String text) {
    }

    /** All text parts joined. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Content c : message.content()) {
            if ("text".equals(c.type())) {
                sb.append(c.text());
            }
        }
        return sb.toString();
    }
}
