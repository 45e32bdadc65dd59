package dev.finetune.cli;

import dev.finetune.datasets.Dataset;
import dev.finetune.validation.PartSummary;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** Prints a dataset like the service's "Review data" page: status, per-part counts, token percentiles, warnings, samples. */
final class Review {
    private Review() {
    }

    static void print(PrintWriter out, String file, Dataset d, List<PartSummary> parts) {
        out.printf(Locale.ROOT, "Review data: %s (%s)%n", file, d.datasetType());
        out.printf(Locale.ROOT, "Status: %s%n", d.validationStatus());
        d.validationError().ifPresent(e -> out.printf(Locale.ROOT, "Error: %s%n", e));
        if (!parts.isEmpty()) {
            out.println();
            out.printf(Locale.ROOT, "%-28s", "");
            parts.forEach(p -> out.printf(Locale.ROOT, "%12s", p.name()));
            out.println();
            row(out, "Examples", parts, p -> String.valueOf(p.examples()));
            row(out, "Turns", parts, p -> String.valueOf(p.turns()));
            row(out, "Avg turns per conversation", parts, p -> String.format(Locale.ROOT, "%.2f", p.averageTurns()));
            row(out, "Tokens", parts, p -> String.valueOf(p.tokens()));
            row(out, "Tokens per example p50", parts, p -> String.valueOf(p.tokensP50()));
            row(out, "Tokens per example p90", parts, p -> String.valueOf(p.tokensP90()));
            row(out, "Tokens per example p99", parts, p -> String.valueOf(p.tokensP99()));
            row(out, "Tokens per example max", parts, p -> String.valueOf(p.tokensMax()));
            row(out, "Size (bytes)", parts, p -> String.valueOf(p.sizeBytes()));
        }
        if (!d.validationWarnings().isEmpty()) {
            out.println();
            out.println(d.validationError().isPresent() ? "Other errors and warnings:" : "Warnings:");
            d.validationWarnings().forEach(w -> out.println("  - " + w));
        }
        for (PartSummary p : parts) {
            if (!p.samples().isEmpty()) {
                out.println();
                out.println("Samples (" + p.name() + "):");
                p.samples().forEach(s -> out.println("  " + (s.length() > 300 ? s.substring(0, 300) + "..." : s)));
            }
        }
        out.flush();
    }

    private static void row(PrintWriter out, String label, List<PartSummary> parts,
            java.util.function.Function<PartSummary, String> cell) {
        out.printf(Locale.ROOT, "%-28s", label);
        parts.forEach(p -> out.printf(Locale.ROOT, "%12s", cell.apply(p)));
        out.println();
    }
}
