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
    void theConfidenceThresholdLeavesContextLoweredFindingsAlone(@TempDir Path dir) throws Exception {
        // "account" before a card number lowers its confidence below 0.8 (but not below the default 0.5)
        Path f = dir.resolve("data.jsonl");
        Files.write(f, List.of("{\"text\":\"my account: 4111 1111 1111 1111\"}"));
        assertEquals(0, run("pii", "scan", "--json", f.toString()));
        assertTrue(out.toString().contains("\"CREDIT_CARD\" : 1"), out.toString());
        out.getBuffer().setLength(0);
        assertEquals(0, run("pii", "scan", "--json", "--min-confidence", "0.8", f.toString()));
        assertFalse(out.toString().contains("CREDIT_CARD"), out.toString());
        out.getBuffer().setLength(0);
        assertEquals(2, run("pii", "scan", "--min-confidence", "1.5", f.toString()));

        Path chat = dir.resolve("chat.jsonl");
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            rows.append("{\"messages\":[{\"role\":\"User\",\"content\":\"my account: 4111 1111 1111 1111, question ").append(i)
                    .append("\"},{\"role\":\"Chatbot\",\"content\":\"answer ").append(i).append("\"}]}\n");
        }
        Files.writeString(chat, rows);
        out.getBuffer().setLength(0);
        assertEquals(0, run("validate", "--type", "chat-finetune-input", "--json", chat.toString()));
        assertTrue(out.toString().contains("CREDIT_CARD"), out.toString());
        out.getBuffer().setLength(0);
        assertEquals(0, run("validate", "--type", "chat-finetune-input", "--json", "--pii-min-confidence", "0.8", chat.toString()));
        assertFalse(out.toString().contains("CREDIT_CARD"), out.toString());
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
