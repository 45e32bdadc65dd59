package dev.finetune.metrics;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One evaluation metric as per-example parts, so that a paired resample can recompute it: the metric
 * of a set of examples is {@link Reduce#apply} of the sums of their parts. Means have one part per
 * example; ratios (mean cross-entropy per trained token, token accuracy) two, numerator and
 * denominator; macro precision, recall and F1 three per label (true positives, false positives, false
 * negatives), label by label.
 *
 * @param metric         the metric's key in the evaluation ({@code accuracy}, {@code mrr@10}, ...)
 * @param reduce         how summed parts make the metric
 * @param higherIsBetter the direction of an improvement
 * @param parts          (examples, parts per example)
 */
public record ExampleValues(@JsonProperty("metric") String metric, @JsonProperty("reduce") Reduce reduce,
                            @JsonProperty("higher_is_better") boolean higherIsBetter,
                            @JsonProperty("parts") double[][] parts) {

    /** How the summed parts of a set of examples make the metric. */
    public enum Reduce {
        /** One part per example: the mean. */
        MEAN,
        /** Two parts: sum of the first over sum of the second (0 when that is 0). */
        RATIO,
        /** Three parts per label (tp, fp, fn): the macro mean of precision (0 for a label never predicted). */
        MACRO_PRECISION,
        /** The macro mean of recall (0 for a label never present). */
        MACRO_RECALL,
        /** The macro mean of F1 (0 where precision + recall is 0). */
        MACRO_F1;

        /** The metric of {@code n} examples whose parts sum to {@code sums}. */
        public double apply(double[] sums, int n) {
            switch (this) {
                case MEAN:
                    return n == 0 ? 0 : sums[0] / n;
                case RATIO:
                    return sums[1] == 0 ? 0 : sums[0] / sums[1];
                default:
                    int labels = sums.length / 3;
                    double total = 0;
                    for (int l = 0; l < labels; l++) {
                        double tp = sums[3 * l];
                        double fp = sums[3 * l + 1];
                        double fn = sums[3 * l + 2];
                        double p = tp + fp == 0 ? 0 : tp / (tp + fp);
                        double r = tp + fn == 0 ? 0 : tp / (tp + fn);
                        total += this == MACRO_PRECISION ? p : this == MACRO_RECALL ? r : p + r == 0 ? 0 : 2 * p * r / (p + r);
                    }
                    return total / Math.max(1, labels);
            }
        }
    }

    public int size() {
        return parts.length;
    }

    /** The metric over the examples {@code idx} (repeats allowed, as in a resample). */
    public double over(int[] idx) {
        int k = parts.length == 0 ? 0 : parts[0].length;
        double[] sums = new double[k];
        for (int i : idx) {
            double[] p = parts[i];
            for (int j = 0; j < k; j++) {
                sums[j] += p[j];
            }
        }
        return reduce.apply(sums, idx.length);
    }

    /** The metric over every example. */
    public double all() {
        int[] idx = new int[parts.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        return over(idx);
    }

    /** Parts for a mean: one value per example. */
    public static ExampleValues mean(String metric, boolean higherIsBetter, double[] values) {
        double[][] p = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            p[i] = new double[] {values[i]};
        }
        return new ExampleValues(metric, Reduce.MEAN, higherIsBetter, p);
    }
}
