package dev.finetune.chat;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.finetune.Ranges;
import dev.finetune.json.WireValue;
import java.util.Locale;
import java.util.Objects;

/**
 * A message's author in the v2 chat API. The training roles of a chat dataset map onto these:
 * {@code System} → {@link #SYSTEM}, {@code User} → {@link #USER}, {@code Chatbot} → {@link #ASSISTANT}.
 * Forward-compatible: a role this version does not know (say {@code tool}) is kept as it came
 * ({@link #isKnown()} false) and passed to a model's own chat template, which decides; the built-in
 * template refuses it by name.
 */
public final class ChatRole extends WireValue {
    public static final ChatRole SYSTEM = new ChatRole("system");
    public static final ChatRole USER = new ChatRole("user");
    public static final ChatRole ASSISTANT = new ChatRole("assistant");

    private ChatRole(String wire) {
        super(wire);
    }

    /**
     * Accepts the v2 names and the dataset names, in any case ({@code chatbot} is {@code assistant});
     * any other non-blank name is kept lower-cased.
     */
    @JsonCreator
    public static ChatRole of(String name) {
        Objects.requireNonNull(name, "role");
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "system" -> SYSTEM;
            case "user" -> USER;
            case "assistant", "chatbot" -> ASSISTANT;
            case "" -> throw Ranges.invalid("role", "must not be blank");
            default -> new ChatRole(n);
        };
    }

    public boolean isKnown() {
        return this == SYSTEM || this == USER || this == ASSISTANT;
    }
}
