package dev.finetune.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.WorkspaceException;
import dev.finetune.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The folder that holds all durable state, owned by one process at a time:
 *
 * <pre>
 * .lock                  exclusive file lock; holds the owner's pid
 * datasets/&lt;id&gt;/         dataset.json  request.json  train.jsonl  eval.jsonl  (upload-*.bin while validating)
 * models/&lt;id&gt;/           model.json  events.jsonl  metrics.jsonl  checkpoints/  ...
 * base-models/&lt;name&gt;/    config.json  model.safetensors  tokenizer files
 * audit.jsonl            one line per upload or deletion
 * </pre>
 *
 * Opening recovers from a crash: leftover temporaries and half-created datasets are removed
 * (see {@link DatasetStore}). Thread-safe; close it to release the lock.
 */
public final class Workspace implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Workspace.class);
    public static final String LOCK_FILE = ".lock";
    public static final String AUDIT_FILE = "audit.jsonl";

    private final Path root;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final DatasetStore datasets;
    private final Object auditLock = new Object();

    private Workspace(Path root, FileChannel lockChannel, FileLock lock) {
        this.root = root;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.datasets = new DatasetStore(root.resolve("datasets"));
    }

    /** The default folder: {@code $FINETUNE_HOME}, else {@code ~/.finetune}. */
    public static Path defaultRoot() {
        return defaultRoot(System.getenv());
    }

    static Path defaultRoot(Map<String, String> env) {
        String home = env.get("FINETUNE_HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home);
        }
        return Path.of(System.getProperty("user.home"), ".finetune");
    }

    /**
     * Opens (creating if needed) the workspace at {@code root}, takes its lock and recovers it.
     *
     * @throws WorkspaceException when another process (or another open {@code Workspace} in this JVM) holds it
     */
    public static Workspace open(Path root) {
        Path abs = root.toAbsolutePath().normalize();
        FileChannel ch = null;
        try {
            Files.createDirectories(abs);
            Path lockFile = abs.resolve(LOCK_FILE);
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String owner = readOwner(ch);
                ch.close();
                throw new WorkspaceException("workspace " + abs + " is in use by another finetune process" + owner
                        + " (lock " + lockFile + "); stop that process, or use another workspace (FINETUNE_HOME or --workspace DIR)");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
            Workspace ws = new Workspace(abs, ch, lock);
            Files.createDirectories(abs.resolve("models"));
            Files.createDirectories(abs.resolve("base-models"));
            ws.datasets.recover();
            LOG.debug("opened workspace {}", abs);
            return ws;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new WorkspaceException("cannot open workspace " + abs + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (!(e instanceof WorkspaceException)) {
                closeQuietly(ch);
            }
            throw e;
        }
    }

    private static String readOwner(FileChannel ch) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(32);
            int n = ch.read(buf, 0);
            String pid = n <= 0 ? "" : new String(buf.array(), 0, n, StandardCharsets.US_ASCII).trim();
            if (pid.matches("\\d+")) {
                return pid.equals(String.valueOf(ProcessHandle.current().pid())) ? " (this process, pid " + pid + ")"
                        : " (pid " + pid + ")";
            }
        } catch (IOException e) {
            // the pid is a courtesy in the message
        }
        return "";
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }

    public Path root() {
        return root;
    }

    public DatasetStore datasets() {
        return datasets;
    }

    public Path modelsDir() {
        return root.resolve("models");
    }

    public Path baseModelsDir() {
        return baseModelsDir(root);
    }

    /** {@code base-models/} of the workspace at {@code root}: built-in base models are cached here. */
    public static Path baseModelsDir(Path root) {
        return root.resolve("base-models");
    }

    /** Whether this instance still holds the lock. */
    public boolean isOpen() {
        return lock.isValid();
    }

    /**
     * Appends one JSON line to {@code audit.jsonl} and fsyncs it. A crash can leave at most a torn last
     * line, which readers skip.
     */
    public void appendAudit(JsonNode record) {
        byte[] line;
        try {
            line = (Json.writer().writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new WorkspaceException("cannot serialize audit record: " + e.getMessage(), e);
        }
        synchronized (auditLock) {
            try (FileChannel ch = FileChannel.open(root.resolve(AUDIT_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                    OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                out.write(line);
                ch.force(false);
            } catch (IOException e) {
                throw new WorkspaceException("cannot append to " + root.resolve(AUDIT_FILE) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Reads the audit log, skipping a torn last line. */
    public java.util.List<JsonNode> readAudit() {
        return readAudit(root);
    }

    /** Reads the audit log of the workspace at {@code root}, skipping a torn last line. */
    public static java.util.List<JsonNode> readAudit(Path root) {
        Path f = root.resolve(AUDIT_FILE);
        java.util.List<JsonNode> out = new java.util.ArrayList<>();
        if (!Files.exists(f)) {
            return out;
        }
        try {
            for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                try {
                    out.add(Json.reader().readTree(l));
                } catch (IOException torn) {
                    LOG.warn("skipping a torn line in {}", f);
                }
            }
        } catch (IOException e) {
            throw new WorkspaceException("cannot read " + f + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Releases the lock. The workspace cannot be used afterwards. */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            lockChannel.close();
        } catch (IOException e) {
            throw new WorkspaceException("cannot release workspace lock " + root.resolve(LOCK_FILE) + ": " + e.getMessage(), e);
        }
    }
}
