package dev.finetune.pii;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Precision and recall of a {@link PiiScanner} on a labelled corpus. A finding counts as a true positive
 * only when its label and its offsets both equal a gold span's (exact match: a phone number found without
 * its area code is a miss and a false alarm); every other finding is a false positive for its label, every
 * unmatched gold span a false negative for its label.
 */
public final class PiiQuality {
    private PiiQuality() {
    }

    /** A gold annotation: {@code label} (e.g. {@code IBAN}) at {@code [start, end)}. */
    public record Span(String label, int start, int end) {
        public Span {
            Objects.requireNonNull(label, "label");
            if (start < 0 || end <= start) {
                throw new IllegalArgumentException("span offsets must satisfy 0 <= start < end, got [" + start + ", " + end + ")");
            }
        }
    }

    /** One labelled text. */
    public record Sample(String text, List<Span> spans) {
        public Sample {
            Objects.requireNonNull(text, "text");
            spans = List.copyOf(spans);
            for (Span s : spans) {
                if (s.end() > text.length()) {
                    throw new IllegalArgumentException("span " + s + " lies outside a text of " + text.length() + " chars");
                }
            }
        }
    }

    /** Counts for one label (or the total). */
    public record Score(String label, int truePositives, int falsePositives, int falseNegatives) {
        /** TP / (TP + FP); 1 when nothing was predicted. */
        public double precision() {
            int p = truePositives + falsePositives;
            return p == 0 ? 1.0 : (double) truePositives / p;
        }

        /** TP / (TP + FN); 1 when there was nothing to find. */
        public double recall() {
            int g = truePositives + falseNegatives;
            return g == 0 ? 1.0 : (double) truePositives / g;
        }

        public double f1() {
            double p = precision();
            double r = recall();
            return p + r == 0 ? 0 : 2 * p * r / (p + r);
        }

        Score plus(Score o) {
            return new Score(label, truePositives + o.truePositives, falsePositives + o.falsePositives,
                    falseNegatives + o.falseNegatives);
        }
    }

    /** One disagreement, for debugging a detector: which sample, and either the missed gold span or the false finding. */
    public record Error(int sample, String kind, String label, int start, int end, String masked) {
    }

    /** Scores by label, the micro-averaged total, and the disagreements. */
    public record Report(Map<String, Score> byLabel, Score overall, List<Error> errors, int samples) {
        public Report {
            byLabel = Collections.unmodifiableMap(new TreeMap<>(byLabel));
            errors = List.copyOf(errors);
        }

        /** A fixed-width table: one row per label and a total row. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%-16s %6s %5s %5s %5s %9s %7s %6s%n",
                    "type", "gold", "tp", "fp", "fn", "precision", "recall", "f1"));
            for (Score s : byLabel.values()) {
                row(sb, s);
            }
            row(sb, overall);
            sb.append(String.format(Locale.ROOT, "(%d samples, exact-span matching)%n", samples));
            return sb.toString();
        }

        private static void row(StringBuilder sb, Score s) {
            sb.append(String.format(Locale.ROOT, "%-16s %6d %5d %5d %5d %9.3f %7.3f %6.3f%n", s.label(),
                    s.truePositives() + s.falseNegatives(), s.truePositives(), s.falsePositives(), s.falseNegatives(),
                    s.precision(), s.recall(), s.f1()));
        }
    }

    /** Runs {@code scanner} over every sample and scores it against the gold spans. */
    public static Report measure(PiiScanner scanner, List<Sample> samples) {
        Map<String, int[]> counts = new TreeMap<>(); // label -> {tp, fp, fn}
        List<Error> errors = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample sample = samples.get(i);
            List<Finding> found = scanner.scan(sample.text());
            Set<Span> gold = new HashSet<>(sample.spans());
            Set<Span> matched = new HashSet<>();
            for (Finding f : found) {
                Span asSpan = new Span(f.label(), f.start(), f.end());
                if (gold.contains(asSpan) && matched.add(asSpan)) {
                    counts.computeIfAbsent(f.label(), k -> new int[3])[0]++;
                } else {
                    counts.computeIfAbsent(f.label(), k -> new int[3])[1]++;
                    errors.add(new Error(i, "false_positive", f.label(), f.start(), f.end(), f.masked()));
                }
            }
            for (Span g : sample.spans()) {
                if (!matched.contains(g)) {
                    counts.computeIfAbsent(g.label(), k -> new int[3])[2]++;
                    errors.add(new Error(i, "false_negative", g.label(), g.start(), g.end(), ""));
                }
            }
        }
        Map<String, Score> byLabel = new TreeMap<>();
        Score total = new Score("OVERALL", 0, 0, 0);
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            int[] c = e.getValue();
            Score s = new Score(e.getKey(), c[0], c[1], c[2]);
            byLabel.put(e.getKey(), s);
            total = total.plus(s);
        }
        return new Report(byLabel, total, errors, samples.size());
    }
}
