package dev.finetune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the command line in this JVM as {@code ./finetune} would (Main's exit statuses) and keeps what it printed. */
final class Cli {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** The exit status of {@code ./finetune ARGS}; stdout and stderr of this run only. */
    int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    String out() {
        return out.toString();
    }

    String err() {
        return err.toString();
    }

    /** Both streams, for assertion messages. */
    String both() {
        return "stdout:\n" + out + "\nstderr:\n" + err;
    }

    /** Standard output as one JSON document. */
    JsonNode json() throws Exception {
        return Json.reader().readTree(out.toString());
    }
}
