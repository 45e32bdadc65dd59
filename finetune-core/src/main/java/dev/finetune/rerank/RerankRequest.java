package dev.finetune.rerank;

import dev.finetune.Ranges;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A rerank request (v2): order {@code documents} by relevance to {@code query} with a rerank model
 * ({@code "<id>-ft"} of a {@code BASE_TYPE_RERANK} fine-tune). {@code top_n} keeps the best n results
 * (default all); {@code max_tokens_per_doc} truncates each document before scoring (default 4096; the
 * model's 510-token input limit applies after it).
 */
public record RerankRequest(String model, String query, List<String> documents, Optional<Integer> topN,
                            Optional<Integer> maxTokensPerDoc) {
    /** Most documents one request may rank. */
    public static final int MAX_DOCUMENTS = 1000;
    public static final int DEFAULT_MAX_TOKENS_PER_DOC = 4096;

    public RerankRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(documents, "documents");
        topN = topN == null ? Optional.empty() : topN;
        maxTokensPerDoc = maxTokensPerDoc == null ? Optional.empty() : maxTokensPerDoc;
        if (query.isBlank()) {
            throw Ranges.invalid("query", "must not be empty");
        }
        if (documents.isEmpty() || documents.size() > MAX_DOCUMENTS) {
            throw Ranges.invalid("documents", "must hold 1 to " + MAX_DOCUMENTS + " documents, got " + documents.size());
        }
        for (int i = 0; i < documents.size(); i++) {
            if (documents.get(i) == null) {
                throw Ranges.invalid("documents[" + i + "]", "must not be null");
            }
        }
        documents = List.copyOf(documents);
        topN.ifPresent(n -> Ranges.atLeast("top_n", n, 1));
        maxTokensPerDoc.ifPresent(n -> Ranges.atLeast("max_tokens_per_doc", n, 1));
    }

    public static ModelStage builder() {
        return new Builder();
    }

    /** Required: the model. */
    public interface ModelStage {
        QueryStage model(String model);
    }

    /** Required: the query. */
    public interface QueryStage {
        DocumentsStage query(String query);
    }

    /** Required: the documents. */
    public interface DocumentsStage {
        Builder documents(List<String> documents);
    }

    /** Optional settings, then {@link #build()}. */
    public static final class Builder implements ModelStage, QueryStage, DocumentsStage {
        private String model;
        private String query;
        private List<String> documents;
        private Integer topN;
        private Integer maxTokensPerDoc;

        private Builder() {
        }

        @Override
        public QueryStage model(String model) {
            this.model = model;
            return this;
        }

        @Override
        public DocumentsStage query(String query) {
            this.query = query;
            return this;
        }

        @Override
        public Builder documents(List<String> documents) {
            this.documents = documents;
            return this;
        }

        public Builder topN(int n) {
            this.topN = n;
            return this;
        }

        public Builder maxTokensPerDoc(int n) {
            this.maxTokensPerDoc = n;
            return this;
        }

        public RerankRequest build() {
            return new RerankRequest(model, query, documents, Optional.ofNullable(topN), Optional.ofNullable(maxTokensPerDoc));
        }
    }
}
