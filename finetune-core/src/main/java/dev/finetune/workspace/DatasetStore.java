package dev.finetune.workspace;

import dev.finetune.NotFoundException;
import dev.finetune.WorkspaceException;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code datasets/} folder. A dataset is born in a staging folder ({@code .staging-<id>}) holding
 * its upload and its first {@code dataset.json}, and appears under its id by one atomic rename; a
 * deletion renames it to {@code .deleting-<id>} first. So after a crash a dataset is either absent or
 * whole, and {@link #recover()} only has to sweep dot-folders and temporaries. Metadata operations are
 * serialized on this store.
 */
public final class DatasetStore {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetStore.class);
    public static final String DATASET_FILE = "dataset.json";
    public static final String REQUEST_FILE = "request.json";
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,80}");

    private final Path dir;

    DatasetStore(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Rejects ids that could escape the folder ({@code ../x}) before they reach the file system. */
    public static boolean isValidId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** The folder of dataset {@code id} (which may not exist). */
    public Path datasetDir(String id) {
        if (!isValidId(id)) {
            throw new NotFoundException("dataset " + id + " not found");
        }
        return dir.resolve(id);
    }

    /** A fresh staging folder for a new dataset; nothing in it is visible until {@link #publish}. */
    public Path stagingDir(String id) {
        Path p = dir.resolve(".staging-" + id);
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new WorkspaceException("cannot create " + p + ": " + e.getMessage(), e);
        }
        return p;
    }

    /** Makes a staged dataset (which must hold its {@code dataset.json}) visible under its id in one rename. */
    public synchronized void publish(String id) {
        Path staging = dir.resolve(".staging-" + id);
        if (!Files.exists(staging.resolve(DATASET_FILE))) {
            throw new WorkspaceException("staged dataset " + staging + " has no " + DATASET_FILE);
        }
        try {
            Files.move(staging, datasetDir(id), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            AtomicWrite.fsyncDirectory(dir);
        } catch (IOException e) {
            throw new WorkspaceException("cannot publish dataset " + id + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes a staging folder whose upload failed. */
    public void discardStaging(String id) {
        FileOps.deleteTree(dir.resolve(".staging-" + id));
    }

    public synchronized Optional<Dataset> read(String id) {
        if (!isValidId(id)) {
            return Optional.empty();
        }
        Path f = dir.resolve(id).resolve(DATASET_FILE);
        try {
            return Optional.of(Json.readValue(f.toFile(), Dataset.class));
        } catch (java.io.FileNotFoundException | NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (!Files.exists(f)) {
                return Optional.empty();
            }
            throw new WorkspaceException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    public Dataset get(String id) {
        return read(id).orElseThrow(() -> new NotFoundException("dataset " + id + " not found in " + dir));
    }

    /**
     * Replaces {@code dataset.json} of an existing dataset atomically. Returns false (and writes
     * nothing) when the dataset was deleted meanwhile.
     */
    public boolean update(Dataset d) {
        return update(d, () -> { });
    }

    /**
     * Like {@link #update(Dataset)}, then runs {@code afterWrite} (e.g. removing the upload) before any
     * reader can see the new state, so a reader that sees {@code validated} sees the finished folder.
     */
    public synchronized boolean update(Dataset d, Runnable afterWrite) {
        Path folder = datasetDir(d.id());
        if (!Files.isRegularFile(folder.resolve(DATASET_FILE))) {
            // deleted meanwhile; a validation that outlived its dataset may have written parts into a new
            // folder of the same name: that orphan goes too, so the dataset stays deleted
            FileOps.deleteTree(folder);
            return false;
        }
        writeJson(folder.resolve(DATASET_FILE), d);
        afterWrite.run();
        return true;
    }

    /** Writes any value as JSON, atomically, to {@code file}. */
    public static void writeJson(Path file, Object value) {
        try {
            byte[] bytes = Json.prettyWriter().writeValueAsBytes(value);
            AtomicWrite.writeBytes(file, bytes);
        } catch (IOException e) {
            throw new WorkspaceException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** All readable datasets, newest first. */
    public synchronized List<Dataset> list() {
        List<Dataset> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().startsWith("."))) {
            for (Path p : ds) {
                String id = p.getFileName().toString();
                try {
                    read(id).ifPresent(out::add);
                } catch (WorkspaceException e) {
                    LOG.warn("skipping unreadable dataset {}: {}", p, e.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new WorkspaceException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(Dataset::createdAt).reversed().thenComparing(Dataset::id));
        return out;
    }

    /** Deletes a dataset: one rename makes it disappear, then its files are removed. */
    public synchronized void delete(String id) {
        Path folder = datasetDir(id);
        if (!Files.isDirectory(folder)) {
            throw new NotFoundException("dataset " + id + " not found in " + dir);
        }
        Path doomed = dir.resolve(".deleting-" + id);
        try {
            Files.move(folder, doomed, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            AtomicWrite.fsyncDirectory(dir);
        } catch (IOException e) {
            throw new WorkspaceException("cannot delete dataset " + id + " in " + dir + ": " + e.getMessage(), e);
        }
        FileOps.deleteTree(doomed);
    }

    /** Datasets left in {@code queued} or {@code processing} by a process that stopped; the client validates them again. */
    public List<Dataset> interrupted() {
        List<Dataset> out = new ArrayList<>();
        for (Dataset d : list()) {
            if (d.validationStatus().equals(ValidationStatus.PROCESSING) || d.validationStatus().equals(ValidationStatus.QUEUED)) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * Crash recovery: removes staging and half-deleted folders, dataset folders without a
     * {@code dataset.json}, and leftover temporaries.
     */
    void recover() throws IOException {
        Files.createDirectories(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith(".staging-") || n.startsWith(".deleting-") || AtomicWrite.isTemporary(p)) {
                    LOG.info("recovery: removing {}", p);
                    FileOps.deleteTree(p);
                } else if (Files.isDirectory(p)) {
                    if (!Files.exists(p.resolve(DATASET_FILE))) {
                        LOG.info("recovery: removing half-written dataset {}", p);
                        FileOps.deleteTree(p);
                        continue;
                    }
                    try (Stream<Path> files = Files.list(p)) {
                        for (Path f : (Iterable<Path>) files::iterator) {
                            if (AtomicWrite.isTemporary(f)) {
                                LOG.info("recovery: removing temporary {}", f);
                                Files.deleteIfExists(f);
                            }
                        }
                    }
                }
            }
        }
    }
}
