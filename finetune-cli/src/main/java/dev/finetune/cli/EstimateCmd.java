package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.finetuning.Estimate;
import dev.finetune.json.Json;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code finetune finetune estimate}: what {@code create} would cost here, with the same flags; creates nothing. */
@Command(name = "estimate", mixinStandardHelpOptions = true,
        description = "Estimate a fine-tune before running it (same flags as create): steps, trainable tokens, "
                + "peak memory, and the time from a few seconds of real steps on this machine. Creates nothing.")
final class EstimateCmd extends FinetuneCommand.RequestOptions {

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ClientV2 co = parent.open()) {
            Estimate e = co.finetuning().estimate(request());
            if (json) {
                out.println(Json.prettyWriter().writeValueAsString(e));
            } else {
                print(out, e);
            }
            out.flush();
            return e.fits() ? 0 : 1;
        }
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : String.format(Locale.ROOT, "%.1fs", seconds);
    }

    static void print(PrintWriter out, Estimate e) {
        out.printf(Locale.ROOT, "estimate: %d steps (%d epochs of %d, batch %d, %d rows per pass)%n", e.steps(), e.epochs(),
                e.stepsPerEpoch(), e.batchSize(), e.microBatch());
        out.printf(Locale.ROOT, "  examples           %d train, %d eval; %d cut by the context%n", e.trainExamples(),
                e.evalExamples(), e.examplesTruncated());
        out.printf(Locale.ROOT, "  trainable tokens   %d per epoch, %d in the run; padding %.1f%% of %d positions%n",
                e.trainableTokens(), e.trainedTokens(), 100 * e.paddingShare(), e.processedTokens());
        StringBuilder parts = new StringBuilder();
        for (Map.Entry<String, Long> m : e.memory().entrySet()) {
            parts.append(parts.length() == 0 ? "" : ", ").append(m.getKey()).append(' ').append(mib(m.getValue()));
        }
        out.printf(Locale.ROOT, "  peak memory        %s of %s heap%s%n", mib(e.peakMemoryBytes()), mib(e.heapMaxBytes()),
                e.fits() ? "" : "  -- DOES NOT FIT: give the JVM more heap (-Xmx, FINETUNE_JAVA_OPTS) or lower --batch-size");
        out.println("                     (" + parts + ")");
        e.seconds().ifPresentOrElse(s -> out.printf(Locale.ROOT,
                "  time               about %s (%.3f s per step, %.2f s per evaluation x %d), from %d real steps measured in %.1f s here%n",
                duration(s), e.secondsPerStep().orElse(0.0), e.evaluationSeconds().orElse(0.0), e.evaluations(), e.measuredSteps(),
                e.measuredSeconds()), () -> out.println("  time               not measured (the run does not fit)"));
    }
}
