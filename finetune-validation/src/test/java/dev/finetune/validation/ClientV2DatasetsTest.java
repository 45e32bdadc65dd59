package dev.finetune.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.ClientV2;
import dev.finetune.NotFoundException;
import dev.finetune.WaitOptions;
import dev.finetune.WaitTimeoutException;
import dev.finetune.WorkspaceException;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetValidationException;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.DatasetsCreateResponse;
import dev.finetune.datasets.DatasetsListRequest;
import dev.finetune.datasets.PiiSummary;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.spi.DatasetValidator;
import dev.finetune.spi.RecordFilter;
import dev.finetune.workspace.DatasetStore;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientV2DatasetsTest {
    @TempDir
    Path dir;

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Duration FAST = Duration.ofMillis(20);

    private ClientV2 client() {
        return ClientV2.builder().workspace(dir.resolve("ws")).validator(new DatasetValidation(WordTokenizer.INSTANCE)).build();
    }

    private static DatasetsCreateRequest chatRequest(String name) {
        return DatasetsCreateRequest.builder().name(name).type(DatasetType.CHAT_FINETUNE_INPUT).build();
    }

    @Test
    void theValidatorIsFoundThroughServiceLoader() {
        assertTrue(ServiceLoader.load(DatasetValidator.class).stream().anyMatch(p -> p.type() == DatasetValidation.class));
    }

    @Test
    void createThenWaitGivesAValidatedDatasetWithStoredPartsAndAnAuditLine() throws Exception {
        Path f = Fixtures.write(dir, "chats.jsonl", Fixtures.chats(10));
        try (ClientV2 co = client()) {
            DatasetsCreateResponse r = co.datasets().create(f, Optional.empty(), chatRequest("support chats"));
            assertTrue(r.id().startsWith("support-chats-"), r.id());
            Dataset d = co.wait(r, WaitOptions.timeout(TIMEOUT).interval(FAST));
            assertEquals(ValidationStatus.VALIDATED, d.validationStatus());
            assertEquals(8, d.finetuneDatasetMetrics().orElseThrow().trainExamples());
            assertEquals(2, d.finetuneDatasetMetrics().orElseThrow().evalExamples());
            Path ds = co.root().resolve("datasets").resolve(r.id());
            assertEquals(8, Files.readAllLines(ds.resolve("train.jsonl")).size());
            assertEquals(2, Files.readAllLines(ds.resolve("eval.jsonl")).size());
            assertFalse(Files.exists(ds.resolve("upload-train.bin")), "the upload is removed unless keepOriginalFile");
            List<JsonNode> audit = co.audit();
            assertEquals(1, audit.size());
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
            assertEquals(sha, audit.get(0).get("train_sha256").asText());
            assertEquals("create", audit.get(0).get("action").asText());
        }
    }

    @Test
    void waitOnAFailedDatasetThrowsWithTheDatasetAndItsError() throws Exception {
        Path f = Fixtures.write(dir, "chats.csv", List.of("role,content", "User,hi"));
        try (ClientV2 co = client()) {
            DatasetsCreateResponse r = co.datasets().create(f, Optional.empty(), chatRequest("csv"));
            DatasetValidationException e = assertThrows(DatasetValidationException.class, () -> co.wait(r, WaitOptions.timeout(TIMEOUT).interval(FAST)));
            assertEquals(ValidationStatus.FAILED, e.status());
            assertEquals(r.id(), e.dataset().id());
            assertTrue(e.validationError().orElseThrow().startsWith("line 1 is not a JSON object: chat-finetune-input"));
            assertTrue(e.getMessage().contains(e.validationError().get()));
        }
    }

    @Test
    void datasetsSurviveAReopenOfTheWorkspace() throws Exception {
        Path f = Fixtures.write(dir, "chats.jsonl", Fixtures.chats(4));
        Dataset before;
        try (ClientV2 co = client()) {
            before = co.wait(co.datasets().create(f, Optional.empty(), chatRequest("keep me")), WaitOptions.timeout(TIMEOUT).interval(FAST));
        }
        try (ClientV2 co = client()) {
            assertEquals(before, co.datasets().get(before.id()).dataset());
        }
    }

    @Test
    void reopeningRemovesAnUploadLeftBehindByACrashAfterValidation() throws Exception {
        Path f = Fixtures.write(dir, "chats.jsonl", Fixtures.chats(4));
        Path upload;
        try (ClientV2 co = client()) {
            Dataset d = co.wait(co.datasets().create(f, Optional.empty(), chatRequest("tidy")), WaitOptions.timeout(TIMEOUT).interval(FAST));
            upload = co.root().resolve("datasets").resolve(d.id()).resolve("upload-train.bin");
        }
        Files.copy(f, upload);
        try (ClientV2 co = client()) {
            assertFalse(Files.exists(upload));
        }
    }

    @Test
    void aSecondClientOnTheSameWorkspaceIsRefused() {
        try (ClientV2 co = client()) {
            WorkspaceException e = assertThrows(WorkspaceException.class, this::client);
            assertTrue(e.getMessage().contains("is in use by another finetune process"), e.getMessage());
        }
    }

    @Test
    void listPagesNewestFirstAndDeleteRemoves() throws Exception {
        Path f = Fixtures.write(dir, "chats.jsonl", Fixtures.chats(4));
        try (ClientV2 co = client()) {
            for (int i = 0; i < 3; i++) {
                co.wait(co.datasets().create(f, Optional.empty(), chatRequest("d" + i)), WaitOptions.timeout(TIMEOUT).interval(FAST));
                Thread.sleep(5); // distinct creation times
            }
            List<Dataset> page1 = co.datasets().list(DatasetsListRequest.builder().limit(2).build()).datasets();
            List<Dataset> page2 = co.datasets().list(DatasetsListRequest.builder().limit(2).offset(2).build()).datasets();
            assertEquals(List.of("d2", "d1"), page1.stream().map(Dataset::name).toList());
            assertEquals(List.of("d0"), page2.stream().map(Dataset::name).toList());
            assertEquals(0, co.datasets().list(DatasetsListRequest.builder().datasetType(DatasetType.RERANKER_FINETUNE_INPUT).build())
                    .datasets().size());
            String id = page2.get(0).id();
            co.datasets().delete(id);
            assertThrows(NotFoundException.class, () -> co.datasets().get(id));
            assertEquals(2, co.datasets().list().datasets().size());
            assertEquals("delete", co.audit().get(3).get("action").asText());
        }
    }

    @Test
    void createFromAStreamAndKeepTheOriginalFile() throws Exception {
        byte[] bytes = (String.join("\n", Fixtures.chats(3)) + "\n").getBytes(StandardCharsets.UTF_8);
        try (ClientV2 co = client()) {
            DatasetsCreateResponse r = co.datasets().create(new ByteArrayInputStream(bytes), Optional.empty(),
                    DatasetsCreateRequest.builder().name("s").type(DatasetType.CHAT_FINETUNE_INPUT).keepOriginalFile(true).build());
            co.wait(r, WaitOptions.timeout(TIMEOUT).interval(FAST));
            assertTrue(java.util.Arrays.equals(bytes,
                    Files.readAllBytes(co.root().resolve("datasets").resolve(r.id()).resolve("upload-train.bin"))));
        }
    }

    @Test
    void everyRecordPassesThroughTheRecordFilterBeforeStorage() throws Exception {
        Path f = Fixtures.write(dir, "chats.jsonl", List.of(Fixtures.chat("User", "my secret", "Chatbot", "ok"),
                Fixtures.chat("User", "hello", "Chatbot", "hi"), Fixtures.chat("User", "drop me", "Chatbot", "x")));
        RecordFilter redactor = new RecordFilter() {
            long changed;

            @Override
            public Decision apply(String part, long line, JsonNode record) {
                String text = record.toString();
                if (text.contains("drop me")) {
                    return Decision.drop("policy");
                }
                if (text.contains("secret")) {
                    changed++;
                    ObjectNode copy = record.deepCopy();
                    ((ObjectNode) copy.at("/messages/0")).put("content", "my [REDACTED]");
                    return Decision.keep(copy);
                }
                return Decision.keep(record);
            }

            @Override
            public Optional<PiiSummary> summary() {
                return Optional.of(new PiiSummary(Optional.of("redact"), Map.of("SECRET", changed), changed, 1));
            }
        };
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).validator(new DatasetValidation(WordTokenizer.INSTANCE))
                .recordFilters(() -> redactor).build()) {
            Dataset d = co.wait(co.datasets().create(f, Optional.empty(), chatRequest("pii")), WaitOptions.timeout(TIMEOUT).interval(FAST));
            Path ds = co.root().resolve("datasets").resolve(d.id());
            String stored = Files.readString(ds.resolve("train.jsonl")) + Files.readString(ds.resolve("eval.jsonl"));
            assertFalse(stored.contains("secret"), stored);
            assertFalse(stored.contains("drop me"), stored);
            assertTrue(stored.contains("[REDACTED]"), stored);
            assertEquals(Map.of("SECRET", 1L), d.pii().orElseThrow().findingsByType());
            assertTrue(d.validationWarnings().contains("train line 3 dropped before storage: policy"), d.validationWarnings().toString());
            assertEquals(1L, co.audit().get(0).at("/pii_findings/SECRET").asLong());
        }
    }

    @Test
    void waitTimesOutWithTheDocumentedMessageAndAnInterruptedValidationResumesOnReopen() throws Exception {
        Path f = Fixtures.write(dir, "chats.jsonl", Fixtures.chats(4));
        CountDownLatch never = new CountDownLatch(1);
        DatasetValidator stuck = job -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
            throw new AssertionError("unreachable");
        };
        String id;
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).validator(stuck).build()) {
            DatasetsCreateResponse r = co.datasets().create(f, Optional.empty(), chatRequest("slow"));
            id = r.id();
            WaitTimeoutException e = assertThrows(WaitTimeoutException.class, () -> co.wait(r, WaitOptions.timeout(Duration.ofSeconds(1)).interval(FAST)));
            assertEquals("wait timed out after 1 seconds", e.getMessage());
        }
        try (ClientV2 co = client()) {
            assertEquals(ValidationStatus.VALIDATED, co.wait(co.datasets().get(id).dataset(), WaitOptions.timeout(TIMEOUT)).validationStatus());
            assertTrue(Files.exists(co.root().resolve("datasets").resolve(id).resolve(DatasetStore.DATASET_FILE)));
        }
    }
}
