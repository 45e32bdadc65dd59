package dev.finetune.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.NotFoundException;
import dev.finetune.WorkspaceException;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceTest {
    @TempDir
    Path root;

    private static void stage(Workspace ws, String id) {
        Path s = ws.datasets().stagingDir(id);
        DatasetStore.writeJson(s.resolve(DatasetStore.DATASET_FILE),
                Dataset.processing(id, "n", DatasetType.CHAT_FINETUNE_INPUT, Instant.parse("2025-01-01T00:00:00Z")));
        ws.datasets().publish(id);
    }

    @Test
    void createsTheDocumentedLayout() {
        try (Workspace ws = Workspace.open(root)) {
            for (String d : List.of("datasets", "models", "base-models")) {
                assertTrue(Files.isDirectory(root.resolve(d)), d);
            }
            assertTrue(Files.exists(root.resolve(".lock")));
        }
    }

    @Test
    void aDatasetSurvivesReopen() {
        try (Workspace ws = Workspace.open(root)) {
            stage(ws, "a-1");
        }
        try (Workspace ws = Workspace.open(root)) {
            Dataset d = ws.datasets().get("a-1");
            assertEquals("n", d.name());
            assertEquals(List.of(d), ws.datasets().list());
        }
    }

    @Test
    void aSecondOpenOfTheSameWorkspaceGetsAClearError() {
        try (Workspace ws = Workspace.open(root)) {
            WorkspaceException e = assertThrows(WorkspaceException.class, () -> Workspace.open(root));
            assertTrue(e.getMessage().startsWith("workspace " + root.toAbsolutePath().normalize()
                    + " is in use by another finetune process (this process, pid " + ProcessHandle.current().pid() + ")"),
                    e.getMessage());
        }
        Workspace.open(root).close(); // released on close
    }

    @Test
    void recoveryRemovesStagingHalfWrittenAndTemporaries() throws IOException {
        try (Workspace ws = Workspace.open(root)) {
            stage(ws, "whole-1");
        }
        Path ds = root.resolve("datasets");
        Files.createDirectories(ds.resolve(".staging-x-1"));
        Files.writeString(ds.resolve(".staging-x-1/upload-train.bin"), "half");
        Files.createDirectories(ds.resolve("nojson-1"));
        Files.writeString(ds.resolve("whole-1/.train.jsonl.tmp-abc"), "torn");
        Files.createDirectories(ds.resolve(".deleting-old-1"));
        try (Workspace ws = Workspace.open(root)) {
            assertFalse(Files.exists(ds.resolve(".staging-x-1")));
            assertFalse(Files.exists(ds.resolve("nojson-1")));
            assertFalse(Files.exists(ds.resolve(".deleting-old-1")));
            assertFalse(Files.exists(ds.resolve("whole-1/.train.jsonl.tmp-abc")));
            assertEquals(1, ws.datasets().list().size());
            assertEquals(1, ws.datasets().interrupted().size(), "still processing: to be validated again");
        }
    }

    @Test
    void deleteRemovesTheDatasetAndUnknownIdsAreNotFound() {
        try (Workspace ws = Workspace.open(root)) {
            stage(ws, "gone-1");
            ws.datasets().delete("gone-1");
            assertTrue(ws.datasets().read("gone-1").isEmpty());
            assertThrows(NotFoundException.class, () -> ws.datasets().delete("gone-1"));
            assertThrows(NotFoundException.class, () -> ws.datasets().get("../../etc"));
        }
    }

    @Test
    void atomicWriteReplacesWholeFilesAndLeavesNoTemporary() throws IOException {
        Path f = root.resolve("x.json");
        AtomicWrite.writeBytes(f, "one".getBytes());
        assertThrows(IOException.class, () -> AtomicWrite.write(f, out -> {
            out.write("tw".getBytes());
            throw new IOException("disk full");
        }));
        assertEquals("one", Files.readString(f));
        try (var s = Files.list(root)) {
            assertEquals(List.of(f), s.toList());
        }
    }

    @Test
    void auditLinesAreAppended() {
        try (Workspace ws = Workspace.open(root)) {
            ws.appendAudit(dev.finetune.json.Json.object().put("action", "create"));
            ws.appendAudit(dev.finetune.json.Json.object().put("action", "delete"));
            assertEquals(2, ws.readAudit().size());
        }
    }

    @Test
    void defaultRootHonoursFinetuneHome() {
        assertEquals(Path.of("/data/ft"), Workspace.defaultRoot(Map.of("FINETUNE_HOME", "/data/ft")));
        assertEquals(Path.of(System.getProperty("user.home"), ".finetune"), Workspace.defaultRoot(Map.of()));
    }
}
