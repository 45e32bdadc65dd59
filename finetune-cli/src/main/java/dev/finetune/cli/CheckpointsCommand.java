package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.finetuning.KeptCheckpoint;
import dev.finetune.json.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code finetune finetune checkpoints ID [--export STEP --out DIR]}: the checkpoints a fine-tune kept. */
@Command(name = "checkpoints", mixinStandardHelpOptions = true,
        description = "List the checkpoints a fine-tune kept (step, metrics; the best is marked), or export one as a model "
                + "folder. Serve one as <id>-ft:ckpt-step-N. How many are kept: -Dfinetune.keptCheckpoints (default 3, "
                + "the best always).")
final class CheckpointsCommand extends FinetuneCommand.ById {
    @Option(names = "--export", paramLabel = "STEP", description = "export the checkpoint of this step as a model folder")
    Integer export;

    @Option(names = "--out", paramLabel = "DIR", description = "where --export writes the folder (default ./<id>-ckpt-step-STEP)")
    Path outDir;

    @Override
    void run(ClientV2 co, PrintWriter out) throws Exception {
        if (export != null) {
            Path dir = co.finetuning().exportCheckpoint(id, export, outDir != null ? outDir : Path.of(id + "-ckpt-step-" + export));
            out.println(json ? "{\"folder\":" + Json.writer().writeValueAsString(dir.toAbsolutePath().toString()) + "}"
                    : "exported checkpoint " + export + " to " + dir.toAbsolutePath());
            return;
        }
        List<KeptCheckpoint> kept = co.finetuning().listCheckpoints(id);
        if (json) {
            out.println(Json.prettyWriter().writeValueAsString(Map.of("checkpoints", kept)));
            return;
        }
        if (kept.isEmpty()) {
            out.println("no checkpoints kept (yet)");
        }
        for (KeptCheckpoint k : kept) {
            StringBuilder sb = new StringBuilder();
            k.metrics().forEach((name, v) -> sb.append(String.format(Locale.ROOT, "  %s=%.4g", name, v)));
            out.printf("step %5d%s  %s%s%n", k.step(), k.best() ? " (best)" : "", k.modelName(id), sb);
        }
    }
}
