package dev.finetune.metrics;

import java.util.List;
import java.util.Set;

/**
 * The classify metrics: accuracy (single-label: exact match; multi-label: the Hamming score, the mean
 * over examples of |predicted ∩ true| / |predicted ∪ true|, 1 when both are empty) and precision, recall
 * and F1 as macro averages over the labels. A label never predicted has precision 0, never present
 * recall 0, and F1 0 when precision + recall is 0 (scikit-learn's zero_division = 0).
 */
public final class ClassificationMetrics {
    private ClassificationMetrics() {
    }

    /** Per-example true and predicted label sets (one element each for single-label). */
    public record Scores(double accuracy, double precision, double recall, double f1) {
    }

    public static Scores of(List<Set<String>> truth, List<Set<String>> predicted, Set<String> labels) {
        if (truth.size() != predicted.size()) {
            throw new IllegalArgumentException("truth and predictions differ in length: " + truth.size() + " vs "
                    + predicted.size());
        }
        int n = truth.size();
        double acc = 0;
        for (int i = 0; i < n; i++) {
            Set<String> t = truth.get(i);
            Set<String> p = predicted.get(i);
            long inter = p.stream().filter(t::contains).count();
            long union = t.size() + p.size() - inter;
            acc += union == 0 ? 1 : (double) inter / union;
        }
        double ps = 0;
        double rs = 0;
        double fs = 0;
        for (String label : labels) {
            int tp = 0;
            int fp = 0;
            int fn = 0;
            for (int i = 0; i < n; i++) {
                boolean inT = truth.get(i).contains(label);
                boolean inP = predicted.get(i).contains(label);
                tp += inT && inP ? 1 : 0;
                fp += !inT && inP ? 1 : 0;
                fn += inT && !inP ? 1 : 0;
            }
            double prec = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
            double rec = tp + fn == 0 ? 0 : (double) tp / (tp + fn);
            ps += prec;
            rs += rec;
            fs += prec + rec == 0 ? 0 : 2 * prec * rec / (prec + rec);
        }
        int L = Math.max(1, labels.size());
        return new Scores(n == 0 ? 0 : acc / n, ps / L, rs / L, fs / L);
    }
}
