package dev.finetune.rerank;

/**
 * One ranked document: its {@code index} in the request's documents and its {@code relevance_score}
 * in [0, 1] (higher is more relevant; compare scores within one request).
 */
public record RerankResult(int index, double relevanceScore) {
}
