package dev.finetune.finetuning;

import dev.finetune.BadRequestException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A fine-tuned model: what the caller gives ({@code name}, {@code settings}) and what the service fills
 * in ({@code id}, {@code status}, {@code created_at}, {@code updated_at}, {@code completed_at}; ours:
 * {@code failure_reason} and the before/after evaluation {@code metrics}).
 */
public record FinetunedModel(String name, Settings settings, Optional<String> id, Optional<Status> status,
                             Optional<Instant> createdAt, Optional<Instant> updatedAt, Optional<Instant> completedAt,
                             Optional<String> failureReason, Optional<Map<String, Double>> metrics) {
    public static final int MAX_NAME_LENGTH = 64;

    public FinetunedModel {
        if (name == null || name.isBlank()) {
            throw new BadRequestException("name: required");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new BadRequestException("name: at most " + MAX_NAME_LENGTH + " characters, got " + name.length());
        }
        if (settings == null) {
            throw new BadRequestException("settings: required");
        }
        id = id == null ? Optional.empty() : id;
        status = status == null ? Optional.empty() : status;
        createdAt = createdAt == null ? Optional.empty() : createdAt;
        updatedAt = updatedAt == null ? Optional.empty() : updatedAt;
        completedAt = completedAt == null ? Optional.empty() : completedAt;
        failureReason = failureReason == null ? Optional.empty() : failureReason;
        metrics = metrics == null ? Optional.empty() : metrics.map(Map::copyOf);
    }

    public static NameStage builder() {
        return new Builder();
    }

    public interface NameStage {
        SettingsStage name(String name);
    }

    public interface SettingsStage {
        Builder settings(Settings settings);
    }

    /** The caller's part; the read-only fields are set by the service. */
    public static final class Builder implements NameStage, SettingsStage {
        private String name;
        private Settings settings;

        @Override
        public SettingsStage name(String name) {
            this.name = name;
            return this;
        }

        @Override
        public Builder settings(Settings settings) {
            this.settings = settings;
            return this;
        }

        public FinetunedModel build() {
            return new FinetunedModel(name, settings, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    /** A copy with the service's fields set. */
    public FinetunedModel withState(String id, Status status, Instant createdAt, Instant updatedAt,
                                    Optional<Instant> completedAt, Optional<String> failureReason,
                                    Optional<Map<String, Double>> metrics) {
        return new FinetunedModel(name, settings, Optional.of(id), Optional.of(status), Optional.of(createdAt),
                Optional.of(updatedAt), completedAt, failureReason, metrics);
    }

    /** A copy under a new name. */
    public FinetunedModel withName(String newName) {
        return new FinetunedModel(newName, settings, id, status, createdAt, updatedAt, completedAt, failureReason, metrics);
    }
}
