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
        pageToken = pageToken == null ? Optional.empty() : pageToken;
        Paging.checkSize(pageSize, MAX_PAGE_SIZE);
        Paging.offset(pageToken);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int pageSize = DEFAULT_PAGE_SIZE;
        private Optional<String> pageToken = Optional.empty();

        public Builder pageSize(int n) {
            this.pageSize = n;
            return this;
        }

        public Builder pageToken(String token) {
            this.pageToken = Optional.ofNullable(token);
            return this;
        }

        public ListFinetunedModelsRequest build() {
            return new ListFinetunedModelsRequest(pageSize, pageToken);
        }
    }
}
