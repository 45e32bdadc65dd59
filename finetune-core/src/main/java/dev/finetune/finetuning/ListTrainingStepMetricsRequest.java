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
        pageToken = Paging.checked(pageSize, pageToken, MAX_PAGE_SIZE);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends Paging.Builder<Builder> {

        private Builder() {
            super(DEFAULT_PAGE_SIZE);
        }

        public ListTrainingStepMetricsRequest build() {
            return new ListTrainingStepMetricsRequest(pageSize, pageToken);
        }
    }
}
