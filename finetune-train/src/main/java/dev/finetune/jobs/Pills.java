package dev.finetune.jobs;

import dev.finetune.metrics.ExampleValues;
import dev.finetune.metrics.PairedBootstrap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The before/after "pills" with confidence: for every metric evaluated per example both on the base
 * model and on the fine-tune, {@code <metric>_change_ci_low} and {@code <metric>_change_ci_high} (the
 * 95% paired-bootstrap interval of after - before, see {@link PairedBootstrap}) and
 * {@code <metric>_change_verdict}: +1 improved, -1 worse, 0 no clear change (the interval holds 0).
 * The change itself stays {@code <metric>_change}, the difference of the aggregate metrics.
 */
final class Pills {
    private Pills() {
    }

    static Map<String, Double> of(List<ExampleValues> before, List<ExampleValues> after, long seed) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (before == null) {
            return out;
        }
        for (ExampleValues a : after) {
            for (ExampleValues b : before) {
                if (b.metric().equals(a.metric()) && b.size() == a.size()) {
                    PairedBootstrap.Change c = PairedBootstrap.compare(b, a, seed);
                    out.put(a.metric() + "_change_ci_low", c.low());
                    out.put(a.metric() + "_change_ci_high", c.high());
                    out.put(a.metric() + "_change_verdict", c.verdict().code());
                }
            }
        }
        return out;
    }
}
