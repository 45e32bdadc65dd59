package dev.finetune.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The paired bootstrap's 95% interval covers a known difference at about the stated rate.
 *
 * <p>Each try simulates {@link #SAMPLES} paired evaluations of {@link #N} examples whose true before/after
 * difference is known by construction, and counts how many intervals hold it. The percentile bootstrap
 * at n = 150 covers about 94-95%; over 200 samples (two tries, each a fresh seed) the count is binomial with a standard deviation near
 * 3.1, so [175, 199] is more than 4 standard deviations wide on either side of 189-190: a correct
 * interval fails a try with probability below 1e-4, while one that covered, say, 90% (mean 180) or
 * never missed would be caught. The upper bound catches an interval too wide to say anything.
 */
class PairedBootstrapProperties {
    static final int N = 150;
    static final int SAMPLES = 200;

    /** Accuracy 0.6 before, 0.7 after (true difference +0.1), paired through a shared difficulty, partly redrawn. */
    static ExampleValues[] accuracies(SplittableRandom r) {
        double[] before = new double[N];
        double[] after = new double[N];
        for (int i = 0; i < N; i++) {
            double u = r.nextDouble();
            before[i] = u < 0.6 ? 1 : 0;
            after[i] = (r.nextDouble() < 0.3 ? r.nextDouble() : u) < 0.7 ? 1 : 0;
        }
        return new ExampleValues[] {ExampleValues.mean("accuracy", true, before), ExampleValues.mean("accuracy", true, after)};
    }

    /**
     * Cross-entropy per token, examples of 1-10 tokens: per-token nats with mean 2.0 before and 1.8 after,
     * independent of length, so the ratio of sums has true difference -0.2; each example's after
     * shares its before's noise (the pairing).
     */
    static ExampleValues[] crossEntropies(SplittableRandom r) {
        double[][] before = new double[N][2];
        double[][] after = new double[N][2];
        for (int i = 0; i < N; i++) {
            int k = 1 + r.nextInt(10);
            double shared = 0;
            double own = 0;
            for (int t = 0; t < k; t++) {
                double e = -Math.log(1 - r.nextDouble()); // exponential, mean 1
                shared += e;
                own += -Math.log(1 - r.nextDouble());
            }
            before[i] = new double[] {shared + k * 1.0, k};
            after[i] = new double[] {0.6 * shared + 0.4 * own + k * 0.8, k};
        }
        return new ExampleValues[] {new ExampleValues("cross_entropy", ExampleValues.Reduce.RATIO, false, before),
                new ExampleValues("cross_entropy", ExampleValues.Reduce.RATIO, false, after)};
    }

    static int covered(long seed, double truth, java.util.function.Function<SplittableRandom, ExampleValues[]> sample) {
        SplittableRandom r = new SplittableRandom(seed);
        int covered = 0;
        for (int s = 0; s < SAMPLES; s++) {
            ExampleValues[] ba = sample.apply(r);
            PairedBootstrap.Change c = PairedBootstrap.compare(ba[0], ba[1], r.nextLong());
            covered += c.low() <= truth && truth <= c.high() ? 1 : 0;
        }
        return covered;
    }

    @Property(tries = 2)
    void theIntervalOfAnAccuracyChangeCoversTheTrueChangeAtAbout95Percent(@ForAll long seed) {
        int c = covered(seed, 0.1, PairedBootstrapProperties::accuracies);
        assertTrue(c >= 175 && c <= 199, c + " of " + SAMPLES + " intervals held the true change");
    }

    @Property(tries = 2)
    void theIntervalOfACrossEntropyRatioChangeCoversTheTrueChangeAtAbout95Percent(@ForAll long seed) {
        int c = covered(seed, -0.2, PairedBootstrapProperties::crossEntropies);
        assertTrue(c >= 175 && c <= 199, c + " of " + SAMPLES + " intervals held the true change");
    }

    /** 100 examples, {@code flips} of them wrong before and right after, nothing else changed. */
    static PairedBootstrap.Change flips(int flips) {
        double[] before = new double[100];
        double[] after = new double[100];
        for (int i = 0; i < 100; i++) {
            before[i] = i < 50 ? 1 : 0;
            after[i] = i < 50 + flips ? 1 : 0;
        }
        return PairedBootstrap.compare(ExampleValues.mean("accuracy", true, before), ExampleValues.mean("accuracy", true, after), 1);
    }

    @Test
    void twoExamplesInAHundredGettingBetterIsNoClearChange() {
        // a resample misses both with probability 0.98^100 = 13%: the interval's low end is 0
        PairedBootstrap.Change c = flips(2);
        assertEquals(0.02, c.change(), 1e-12);
        assertEquals(PairedBootstrap.Verdict.NO_CLEAR_CHANGE, c.verdict(), c.toString());
        assertEquals("no clear change", c.verdict().words());
    }

    @Test
    void tenExamplesInAHundredGettingBetterIsAnImprovementAndTheReverseIsWorse() {
        assertEquals(PairedBootstrap.Verdict.IMPROVED, flips(10).verdict(), flips(10).toString());
        assertEquals(PairedBootstrap.Verdict.WORSE, flips(-10).verdict(), flips(-10).toString());
    }

    @Test
    void aLowerCrossEntropyIsAnImprovement() {
        SplittableRandom r = new SplittableRandom(5);
        ExampleValues[] ba = crossEntropies(r);
        PairedBootstrap.Change c = PairedBootstrap.compare(ba[0], ba[1], 7);
        assertTrue(c.high() < 0, c.toString());
        assertEquals(PairedBootstrap.Verdict.IMPROVED, c.verdict());
    }

    @Test
    void macroF1FromPerLabelCountsEqualsClassificationMetrics() {
        java.util.List<java.util.Set<String>> truth = new java.util.ArrayList<>();
        java.util.List<java.util.Set<String>> pred = new java.util.ArrayList<>();
        String[] labels = {"a", "b", "c"};
        SplittableRandom r = new SplittableRandom(3);
        double[][] counts = new double[40][9];
        for (int i = 0; i < 40; i++) {
            String t = labels[r.nextInt(3)];
            String p = r.nextInt(3) == 0 ? labels[r.nextInt(3)] : t;
            truth.add(java.util.Set.of(t));
            pred.add(java.util.Set.of(p));
            for (int k = 0; k < 3; k++) {
                boolean inT = t.equals(labels[k]);
                boolean inP = p.equals(labels[k]);
                counts[i][3 * k] = inT && inP ? 1 : 0;
                counts[i][3 * k + 1] = !inT && inP ? 1 : 0;
                counts[i][3 * k + 2] = inT && !inP ? 1 : 0;
            }
        }
        ClassificationMetrics.Scores s = ClassificationMetrics.of(truth, pred, new java.util.LinkedHashSet<>(java.util.List.of(labels)));
        assertEquals(s.f1(), new ExampleValues("f1", ExampleValues.Reduce.MACRO_F1, true, counts).all(), 1e-12);
        assertEquals(s.precision(), new ExampleValues("p", ExampleValues.Reduce.MACRO_PRECISION, true, counts).all(), 1e-12);
        assertEquals(s.recall(), new ExampleValues("r", ExampleValues.Reduce.MACRO_RECALL, true, counts).all(), 1e-12);
    }
}
