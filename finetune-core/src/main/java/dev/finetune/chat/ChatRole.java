package dev.finetune.chat;

import dev.finetune.Ranges;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * A message's author in the v2 chat API. The training roles of a chat dataset map onto these:
 * {@code System} → {@link #SYSTEM}, {@code User} → {@link #USER}, {@code Chatbot} → {@link #ASSISTANT}.
 */
public enum ChatRole {
    SYSTEM("system"), USER("user"), ASSISTANT("assistant");

    private final String wire;

    ChatRole(String wire) {
        this.wire = wire;
    }

    @JsonValue
    @Override
    public String toString() {
        return wire;
    }

    /** Accepts the v2 names and the dataset names, in any case ({@code chatbot} is {@code assistant}). */
    @JsonCreator
    public static ChatRole of(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "system" -> SYSTEM;
            case "user" -> USER;
            case "assistant", "chatbot" -> ASSISTANT;
            default -> throw Ranges.invalid("role", "unknown chat role \"" + name + "\" (expected system, user or assistant)");
        };
    }
}
