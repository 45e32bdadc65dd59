package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.report.ReportPage;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code finetune finetune report ID [--out FILE.html]}: one self-contained HTML page about a fine-tune. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a fine-tune's report: one self-contained HTML page (no network) with the loss and accuracy "
                + "curves, the before/after table with 95%% intervals, the hyperparameters, the dataset's counts and the events.")
final class ReportCommand extends FinetuneCommand.ById {
    @Option(names = "--out", paramLabel = "FILE.html",
            description = "where to write the page (default: report.html in the model's folder)")
    Path outFile;

    @Override
    void run(ClientV2 co, PrintWriter out) throws Exception {
        String html = ReportPage.of(co, id);
        Path f = outFile != null ? outFile : co.finetuning().modelFolder(id).resolve("report.html");
        if (f.toAbsolutePath().getParent() != null) {
            Files.createDirectories(f.toAbsolutePath().getParent());
        }
        Files.writeString(f, html, StandardCharsets.UTF_8);
        out.println(json ? "{\"report\":" + dev.finetune.json.Json.writer().writeValueAsString(f.toAbsolutePath().toString()) + "}"
                : "wrote " + f.toAbsolutePath());
    }
}
