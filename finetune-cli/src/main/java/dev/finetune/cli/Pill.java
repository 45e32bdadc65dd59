package dev.finetune.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One before/after pair of a model's metrics as the CLI shows it: {@code baseline_<m>}, {@code <m>},
 * {@code <m>_change} and, when the trainer compared per example, the 95% interval
 * ({@code <m>_change_ci_low/high}) and the verdict ({@code <m>_change_verdict}: +1, -1, 0).
 */
record Pill(String metric, double before, double after, double change, Double low, Double high, String verdict) {

    static boolean isPillKey(String k) {
        return k.endsWith("_change_ci_low") || k.endsWith("_change_ci_high") || k.endsWith("_change_verdict");
    }

    static String words(double code) {
        return code > 0 ? "improved" : code < 0 ? "worse" : "no clear change";
    }

    static List<Pill> of(Map<String, Double> m) {
        List<Pill> out = new ArrayList<>();
        for (Map.Entry<String, Double> e : m.entrySet()) {
            String k = e.getKey();
            if (!k.startsWith("baseline_")) {
                continue;
            }
            String metric = k.substring("baseline_".length());
            Double after = m.get(metric);
            if (after == null) {
                continue;
            }
            Double v = m.get(metric + "_change_verdict");
            out.add(new Pill(metric, e.getValue(), after, after - e.getValue(), m.get(metric + "_change_ci_low"),
                    m.get(metric + "_change_ci_high"), v == null ? "no interval" : words(v)));
        }
        out.sort(java.util.Comparator.comparing(Pill::metric));
        return out;
    }

    @Override
    public String toString() {
        String ci = low == null ? "" : String.format(Locale.ROOT, " [%+.4f, %+.4f]", low, high);
        return String.format(Locale.ROOT, "%-14s %.4f -> %.4f  %+.4f%s  %s", metric, before, after, change, ci, verdict);
    }
}
