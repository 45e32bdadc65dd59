package dev.finetune.workspace;

import dev.finetune.BadRequestException;
import dev.finetune.NotFoundException;
import dev.finetune.WorkspaceException;
import dev.finetune.finetuning.Event;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tuned models on disk, beside {@link DatasetStore}: {@code models/<id>/} with the record
 * ({@link ModelFiles#RECORD}, written atomically), its events and step metrics (appended and fsynced)
 * and the trained model's files. The W&amp;B settings never reach the record: their api_key stays in memory.
 */
public final class ModelStore {
    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,80}");

    private final Path root;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public ModelStore(Path modelsDir) {
        this.root = modelsDir;
    }

    /** {@code models/<id>/}; an id that cannot be one of ours is not found. */
    public Path dir(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new NotFoundException("no fine-tuned model " + id);
        }
        return root.resolve(id);
    }

    public boolean exists(String id) {
        return Files.isRegularFile(dir(id).resolve(ModelFiles.RECORD));
    }

    /** The lock that orders read-modify-write of one model's record. */
    public Object lock(String id) {
        return locks.computeIfAbsent(id, k -> new Object());
    }

    public void create(FinetunedModel m) {
        Path dir = dir(m.id().orElseThrow());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new WorkspaceException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        write(m);
    }

    public FinetunedModel read(String id) {
        Path f = dir(id).resolve(ModelFiles.RECORD);
        if (!Files.isRegularFile(f)) {
            throw new NotFoundException("no fine-tuned model " + id);
        }
        try {
            return Json.readValue(f.toFile(), FinetunedModel.class);
        } catch (IOException e) {
            throw new WorkspaceException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** The status now, or {@code STATUS_DELETED} when the model is gone. */
    public Status status(String id) {
        try {
            return read(id).status().orElse(Status.STATUS_UNSPECIFIED);
        } catch (NotFoundException e) {
            return Status.STATUS_DELETED;
        }
    }

    /** Every readable model, newest first (an unreadable one is logged and skipped). */
    public List<FinetunedModel> all() {
        List<FinetunedModel> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.filter(Files::isDirectory).toList()) {
                String id = p.getFileName().toString();
                if (id.startsWith(".") || !Files.isRegularFile(p.resolve(ModelFiles.RECORD))) {
                    continue;
                }
                try {
                    out.add(read(id));
                } catch (RuntimeException e) {
                    LOG.warn("skipping unreadable fine-tuned model {}: {}", id, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new WorkspaceException("cannot list " + root + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing((FinetunedModel m) -> m.createdAt().orElse(Instant.EPOCH)).reversed()
                .thenComparing(m -> m.id().orElse("")));
        return out;
    }

    public void write(FinetunedModel m) {
        try {
            AtomicWrite.writeBytes(dir(m.id().orElseThrow()).resolve(ModelFiles.RECORD),
                    Json.prettyWriter().writeValueAsBytes(withoutSecrets(m)));
        } catch (IOException e) {
            throw new WorkspaceException("cannot write fine-tuned model " + m.id().orElse("?") + ": " + e.getMessage(), e);
        }
    }

    /** Moves the folder aside (so readers stop seeing it at once), then deletes it. */
    public void delete(String id) {
        Path dir = dir(id);
        Path gone = dir.resolveSibling("." + id + ".deleting");
        synchronized (lock(id)) {
            try {
                Files.move(dir, gone);
            } catch (IOException e) {
                throw new WorkspaceException("cannot delete fine-tuned model " + id + ": " + e.getMessage(), e);
            }
            FileOps.deleteTree(gone);
        }
    }

    public void appendEvent(String id, Event e) {
        FileOps.appendJsonLine(dir(id).resolve(ModelFiles.EVENTS), e);
    }

    public void appendMetrics(String id, TrainingStepMetrics m) {
        FileOps.appendJsonLine(dir(id).resolve(ModelFiles.METRICS), m);
    }

    /** Events, oldest first. */
    public List<Event> events(String id) {
        read(id);
        return FileOps.readJsonLines(dir(id).resolve(ModelFiles.EVENTS), Event.class);
    }

    /** Step metrics in step order. */
    public List<TrainingStepMetrics> metrics(String id) {
        read(id);
        return FileOps.readJsonLines(dir(id).resolve(ModelFiles.METRICS), TrainingStepMetrics.class);
    }

    /** The folder of a ready model, for serving {@code "<id>-ft"}; a clear error otherwise. */
    public Path readyModelDir(String id) {
        FinetunedModel m;
        try {
            m = read(id);
        } catch (NotFoundException e) {
            throw new NotFoundException("no fine-tuned model " + id + "-ft in this workspace");
        }
        Status st = m.status().orElseThrow();
        if (!st.equals(Status.STATUS_READY)) {
            throw new BadRequestException("fine-tuned model " + id + "-ft is " + st + ", not STATUS_READY"
                    + m.failureReason().map(r -> ": " + r).orElse(""));
        }
        return dir(id);
    }

    /** The record as stored: without the W&B settings (their api_key never reaches disk). */
    public static FinetunedModel withoutSecrets(FinetunedModel m) {
        if (m.settings().wandb().isEmpty()) {
            return m;
        }
        Settings s = new Settings(m.settings().baseModel(), m.settings().datasetId(), m.settings().hyperparameters(),
                Optional.empty());
        return new FinetunedModel(m.name(), s, m.id(), m.status(), m.createdAt(), m.updatedAt(), m.completedAt(),
                m.failureReason(), m.metrics());
    }
}
