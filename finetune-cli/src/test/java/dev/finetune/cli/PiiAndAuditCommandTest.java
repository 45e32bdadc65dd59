package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PiiAndAuditCommandTest {
    private final StringWriter out = new StringWriter();

    private int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(new StringWriter()));
        return cli.execute(args);
    }

    @Test
    void scanReportsTypesAndPlacesNeverValues(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("data.jsonl");
        Files.write(f, List.of("{\"text\":\"write to jane.doe@example.com\"}", "SSN 536-22-1945 here", "clean"));
        assertEquals(0, run("pii", "scan", "--json", f.toString()));
        String s = out.toString();
        assertTrue(s.contains("\"EMAIL_ADDRESS\" : 1") && s.contains("\"US_SSN\" : 1"), s);
        assertTrue(s.contains("\"field\" : \"text\""), s);
        assertFalse(s.contains("jane.doe") || s.contains("536-22-1945"), s);
    }

    @Test
    void auditPrintsRecordsAndSkipsATornLastLine(@TempDir Path dir) throws Exception {
        Path ws = dir.resolve("ws");
        assertEquals(0, run("audit", "--workspace", ws.toString()));
        assertTrue(out.toString().contains("no audit records"));
        Files.createDirectories(ws);
        Files.writeString(ws.resolve("audit.jsonl"), "{\"time\":\"t\",\"action\":\"create\",\"dataset_id\":\"d-1\"}\n{\"time\":\"t\",\"act");
        out.getBuffer().setLength(0);
        assertEquals(0, run("audit", "--json", "--workspace", ws.toString()));
        assertEquals(1, out.toString().strip().lines().count(), out.toString());
        assertTrue(out.toString().contains("d-1"));
    }
}
