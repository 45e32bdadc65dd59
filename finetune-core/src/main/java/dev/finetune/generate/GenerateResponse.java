package dev.finetune.generate;

import java.util.List;
import java.util.Optional;

/** A generate response: {@code id}, the prompt, and the generations. */
public record GenerateResponse(String id, Optional<String> prompt, List<Generation> generations) {
    public GenerateResponse {
        generations = List.copyOf(generations);
    }
}
