package dev.finetune.finetuning;

import java.util.Optional;

/**
 * Which page of a fine-tune's events to list: {@code page_size} 1 to 1000 (default 100), {@code page_token} from the previous page's
 * {@code next_page_token}, and {@code order_by} ({@code created_at desc}, the default, or {@code created_at asc}).
 */
public record ListEventsRequest(int pageSize, Optional<String> pageToken,
        Optional<String> orderBy) {
    public static final int DEFAULT_PAGE_SIZE = 100;
    public static final int MAX_PAGE_SIZE = 1000;

    public ListEventsRequest {
        pageToken = Paging.checked(pageSize, pageToken, MAX_PAGE_SIZE);
        orderBy = orderBy == null ? Optional.empty() : orderBy;
        orderBy.ifPresent(o -> {
            if (!o.equals("created_at") && !o.equals("created_at desc") && !o.equals("created_at asc")) {
                throw dev.finetune.Ranges.invalid("order_by", "\"" + o + "\" is not one of created_at, created_at asc, created_at desc");
            }
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends Paging.Builder<Builder> {
        private Optional<String> orderBy = Optional.empty();

        private Builder() {
            super(DEFAULT_PAGE_SIZE);
        }

        /** {@code created_at desc} (newest first, the default) or {@code created_at asc}. */
        public Builder orderBy(String orderBy) {
            this.orderBy = Optional.ofNullable(orderBy);
            return this;
        }

        public ListEventsRequest build() {
            return new ListEventsRequest(pageSize, pageToken, orderBy);
        }
    }
}
