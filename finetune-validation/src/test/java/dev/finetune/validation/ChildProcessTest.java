package dev.finetune.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.WorkspaceException;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.workspace.DatasetStore;
import dev.finetune.workspace.Workspace;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two processes on one workspace: the lock, and a SIGKILL in the middle of uploads. */
class ChildProcessTest {
    @TempDir
    Path dir;
    /** The last child's standard output, past its "ready" line. */
    private BufferedReader childOut;

    private Process start(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), WorkspaceChild.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        childOut = out;
        String line = out.readLine();
        if (!"ready".equals(line)) {
            p.destroyForcibly();
            throw new AssertionError("child did not start: " + line);
        }
        return p;
    }

    @Test
    void aSecondProcessIsToldTheWorkspaceIsInUseByWhichPid() throws Exception {
        Path ws = dir.resolve("ws");
        Process child = start("hold", ws.toString());
        try {
            WorkspaceException e = assertThrows(WorkspaceException.class, () -> Workspace.open(ws));
            assertTrue(e.getMessage().contains("is in use by another finetune process (pid " + child.pid() + ")"), e.getMessage());
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        Workspace.open(ws).close(); // the OS released the lock with the process
    }

    @Test
    void aKilledUploaderLeavesEveryDatasetAbsentOrWhole() throws Exception {
        Path ws = dir.resolve("ws");
        Path file = Fixtures.write(dir, "chats.jsonl", Fixtures.chats(20_000)); // ~1.4 MB, a few hundred ms per upload
        Process child = start("create", ws.toString(), file.toString());
        // the first upload is in; kill the child while it copies the next one (a few hundred ms each)
        assertEquals("created", childOut.readLine(), "the child reports each upload it got in");
        child.destroyForcibly(); // SIGKILL on Unix
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));

        try (ClientV2 co = ClientV2.builder().workspace(ws).validator(new DatasetValidation(WordTokenizer.INSTANCE)).build()) {
            try (var entries = Files.list(ws.resolve("datasets"))) {
                assertTrue(entries.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no staging or temporaries left");
            }
            List<Dataset> all = co.datasets().list(dev.finetune.datasets.DatasetsListRequest.builder().limit(1000).build()).datasets();
            assertFalse(all.isEmpty(), "the child got at least one upload in before it was killed");
            for (Dataset d : all) {
                Dataset done = co.wait(d, WaitOptions.timeout(Duration.ofSeconds(30)).interval(Duration.ofMillis(20)));
                assertEquals(ValidationStatus.VALIDATED, done.validationStatus());
                Path folder = co.root().resolve("datasets").resolve(d.id());
                assertEquals(16_000, Files.readAllLines(folder.resolve("train.jsonl")).size());
                assertEquals(4_000, Files.readAllLines(folder.resolve("eval.jsonl")).size());
                assertTrue(Files.exists(folder.resolve(DatasetStore.REQUEST_FILE)));
            }
        }
    }
}
