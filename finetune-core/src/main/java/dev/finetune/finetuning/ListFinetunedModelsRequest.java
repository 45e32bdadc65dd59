package dev.finetune.finetuning;

import java.util.Optional;

/**
 * Which page of fine-tuned models to list, newest first: {@code page_size} 1 to 1000 (default 50), {@code page_token} from the previous page's
 * {@code next_page_token}.
 */
public record ListFinetunedModelsRequest(int pageSize, Optional<String> pageToken) {
    public static final int DEFAULT_PAGE_SIZE = 50;
    public static final int MAX_PAGE_SIZE = 1000;

    public ListFinetunedModelsRequest {
        pageToken = Paging.checked(pageSize, pageToken, MAX_PAGE_SIZE);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends Paging.Builder<Builder> {

        private Builder() {
            super(DEFAULT_PAGE_SIZE);
        }

        public ListFinetunedModelsRequest build() {
            return new ListFinetunedModelsRequest(pageSize, pageToken);
        }
    }
}
