package dev.finetune.rerank;

import java.util.List;

/** A rerank response: {@code results} best first, at most {@code top_n} of them. */
public record RerankResponse(String id, List<RerankResult> results) {
    public RerankResponse {
        results = List.copyOf(results);
    }
}
