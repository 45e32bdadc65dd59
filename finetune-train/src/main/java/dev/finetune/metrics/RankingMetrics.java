package dev.finetune.metrics;

import java.util.List;

/**
 * The rerank metrics the service reported, over queries whose candidates are given best first as
 * binary relevance flags: Accuracy@k (a relevant passage among the top k), MRR@10 (1 / rank of the first
 * relevant passage, 0 beyond 10) and nDCG@10 (binary gains, log2 discounts, normalized by the ideal
 * ordering). Each is the mean over queries; a query with no relevant passage counts 0.
 */
public final class RankingMetrics {
    private RankingMetrics() {
    }

    public static double accuracyAt(List<boolean[]> rankedRelevance, int k) {
        double sum = 0;
        for (boolean[] r : rankedRelevance) {
            for (int i = 0; i < Math.min(k, r.length); i++) {
                if (r[i]) {
                    sum += 1;
                    break;
                }
            }
        }
        return rankedRelevance.isEmpty() ? 0 : sum / rankedRelevance.size();
    }

    public static double mrrAt(List<boolean[]> rankedRelevance, int k) {
        double sum = 0;
        for (boolean[] r : rankedRelevance) {
            for (int i = 0; i < Math.min(k, r.length); i++) {
                if (r[i]) {
                    sum += 1.0 / (i + 1);
                    break;
                }
            }
        }
        return rankedRelevance.isEmpty() ? 0 : sum / rankedRelevance.size();
    }

    public static double ndcgAt(List<boolean[]> rankedRelevance, int k) {
        double sum = 0;
        for (boolean[] r : rankedRelevance) {
            double dcg = 0;
            int relevant = 0;
            for (int i = 0; i < r.length; i++) {
                if (r[i]) {
                    relevant++;
                    if (i < k) {
                        dcg += 1 / log2(i + 2);
                    }
                }
            }
            double ideal = 0;
            for (int i = 0; i < Math.min(k, relevant); i++) {
                ideal += 1 / log2(i + 2);
            }
            sum += ideal == 0 ? 0 : dcg / ideal;
        }
        return rankedRelevance.isEmpty() ? 0 : sum / rankedRelevance.size();
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
