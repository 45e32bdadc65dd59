package dev.finetune.finetuning;

import java.time.Instant;
import java.util.Optional;

/** One transition or notable moment of a fine-tune: the status it entered, when, and a message. */
public record Event(Optional<String> userId, Status status, Instant createdAt, Optional<String> message) {
    public Event {
        userId = userId == null ? Optional.empty() : userId;
        message = message == null ? Optional.empty() : message;
    }
}
