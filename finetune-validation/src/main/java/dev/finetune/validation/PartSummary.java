package dev.finetune.validation;

import java.util.List;

/**
 * The numbers of one stored part for the "Review data" page: examples, turns (chat; 1 per example
 * otherwise), average turns per conversation, the tokens per example at the 50th/90th/99th percentile
 * and the maximum, size in bytes and a few sample rows.
 */
public record PartSummary(String name, long examples, long turns, double averageTurns, long tokens, int tokensP50,
        int tokensP90, int tokensP99, int tokensMax, long sizeBytes, List<String> samples) {
    public PartSummary {
        samples = List.copyOf(samples);
    }
}
