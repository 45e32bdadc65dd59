package dev.finetune.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.datasets.DatasetType;
import java.io.FilePermission;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Permission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A check leaves no trace: no file created, changed or deleted, temporary or not; and it runs on the caller's thread only. */
class DatasetCheckWritesNothingTest {
    @TempDir
    Path dir;

    /** Every path under {@code root} with its size and modification time. */
    private static List<String> listing(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            List<String> out = new ArrayList<>();
            for (Path p : s.sorted().toList()) {
                out.add(root.relativize(p) + " " + (Files.isRegularFile(p) ? Files.size(p) : -1) + " "
                        + Files.getLastModifiedTime(p).toMillis());
            }
            return out;
        }
    }

    @Test
    void aChildProcessCheckingWithTheDefaultsLeavesItsTempDirHomeWorkingDirAndInputsAsTheyWere() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path home = Files.createDirectories(dir.resolve("home"));
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Path in = Files.createDirectories(dir.resolve("in"));
        Path train = Fixtures.write(in, "chats.jsonl", Fixtures.chats(50));
        assertTrue(in.toFile().setWritable(false), "cannot make the input folder read-only");
        try {
            List<String> before = listing(dir);
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-Djava.io.tmpdir=" + tmp, "-Duser.home=" + home, "-cp", System.getProperty("java.class.path"),
                    CheckChild.class.getName(), train.toString());
            Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child did not finish");
            assertEquals(0, p.exitValue(), out);
            assertEquals("validated 40", out);
            assertEquals(before, listing(dir));
        } finally {
            in.toFile().setWritable(true);
        }
    }

    /** Records every file write or delete, and every thread created, by the calling thread; allows everything. */
    @SuppressWarnings("removal")
    private static final class WriteRecorder extends SecurityManager {
        final Thread watched = Thread.currentThread();
        final List<String> writes = new ArrayList<>();
        final List<String> threads = new ArrayList<>();

        @Override
        public void checkAccess(ThreadGroup g) {
            // a new Thread asks its group's access first (java.lang.Thread's constructor)
            if (Thread.currentThread() == watched) {
                threads.add("thread in group " + g.getName());
            }
        }

        @Override
        public void checkPermission(Permission perm) {
            if (perm instanceof FilePermission && Thread.currentThread() == watched
                    && (perm.getActions().contains("write") || perm.getActions().contains("delete"))) {
                writes.add(perm.getActions() + " " + perm.getName());
            }
        }

        @Override
        public void checkPermission(Permission perm, Object context) {
            checkPermission(perm);
        }
    }

    @Test
    @SuppressWarnings("removal")
    void noFileIsOpenedForWritingOrDeletedAnywhereAndNoThreadIsStarted() throws Exception {
        Path train = Fixtures.write(dir, "chats.jsonl", Fixtures.chats(50));
        Path eval = Fixtures.write(dir, "eval.jsonl", List.of(Fixtures.chat("User", "eval q", "Chatbot", "eval a")));
        CheckOptions options = CheckOptions.builder().tokenizer(WordTokenizer.INSTANCE).build();
        DatasetCheck.check(train, Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT, options); // classes loaded outside the watch
        WriteRecorder recorder = new WriteRecorder();
        try {
            System.setSecurityManager(recorder);
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("this JDK has no security manager; the child-process test covers it");
        }
        ValidationReport split;
        ValidationReport withEval;
        try {
            split = DatasetCheck.check(train, Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT, options);
            withEval = DatasetCheck.check(train, Optional.of(eval), DatasetType.CHAT_FINETUNE_INPUT, options);
        } finally {
            System.setSecurityManager(null);
        }
        assertTrue(split.validated() && withEval.validated(), split + " / " + withEval);
        assertEquals(List.of(), recorder.writes);
        assertEquals(List.of(), recorder.threads);
    }

    @Test
    @SuppressWarnings("removal")
    void theRecorderSeesAThreadStartedOnTheWatchedThread() throws Exception {
        WriteRecorder recorder = new WriteRecorder();
        try {
            System.setSecurityManager(recorder);
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("this JDK has no security manager");
        }
        try {
            Thread t = new Thread(() -> { });
            t.start();
            t.join();
        } finally {
            System.setSecurityManager(null);
        }
        assertEquals(1, recorder.threads.size(), recorder.threads.toString());
    }
}
