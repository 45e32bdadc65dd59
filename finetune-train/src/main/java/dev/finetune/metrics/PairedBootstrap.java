package dev.finetune.metrics;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The change of a metric between two evaluations of the same examples (before and after training),
 * with a 95% percentile interval from a paired bootstrap: resample the examples with replacement,
 * recompute both metrics on the same resample, take the 2.5th and 97.5th percentiles of the
 * differences. The bootstrap rather than a paired t-test because the metrics are not all means of
 * independent per-example values: cross-entropy and token accuracy are ratios weighted by each
 * example's trained tokens, macro F1 is a function of per-label counts; resampling whole examples
 * keeps every example's tokens and counts together and needs no normality. Seeded: the same inputs
 * give the same interval.
 */
public final class PairedBootstrap {
    /** Resamples per interval: the percentiles' Monte-Carlo error is well under the sampling error at 2000. */
    public static final int RESAMPLES = 2000;
    public static final double LEVEL = 0.95;

    private PairedBootstrap() {
    }

    /** What the CLI says about a change. */
    public enum Verdict {
        IMPROVED("improved"), WORSE("worse"), NO_CLEAR_CHANGE("no clear change");

        private final String words;

        Verdict(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }

        /** As a number for the model's metrics: +1 improved, -1 worse, 0 no clear change. */
        public double code() {
            return this == IMPROVED ? 1 : this == WORSE ? -1 : 0;
        }

        public static Verdict ofCode(double code) {
            return code > 0 ? IMPROVED : code < 0 ? WORSE : NO_CLEAR_CHANGE;
        }
    }

    /** after - before on all examples, and the interval of that difference. */
    public record Change(double change, double low, double high, Verdict verdict) {
    }

    public static Change compare(ExampleValues before, ExampleValues after, long seed) {
        return compare(before, after, seed, RESAMPLES);
    }

    public static Change compare(ExampleValues before, ExampleValues after, long seed, int resamples) {
        int n = before.size();
        if (after.size() != n) {
            throw new IllegalArgumentException(before.metric() + ": " + n + " examples before, " + after.size() + " after");
        }
        double change = after.all() - before.all();
        if (n == 0) {
            return new Change(change, change, change, Verdict.NO_CLEAR_CHANGE);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] diffs = new double[resamples];
        int[] idx = new int[n];
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < n; i++) {
                idx[i] = rng.nextInt(n);
            }
            diffs[b] = after.over(idx) - before.over(idx);
        }
        Arrays.sort(diffs);
        double alpha = (1 - LEVEL) / 2;
        double low = quantile(diffs, alpha);
        double high = quantile(diffs, 1 - alpha);
        Verdict v;
        if (low > 0 || high < 0) {
            boolean up = low > 0;
            v = up == after.higherIsBetter() ? Verdict.IMPROVED : Verdict.WORSE;
        } else {
            v = Verdict.NO_CLEAR_CHANGE;
        }
        return new Change(change, low, high, v);
    }

    /** Linear interpolation between order statistics (type 7, R's default). */
    static double quantile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
