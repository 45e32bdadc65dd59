package dev.finetune.pii;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetValidationException;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.PiiPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PII step on real uploads through ClientV2: what reaches the workspace, the record and the audit. */
class PiiUploadTest {
    static final String EMAIL = "jane.doe@example.com";
    static final String SSN = "536-22-1945";

    static Path chatFile(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String user = i == 1 ? "Mail me at " + EMAIL + " please" : i == 4 ? "my SSN is " + SSN : "What is " + i + "+" + i + "?";
            lines.add("{\"messages\":[{\"role\":\"User\",\"content\":\"" + user + "\"},{\"role\":\"Chatbot\",\"content\":\"" + (2 * i)
                    + ".\"}]}");
        }
        Path f = dir.resolve("chats.jsonl");
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    static boolean workspaceContains(Path ws, String value) throws IOException {
        try (Stream<Path> s = Files.walk(ws)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                if (new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains(value)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Dataset upload(ClientV2 co, Path file, PiiPolicy policy, boolean pseudonyms) {
        return co.wait(co.datasets().create(file, Optional.empty(), DatasetsCreateRequest.builder().name("chats")
                .type(DatasetType.CHAT_FINETUNE_INPUT).piiPolicy(policy).piiPseudonyms(pseudonyms).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(50)));
    }

    @Test
    void redactsByDefaultBeforeAnythingIsStored(@TempDir Path dir) throws IOException {
        Path ws = dir.resolve("ws");
        try (ClientV2 co = ClientV2.builder().workspace(ws).build()) {
            Dataset d = co.wait(co.datasets().create(chatFile(dir), Optional.empty(), DatasetsCreateRequest.builder()
                    .name("chats").type(DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(50)));
            assertEquals("REDACT", d.pii().orElseThrow().policy().orElseThrow());
            assertEquals(1L, d.pii().orElseThrow().findingsByType().get("EMAIL_ADDRESS"));
            assertEquals(1L, d.pii().orElseThrow().findingsByType().get("US_SSN"));
            assertTrue(d.validationWarnings().stream().anyMatch(w -> w.contains("redacted") && w.contains("EMAIL_ADDRESS")),
                    d.validationWarnings().toString());
        }
        assertFalse(workspaceContains(ws, EMAIL), "the email reached the workspace");
        assertFalse(workspaceContains(ws, SSN), "the SSN reached the workspace");
        assertTrue(workspaceContains(ws, "<EMAIL_ADDRESS>"));
        String audit = Files.readString(ws.resolve("audit.jsonl"));
        assertTrue(audit.contains("EMAIL_ADDRESS") && audit.contains("\"pii_policy\":\"REDACT\""), audit);
    }

    @Test
    void rejectFailsWithCountsAndLocationsAndKeepsNoData(@TempDir Path dir) throws IOException {
        Path ws = dir.resolve("ws");
        try (ClientV2 co = ClientV2.builder().workspace(ws).build()) {
            DatasetValidationException e = assertThrows(DatasetValidationException.class,
                    () -> upload(co, chatFile(dir), PiiPolicy.REJECT, false));
            String error = e.dataset().validationError().orElseThrow();
            assertTrue(error.startsWith("dataset contains personal data and the pii policy is REJECT: 1 EMAIL_ADDRESS, 1 US_SSN"),
                    error);
            assertTrue(error.contains("train line 2"), error);
            assertFalse(error.contains(EMAIL) || error.contains(SSN), error);
        }
        assertFalse(workspaceContains(ws, EMAIL), "rejected data reached the workspace");
    }

    @Test
    void warnKeepsValuesAndSaysSo(@TempDir Path dir) throws IOException {
        Path ws = dir.resolve("ws");
        try (ClientV2 co = ClientV2.builder().workspace(ws).build()) {
            Dataset d = upload(co, chatFile(dir), PiiPolicy.WARN, false);
            assertTrue(d.validationWarnings().stream().anyMatch(w -> w.contains("pii policy WARN") && w.contains("US_SSN")),
                    d.validationWarnings().toString());
        }
        assertTrue(workspaceContains(ws, EMAIL));
        assertFalse(Files.readString(ws.resolve("audit.jsonl")).contains(EMAIL));
    }

    @Test
    void pseudonymsAreConsistentWithinAWorkspace(@TempDir Path dir) throws IOException {
        Path ws = dir.resolve("ws");
        try (ClientV2 co = ClientV2.builder().workspace(ws).build()) {
            Dataset a = upload(co, chatFile(dir), PiiPolicy.REDACT, true);
            Dataset b = upload(co, chatFile(dir), PiiPolicy.REDACT, true);
            String ta = Files.readString(ws.resolve("datasets").resolve(a.id()).resolve("train.jsonl"))
                    + Files.readString(ws.resolve("datasets").resolve(a.id()).resolve("eval.jsonl"));
            String tb = Files.readString(ws.resolve("datasets").resolve(b.id()).resolve("train.jsonl"))
                    + Files.readString(ws.resolve("datasets").resolve(b.id()).resolve("eval.jsonl"));
            assertEquals(ta, tb);
            assertFalse(ta.contains(EMAIL));
            assertFalse(ta.contains("<EMAIL_ADDRESS>"), "pseudonyms, not tags");
        }
        assertTrue(Files.size(ws.resolve(PseudonymKey.FILE)) == 32);
    }

    @Test
    void retentionPurgesEveryFileOnTheNextOpenAndAuditsIt(@TempDir Path dir) throws IOException {
        Path ws = dir.resolve("ws");
        java.time.Instant t0 = java.time.Instant.parse("2026-01-01T00:00:00Z");
        String id;
        try (ClientV2 co = ClientV2.builder().workspace(ws).clock(java.time.Clock.fixed(t0, java.time.ZoneOffset.UTC)).build()) {
            id = co.wait(co.datasets().create(chatFile(dir), Optional.empty(), DatasetsCreateRequest.builder().name("chats")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).retentionDays(1).keepOriginalFile(true).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(50))).id();
            assertTrue(Files.readString(ws.resolve("audit.jsonl")).contains("\"retain_until\":\"2026-01-02T00:00:00Z\""));
        }
        java.time.Instant later = t0.plus(Duration.ofDays(1)).minusSeconds(1);
        try (ClientV2 co = ClientV2.builder().workspace(ws).clock(java.time.Clock.fixed(later, java.time.ZoneOffset.UTC)).build()) {
            assertEquals(1, co.datasets().list().datasets().size(), "not yet due");
        }
        java.time.Instant due = t0.plus(Duration.ofDays(2));
        try (ClientV2 co = ClientV2.builder().workspace(ws).clock(java.time.Clock.fixed(due, java.time.ZoneOffset.UTC)).build()) {
            assertTrue(co.datasets().list().datasets().isEmpty());
        }
        assertFalse(Files.exists(ws.resolve("datasets").resolve(id)));
        assertFalse(workspaceContains(ws.resolve("datasets"), "What is"));
        assertTrue(Files.readString(ws.resolve("audit.jsonl")).contains("\"action\":\"purge\""));
    }

    @Test
    void aValueTheWordsMakeLessLikelyIsRedactedByDefaultAndKeptOnlyAboveAHigherThreshold(@TempDir Path dir) throws IOException {
        String card = "4111 1111 1111 1111";
        Path f = dir.resolve("account.jsonl");
        Files.write(f, List.of(
                "{\"messages\":[{\"role\":\"User\",\"content\":\"Please update my account: " + card + ".\"},"
                        + "{\"role\":\"Chatbot\",\"content\":\"Done.\"}]}",
                "{\"messages\":[{\"role\":\"User\",\"content\":\"Thanks\"},{\"role\":\"Chatbot\",\"content\":\"Welcome.\"}]}"));
        Path byDefault = dir.resolve("default");
        try (ClientV2 co = ClientV2.builder().workspace(byDefault).build()) {
            Dataset d = co.wait(co.datasets().create(f, Optional.empty(), DatasetsCreateRequest.builder().name("account")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(50)));
            assertEquals(1L, d.pii().orElseThrow().findingsByType().get("CREDIT_CARD"));
        }
        assertFalse(workspaceContains(byDefault, card), "the card reached the workspace");
        Path strict = dir.resolve("strict");
        try (ClientV2 co = ClientV2.builder().workspace(strict).build()) {
            co.wait(co.datasets().create(f, Optional.empty(), DatasetsCreateRequest.builder().name("account")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).piiMinConfidence(0.8).build()),
                    WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(50)));
        }
        assertTrue(workspaceContains(strict, card), "a threshold above the lowered confidence keeps the value, as documented");
        assertThrows(dev.finetune.BadRequestException.class, () -> DatasetsCreateRequest.builder().name("x")
                .type(DatasetType.CHAT_FINETUNE_INPUT).piiMinConfidence(1.5));
    }

    @Test
    void userSuppliedPatternsAreRedactedToo(@TempDir Path dir) throws IOException {
        Path ws = dir.resolve("ws");
        Path f = dir.resolve("orders.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            lines.add("{\"messages\":[{\"role\":\"User\",\"content\":\"where is ACCT-00" + i + "77?\"},"
                    + "{\"role\":\"Chatbot\",\"content\":\"shipped\"}]}");
        }
        Files.write(f, lines);
        try (ClientV2 co = ClientV2.builder().workspace(ws).build()) {
            Dataset d = co.wait(co.datasets().create(f, Optional.empty(), DatasetsCreateRequest.builder().name("orders")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).piiCustomPattern("ACCOUNT", "ACCT-\\d{5}").build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(50)));
            assertEquals(4L, d.pii().orElseThrow().findingsByType().get("CUSTOM_ACCOUNT"));
        }
        assertFalse(workspaceContains(ws.resolve("datasets"), "ACCT-00"));
        assertThrows(dev.finetune.BadRequestException.class, () -> DatasetsCreateRequest.builder().name("x")
                .type(DatasetType.CHAT_FINETUNE_INPUT).piiCustomPattern("BAD", "(unclosed"));
    }
}
