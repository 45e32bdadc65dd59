package dev.finetune.finetuning;

import java.util.List;
import java.util.Optional;

/** One page of fine-tuned models, newest first; {@code next_page_token} when there are more. */
public record ListFinetunedModelsResponse(List<FinetunedModel> finetunedModels, Optional<String> nextPageToken, int totalSize) {
    public ListFinetunedModelsResponse {
        finetunedModels = List.copyOf(finetunedModels);
        nextPageToken = nextPageToken == null ? Optional.empty() : nextPageToken;
    }
}
