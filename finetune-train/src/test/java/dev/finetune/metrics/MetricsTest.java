package dev.finetune.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class MetricsTest {
    @Test
    void theServicesMrrExample() {
        // first relevant passage at rank 3 for one query and rank 2 for the other: (1/3 + 1/2) / 2
        List<boolean[]> r = List.of(new boolean[] {false, false, true, false}, new boolean[] {false, true, false});
        assertEquals((1.0 / 3 + 1.0 / 2) / 2, RankingMetrics.mrrAt(r, 10), 1e-12);
        assertEquals(0.0, RankingMetrics.accuracyAt(r, 1));
        assertEquals(1.0, RankingMetrics.accuracyAt(r, 3));
        assertEquals(0.5, RankingMetrics.accuracyAt(List.of(new boolean[] {true}, new boolean[] {false, false, false, true}), 3));
    }

    @Test
    void ndcgByHand() {
        // relevant at ranks 2 and 3 of 4, two relevant in all: DCG = 1/log2(3) + 1/log2(4); IDCG = 1 + 1/log2(3)
        double dcg = 1 / (Math.log(3) / Math.log(2)) + 0.5;
        double idcg = 1 + 1 / (Math.log(3) / Math.log(2));
        assertEquals(dcg / idcg, RankingMetrics.ndcgAt(List.<boolean[]>of(new boolean[] {false, true, true, false}), 10), 1e-12);
        assertEquals(1.0, RankingMetrics.ndcgAt(List.<boolean[]>of(new boolean[] {true, true, false}), 10), 1e-12);
    }

    @Test
    void classificationByHand() {
        List<Set<String>> truth = List.of(Set.of("a"), Set.of("b"), Set.of("a"), Set.of("c"));
        List<Set<String>> pred = List.of(Set.of("a"), Set.of("a"), Set.of("a"), Set.of("c"));
        ClassificationMetrics.Scores s = ClassificationMetrics.of(truth, pred, Set.of("a", "b", "c"));
        assertEquals(0.75, s.accuracy(), 1e-12);
        // a: P 2/3 R 1; b: P 0 R 0; c: P 1 R 1
        assertEquals((2.0 / 3 + 0 + 1) / 3, s.precision(), 1e-12);
        assertEquals((1 + 0 + 1) / 3.0, s.recall(), 1e-12);
        assertEquals((0.8 + 0 + 1) / 3, s.f1(), 1e-12);
        // multi-label Hamming score: {a,b} vs {a}: 1/2; {} vs {}: 1
        ClassificationMetrics.Scores m = ClassificationMetrics.of(List.of(Set.of("a", "b"), Set.of()),
                List.of(Set.of("a"), Set.of()), Set.of("a", "b"));
        assertEquals(0.75, m.accuracy(), 1e-12);
    }

    @Property(tries = 200)
    void rankingMetricsLieInZeroOneAndAPerfectRankingScoresOne(@ForAll @Size(min = 1, max = 8) List<@Size(min = 1, max = 12) boolean[]> r) {
        for (double v : new double[] {RankingMetrics.accuracyAt(r, 1), RankingMetrics.accuracyAt(r, 3),
                RankingMetrics.mrrAt(r, 10), RankingMetrics.ndcgAt(r, 10)}) {
            assertTrue(v >= 0 && v <= 1 + 1e-12, "metric " + v);
        }
        List<boolean[]> perfect = r.stream().map(x -> {
            boolean[] y = new boolean[x.length];
            y[0] = true;
            return y;
        }).toList();
        assertEquals(1.0, RankingMetrics.mrrAt(perfect, 10), 1e-12);
        assertEquals(1.0, RankingMetrics.ndcgAt(perfect, 10), 1e-12);
        assertEquals(1.0, RankingMetrics.accuracyAt(perfect, 1), 1e-12);
    }
}
