package dev.finetune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.json.Json;
import dev.finetune.workspace.Workspace;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finetune audit}: the workspace's append-only upload audit (create, delete, purge), read
 * without taking the workspace lock. A torn last line (a crash mid-append) is skipped and said.
 */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Print the workspace's dataset audit trail.")
public final class AuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    WorkspaceOption workspace;

    @Option(names = "--json", description = "print the records as JSON lines (one JSON object a line)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        // reads the file only: no lock, no client, no job runner
        Path file = workspace.root().resolve(Workspace.AUDIT_FILE);
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.isRegularFile(file)) {
            out.println("no audit records (" + file + " does not exist)");
            out.flush();
            return 0;
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode a;
                try {
                    a = Json.reader().readTree(line);
                } catch (Exception e) {
                    spec.commandLine().getErr().println("warning: " + file + " line " + n + " is incomplete (skipped)");
                    continue;
                }
                if (json) {
                    out.println(Json.writer().writeValueAsString(a));
                } else {
                    out.printf("%s %-6s %s %-20s %-10s %s%s%s%n", a.path("time").asText(), a.path("action").asText(),
                            a.path("dataset_id").asText(), a.path("dataset_name").asText(""),
                            a.path("os_user").asText(""), a.path("validation_status").asText(""),
                            a.has("pii_findings") ? " pii=" + a.get("pii_findings") + " policy=" + a.path("pii_policy").asText() : "",
                            a.has("retain_until") ? " retain_until=" + a.path("retain_until").asText() : "");
                }
            }
        }
        out.flush();
        return 0;
    }
}
