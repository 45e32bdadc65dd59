package dev.finetune.finetuning;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.finetune.BadRequestException;
import java.util.Objects;
import java.util.Optional;

/**
 * Weights &amp; Biases reporting: {@code project}, {@code api_key} (required), optional {@code entity}.
 * The API key is a secret: it is accepted from JSON but never written to JSON, never part of
 * {@code toString()} and never logged; only {@link #apiKey()} hands it out, to the code that calls W&amp;B.
 */
public final class WandbConfig {
    private final String project;
    private final String apiKey;
    private final Optional<String> entity;

    private WandbConfig(String project, String apiKey, Optional<String> entity) {
        if (project == null || project.isBlank()) {
            throw new BadRequestException("wandb.project: required");
        }
        if (apiKey == null || apiKey.isBlank()) {
            throw new BadRequestException("wandb.api_key: required");
        }
        this.project = project;
        this.apiKey = apiKey;
        this.entity = entity == null ? Optional.empty() : entity;
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    static WandbConfig fromJson(@JsonProperty("project") String project, @JsonProperty("api_key") String apiKey,
                                @JsonProperty("entity") String entity) {
        return new WandbConfig(project, apiKey, Optional.ofNullable(entity));
    }

    @JsonProperty("project")
    public String project() {
        return project;
    }

    /** The secret itself; never serialized. */
    @JsonIgnore
    public String apiKey() {
        return apiKey;
    }

    @JsonProperty("entity")
    public Optional<String> entity() {
        return entity;
    }

    public static ProjectStage builder() {
        return new Builder();
    }

    public interface ProjectStage {
        ApiKeyStage project(String project);
    }

    public interface ApiKeyStage {
        Builder apiKey(String apiKey);
    }

    public static final class Builder implements ProjectStage, ApiKeyStage {
        private String project;
        private String apiKey;
        private String entity;

        @Override
        public ApiKeyStage project(String project) {
            this.project = project;
            return this;
        }

        @Override
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        public Builder entity(String entity) {
            this.entity = entity;
            return this;
        }

        public WandbConfig build() {
            return new WandbConfig(project, apiKey, Optional.ofNullable(entity));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WandbConfig w && project.equals(w.project) && apiKey.equals(w.apiKey) && entity.equals(w.entity);
    }

    @Override
    public int hashCode() {
        return Objects.hash(project, entity);
    }

    @Override
    public String toString() {
        return "WandbConfig{project=" + project + entity.map(e -> ", entity=" + e).orElse("") + ", api_key=****}";
    }
}
