package dev.finetune.finetuning;

import dev.finetune.Ranges;
import java.util.Objects;

/** What may change on a fine-tuned model after it was created: its name. */
public record UpdateFinetunedModelRequest(String name) {
    public UpdateFinetunedModelRequest {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw Ranges.invalid("name", "must not be blank");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String name;

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public UpdateFinetunedModelRequest build() {
            if (name == null) {
                throw Ranges.invalid("name", "is required");
            }
            return new UpdateFinetunedModelRequest(name);
        }
    }
}
