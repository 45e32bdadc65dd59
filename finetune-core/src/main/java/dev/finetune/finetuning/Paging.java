package dev.finetune.finetuning;

import dev.finetune.BadRequestException;
import dev.finetune.Ranges;
import java.util.List;
import java.util.Optional;

/**
 * The one paging model of models, events and step metrics: a page of {@code page_size} items after the
 * position a {@code page_token} names (a response's {@code next_page_token}).
 */
public final class Paging {
    private Paging() {
    }

    public static void checkSize(int pageSize, int max) {
        Ranges.check("page_size", pageSize, 1, max);
    }

    /**
     * A list request's checks: {@code page_size} 1 to {@code max}, and a token this library gave out.
     *
     * @return the token, empty for null
     */
    public static Optional<String> checked(int pageSize, Optional<String> pageToken, int max) {
        Optional<String> token = pageToken == null ? Optional.empty() : pageToken;
        checkSize(pageSize, max);
        offset(token);
        return token;
    }

    /** What every list request's builder sets: the page size (from its default) and the token. */
    public abstract static class Builder<B extends Builder<B>> {
        int pageSize;
        Optional<String> pageToken = Optional.empty();

        Builder(int defaultPageSize) {
            this.pageSize = defaultPageSize;
        }

        public B pageSize(int n) {
            this.pageSize = n;
            return self();
        }

        /** The previous page's {@code next_page_token}; null for the first page. */
        public B pageToken(String token) {
            this.pageToken = Optional.ofNullable(token);
            return self();
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }
    }

    /** The offset a token stands for; tokens are the offsets this library gave out, as decimal text. */
    public static int offset(Optional<String> pageToken) {
        if (pageToken.isEmpty() || pageToken.get().isEmpty()) {
            return 0;
        }
        try {
            int v = Integer.parseInt(pageToken.get());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new BadRequestException("page_token: \"" + pageToken.get() + "\" is not a token this service gave");
        }
    }

    /** The items of the page, and the token of the next one when there is one. */
    public record Page<T>(List<T> items, Optional<String> nextPageToken) {
    }

    public static <T> Page<T> page(List<T> all, int pageSize, Optional<String> pageToken) {
        int from = Math.min(offset(pageToken), all.size());
        int to = (int) Math.min(all.size(), (long) from + pageSize);
        return new Page<>(List.copyOf(all.subList(from, to)),
                to < all.size() ? Optional.of(Integer.toString(to)) : Optional.empty());
    }
}
