package dev.finetune.finetuning;

import java.util.Optional;

/**
 * Which page of a fine-tune's step metrics to list, in step order: {@code page_size} 1 to 10000 (default 1000), {@code page_token} from the previous page's
 * {@code next_page_token}.
 */
public record ListTrainingStepMetricsRequest(int pageSize, Optional<String> pageToken) {
    public static final int DEFAULT_PAGE_SIZE = 1000;
    public static final int MAX_PAGE_SIZE = 10000;

    public ListTrainingStepMetricsRequest {
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

        public ListTrainingStepMetricsRequest build() {
            return new ListTrainingStepMetricsRequest(pageSize, pageToken);
        }
    }
}
