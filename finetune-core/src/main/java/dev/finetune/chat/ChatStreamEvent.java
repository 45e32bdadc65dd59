package dev.finetune.chat;

import java.util.Optional;

/**
 * One event of {@code chatStream}: {@code content-delta} events carry a piece of text; the final
 * {@code message-end} event carries the finish reason and the usage.
 */
public record ChatStreamEvent(String type, Optional<String> text, Optional<FinishReason> finishReason,
                              Optional<Usage> usage) {
    public static final String CONTENT_DELTA = "content-delta";
    public static final String MESSAGE_END = "message-end";

    public static ChatStreamEvent delta(String text) {
        return new ChatStreamEvent(CONTENT_DELTA, Optional.of(text), Optional.empty(), Optional.empty());
    }

    public static ChatStreamEvent end(FinishReason reason, Usage usage) {
        return new ChatStreamEvent(MESSAGE_END, Optional.empty(), Optional.of(reason), Optional.of(usage));
    }

    public boolean isEnd() {
        return MESSAGE_END.equals(type);
    }
}
