package dev.finetune.classify;

import java.util.List;

/** A classify response: one {@link Classification} per input, in the request's order. */
public record ClassifyResponse(String id, List<Classification> classifications) {
    public ClassifyResponse {
        classifications = List.copyOf(classifications);
    }
}
