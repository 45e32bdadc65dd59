package dev.finetune.finetuning;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.finetune.BadRequestException;
import dev.finetune.FinetuneException;
import dev.finetune.NotFoundException;
import dev.finetune.WorkspaceException;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.json.Json;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.workspace.AtomicWrite;
import dev.finetune.workspace.Workspace;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code finetuning} resource: fine-tuned models in {@code models/<id>/} of the workspace
 * ({@code model.json}, {@code events.jsonl}, {@code metrics.jsonl}, the trained model's files and its
 * checkpoints), and the job runner that trains them one at a time (or as many at once as configured)
 * on background threads. Every transition is an event; every write is atomic (the record) or appended
 * and fsynced (events, metrics). On open, a model found queued or training is queued again and its
 * backend resumes from its last checkpoint.
 *
 * <p>The W&amp;B api_key is kept in memory only: a job resumed by a later process reports to W&amp;B
 * only if its settings are given again.
 */
public final class FinetuningClient {
    private static final Logger LOG = LoggerFactory.getLogger(FinetuningClient.class);
    static final String MODEL_FILE = "model.json";
    static final String EVENTS_FILE = "events.jsonl";
    static final String METRICS_FILE = "metrics.jsonl";

    private final Workspace workspace;
    private final java.util.function.Function<String, Dataset> datasets;
    private final Optional<TrainingBackend> backend;
    private final ExecutorService runner;
    private final Clock clock;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Map<String, WandbConfig> secrets = new ConcurrentHashMap<>();
    private final Map<String, Boolean> cancelled = new ConcurrentHashMap<>();
    private final List<Consumer<JobUpdate>> listeners = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();

    /** A change an application can listen to: an event, step metrics, or progress. */
    public record JobUpdate(String modelId, Status status, Optional<String> message, Optional<TrainingStepMetrics> metrics,
                            Optional<int[]> progress, Optional<String> detail) {
    }

    public FinetuningClient(Workspace workspace, java.util.function.Function<String, Dataset> datasets,
                            Optional<TrainingBackend> backend, ExecutorService runner, Clock clock) {
        this.workspace = workspace;
        this.datasets = datasets;
        this.backend = backend;
        this.runner = runner;
        this.clock = clock;
    }

    /** Listens to every job's events, metrics and progress (called on the job's thread). */
    public void addListener(Consumer<JobUpdate> listener) {
        listeners.add(listener);
    }

    // ----------------------------------------------------------------------------------------------
    // the resource

    /**
     * Checks the settings (the dataset exists, is validated and fits the base type; hyperparameters were
     * checked when built) and queues the fine-tune. Nothing is created when a check fails.
     */
    public CreateFinetunedModelResponse createFinetunedModel(FinetunedModel request) {
        Settings s = request.settings();
        Dataset d;
        try {
            d = datasets.apply(s.datasetId());
        } catch (NotFoundException e) {
            throw new NotFoundException("settings.dataset_id: no dataset " + s.datasetId() + " in this workspace");
        }
        if (!d.validationStatus().equals(ValidationStatus.VALIDATED)) {
            throw new BadRequestException("settings.dataset_id: dataset " + d.id() + " is " + d.validationStatus()
                    + ", not validated" + d.validationError().map(e -> " (" + e + ")").orElse(""));
        }
        BaseType type = s.baseModel().baseType();
        if (!fits(type, d.datasetType())) {
            throw new BadRequestException("settings.base_model.base_type: " + type + " cannot train on a "
                    + d.datasetType() + " dataset (expected " + expectedFor(type) + ")");
        }
        if (backend.isEmpty()) {
            throw new FinetuneException("no training backend on the class path: add the finetune-train dependency");
        }
        String id = newId(request.name());
        Instant now = clock.instant();
        FinetunedModel stored = strip(request).withState(id, Status.STATUS_QUEUED, now, now, Optional.empty(), Optional.empty(),
                Optional.empty());
        Path dir = dir(id);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new WorkspaceException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        s.wandb().ifPresent(w -> secrets.put(id, w));
        write(stored);
        event(id, Status.STATUS_QUEUED, "queued: " + type + " on dataset " + d.id() + " ("
                + s.hyperparameters().orElse(Hyperparameters.defaults()).strategyValue() + ")");
        submit(id);
        return new CreateFinetunedModelResponse(stored);
    }

    public GetFinetunedModelResponse getFinetunedModel(String id) {
        return new GetFinetunedModelResponse(read(id));
    }

    /** A page of models, newest first; {@code pageToken} is the previous response's {@code next_page_token}. */
    public ListFinetunedModelsResponse listFinetunedModels(int pageSize, Optional<String> pageToken) {
        List<FinetunedModel> all = all();
        int from = pageToken.map(FinetuningClient::offset).orElse(0);
        int size = Math.max(1, Math.min(1000, pageSize));
        List<FinetunedModel> page = all.subList(Math.min(from, all.size()), Math.min(all.size(), from + size));
        Optional<String> next = from + size < all.size() ? Optional.of(Integer.toString(from + size)) : Optional.empty();
        return new ListFinetunedModelsResponse(page, next, all.size());
    }

    public ListFinetunedModelsResponse listFinetunedModels() {
        return listFinetunedModels(50, Optional.empty());
    }

    /** Renames a model (the one field that can change). */
    public UpdateFinetunedModelResponse updateFinetunedModel(String id, String name) {
        synchronized (lock(id)) {
            FinetunedModel m = read(id);
            FinetunedModel renamed = m.withName(name);
            write(touch(renamed, m.status().orElseThrow()));
            return new UpdateFinetunedModelResponse(read(id));
        }
    }

    /** Stops a queued or running job at its next step boundary; the model ends {@code STATUS_CANCELLED}. */
    public GetFinetunedModelResponse cancelFinetunedModel(String id) {
        FinetunedModel m = read(id);
        Status st = m.status().orElseThrow();
        if (st.isTerminal()) {
            throw new BadRequestException("fine-tuned model " + id + " is " + st + "; only a queued or running job can be cancelled");
        }
        cancelled.put(id, Boolean.TRUE);
        if (st.equals(Status.STATUS_QUEUED)) {
            transition(id, Status.STATUS_CANCELLED, Optional.empty(), Optional.empty(), "cancelled before it started");
        }
        return getFinetunedModel(id);
    }

    /** Deletes a model and every file of it; a running job stops at its next step boundary. */
    public void deleteFinetunedModel(String id) {
        read(id);
        cancelled.put(id, Boolean.TRUE);
        synchronized (lock(id)) {
            Path dir = dir(id);
            Path gone = dir.resolveSibling("." + id + ".deleting");
            try {
                Files.move(dir, gone);
                try (Stream<Path> s = Files.walk(gone)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            } catch (IOException e) {
                throw new WorkspaceException("cannot delete fine-tuned model " + id + ": " + e.getMessage(), e);
            }
        }
        LOG.info("fine-tuned model {} deleted", id);
    }

    /** Events, newest first. */
    public ListEventsResponse listEvents(String id, int pageSize, Optional<String> pageToken) {
        read(id);
        List<Event> all = readLines(dir(id).resolve(EVENTS_FILE), Event.class);
        java.util.Collections.reverse(all);
        int from = pageToken.map(FinetuningClient::offset).orElse(0);
        int size = Math.max(1, Math.min(1000, pageSize));
        List<Event> page = all.subList(Math.min(from, all.size()), Math.min(all.size(), from + size));
        return new ListEventsResponse(page, from + size < all.size() ? Optional.of(Integer.toString(from + size))
                : Optional.empty(), all.size());
    }

    public ListEventsResponse listEvents(String id) {
        return listEvents(id, 1000, Optional.empty());
    }

    /** Step metrics in step order. */
    public ListTrainingStepMetricsResponse listTrainingStepMetrics(String id, int pageSize, Optional<String> pageToken) {
        read(id);
        List<TrainingStepMetrics> all = readLines(dir(id).resolve(METRICS_FILE), TrainingStepMetrics.class);
        int from = pageToken.map(FinetuningClient::offset).orElse(0);
        int size = Math.max(1, Math.min(10000, pageSize));
        List<TrainingStepMetrics> page = all.subList(Math.min(from, all.size()), Math.min(all.size(), from + size));
        return new ListTrainingStepMetricsResponse(page, from + size < all.size() ? Optional.of(Integer.toString(from + size))
                : Optional.empty());
    }

    public ListTrainingStepMetricsResponse listTrainingStepMetrics(String id) {
        return listTrainingStepMetrics(id, 10000, Optional.empty());
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

    /** Queues again every model a stopped process left queued or training; called when the client opens. */
    public void resumeInterrupted() {
        for (FinetunedModel m : all()) {
            Status st = m.status().orElse(Status.STATUS_UNSPECIFIED);
            if (st.equals(Status.STATUS_QUEUED) || st.equals(Status.STATUS_FINETUNING)) {
                String id = m.id().orElseThrow();
                event(id, st, "the process that ran this job stopped; resuming from the last checkpoint");
                submit(id);
            }
        }
    }

    // ----------------------------------------------------------------------------------------------
    // the runner

    private void submit(String id) {
        runner.execute(() -> {
            try {
                run(id);
            } catch (Throwable e) {
                // run() records failures itself; this is the failure of recording one (e.g. out of memory while
                // writing the status): never leave a job silently "training" with nobody working on it
                LOG.error("fine-tuned model {}: the job runner failed", id, e);
                try {
                    String reason = "the job runner failed: " + (e.getMessage() == null ? e.toString() : e.getMessage());
                    transition(id, Status.STATUS_FAILED, Optional.of(reason), Optional.empty(), "failed: " + reason);
                } catch (Throwable again) {
                    LOG.error("fine-tuned model {}: cannot record the failure either", id, again);
                }
            }
        });
    }

    private void run(String id) {
        FinetunedModel m;
        try {
            m = read(id);
        } catch (NotFoundException e) {
            return; // deleted while queued
        }
        if (m.status().orElseThrow().isTerminal() || Boolean.TRUE.equals(cancelled.get(id))) {
            return;
        }
        transition(id, Status.STATUS_FINETUNING, Optional.empty(), Optional.empty(), "training started");
        Dataset d = datasets.apply(m.settings().datasetId());
        Path dsDir = workspace.datasets().datasetDir(d.id());
        Path eval = dsDir.resolve("eval.jsonl");
        FinetunedModel withSecrets = secrets.containsKey(id)
                ? new FinetunedModel(m.name(), new Settings(m.settings().baseModel(), m.settings().datasetId(),
                        m.settings().hyperparameters(), Optional.of(secrets.get(id))), m.id(), m.status(), m.createdAt(),
                        m.updatedAt(), m.completedAt(), m.failureReason(), m.metrics())
                : m;
        TrainingBackend.Job job = new TrainingBackend.Job(withSecrets, d, dir(id), workspace.baseModelsDir(),
                dsDir.resolve("train.jsonl"), Files.exists(eval) ? Optional.of(eval) : Optional.empty());
        try {
            TrainingBackend.Outcome out = backend.orElseThrow().train(job, context(id));
            if (closing() && !Boolean.TRUE.equals(cancelled.get(id))) {
                LOG.info("fine-tuned model {}: the client is closing; the job resumes when the workspace is opened again", id);
                return;
            }
            if (Boolean.TRUE.equals(cancelled.get(id))) {
                if (Files.isDirectory(dir(id))) {
                    transition(id, Status.STATUS_CANCELLED, Optional.empty(), Optional.empty(), "cancelled");
                }
                return;
            }
            transition(id, Status.STATUS_DEPLOYING_API, Optional.empty(), Optional.of(out.metrics()), "training finished");
            transition(id, Status.STATUS_READY, Optional.empty(), Optional.of(out.metrics()), "ready: use model \"" + id + "-ft\"");
        } catch (Throwable e) {
            if (!Files.isDirectory(dir(id))) {
                return; // deleted meanwhile
            }
            if (closing() && !Boolean.TRUE.equals(cancelled.get(id))) {
                LOG.info("fine-tuned model {}: stopped because the client is closing; it resumes on the next open", id);
                return;
            }
            if (Boolean.TRUE.equals(cancelled.get(id))) {
                transition(id, Status.STATUS_CANCELLED, Optional.empty(), Optional.empty(), "cancelled");
                return;
            }
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            if (e instanceof OutOfMemoryError) {
                reason = "out of memory (" + reason + "): lower train_batch_size, or give the JVM more heap (-Xmx; "
                        + "FINETUNE_JAVA_OPTS for the command line)";
            }
            LOG.warn("fine-tuned model {} failed: {}", id, reason, e);
            transition(id, Status.STATUS_FAILED, Optional.of(reason), Optional.empty(), "failed: " + reason);
        }
    }

    /** The client is closing (its runner was shut down): stop, leave the job to resume on the next open. */
    private boolean closing() {
        return runner.isShutdown() || Thread.currentThread().isInterrupted();
    }

    private TrainingBackend.Context context(String id) {
        return new TrainingBackend.Context() {
            @Override
            public void event(String message) {
                FinetuningClient.this.event(id, status(), message);
            }

            @Override
            public void stepMetrics(int step, Map<String, Double> metrics) {
                TrainingStepMetrics t = new TrainingStepMetrics(step, clock.instant(), metrics);
                append(dir(id).resolve(METRICS_FILE), t);
                notifyListeners(new JobUpdate(id, status(), Optional.empty(), Optional.of(t), Optional.empty(), Optional.empty()));
            }

            @Override
            public void progress(int step, int total, String detail) {
                notifyListeners(new JobUpdate(id, status(), Optional.empty(), Optional.empty(),
                        Optional.of(new int[] {step, total}), Optional.of(detail)));
            }

            @Override
            public boolean cancelled() {
                return Boolean.TRUE.equals(cancelled.get(id)) || !Files.isDirectory(dir(id)) || closing();
            }

            @Override
            public Status status() {
                try {
                    return read(id).status().orElse(Status.STATUS_UNSPECIFIED);
                } catch (NotFoundException e) {
                    return Status.STATUS_DELETED;
                }
            }
        };
    }

    private void transition(String id, Status to, Optional<String> failure, Optional<Map<String, Double>> metrics, String message) {
        synchronized (lock(id)) {
            FinetunedModel m = read(id);
            Instant now = clock.instant();
            Optional<Instant> completed = to.isTerminal() ? Optional.of(now) : m.completedAt();
            write(m.withState(id, to, m.createdAt().orElse(now), now, completed, failure.or(m::failureReason),
                    metrics.or(m::metrics)));
        }
        event(id, to, message);
    }

    private void event(String id, Status status, String message) {
        Event e = new Event(Optional.empty(), status, clock.instant(), Optional.of(message));
        append(dir(id).resolve(EVENTS_FILE), e);
        notifyListeners(new JobUpdate(id, status, Optional.of(message), Optional.empty(), Optional.empty(), Optional.empty()));
    }

    private void notifyListeners(JobUpdate u) {
        for (Consumer<JobUpdate> l : listeners) {
            try {
                l.accept(u);
            } catch (RuntimeException e) {
                LOG.warn("a job listener failed", e);
            }
        }
    }

    // ----------------------------------------------------------------------------------------------
    // storage

    private Path dir(String id) {
        if (!id.matches("[a-z0-9][a-z0-9-]{0,80}")) {
            throw new NotFoundException("no fine-tuned model " + id);
        }
        return workspace.modelsDir().resolve(id);
    }

    private Object lock(String id) {
        return locks.computeIfAbsent(id, k -> new Object());
    }

    private FinetunedModel read(String id) {
        Path f = dir(id).resolve(MODEL_FILE);
        if (!Files.isRegularFile(f)) {
            throw new NotFoundException("no fine-tuned model " + id);
        }
        try {
            return Json.readValue(f.toFile(), FinetunedModel.class);
        } catch (IOException e) {
            throw new WorkspaceException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    private List<FinetunedModel> all() {
        List<FinetunedModel> out = new ArrayList<>();
        Path root = workspace.modelsDir();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.filter(Files::isDirectory).toList()) {
                String id = p.getFileName().toString();
                if (id.startsWith(".") || !Files.isRegularFile(p.resolve(MODEL_FILE))) {
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

    private void write(FinetunedModel m) {
        try {
            AtomicWrite.writeBytes(dir(m.id().orElseThrow()).resolve(MODEL_FILE),
                    Json.prettyWriter().writeValueAsBytes(strip(m)));
        } catch (IOException e) {
            throw new WorkspaceException("cannot write fine-tuned model " + m.id().orElse("?") + ": " + e.getMessage(), e);
        }
    }

    /** The record as stored: without the W&B settings (their api_key never reaches disk). */
    private static FinetunedModel strip(FinetunedModel m) {
        if (m.settings().wandb().isEmpty()) {
            return m;
        }
        Settings s = new Settings(m.settings().baseModel(), m.settings().datasetId(), m.settings().hyperparameters(),
                Optional.empty());
        return new FinetunedModel(m.name(), s, m.id(), m.status(), m.createdAt(), m.updatedAt(), m.completedAt(),
                m.failureReason(), m.metrics());
    }

    private FinetunedModel touch(FinetunedModel m, Status st) {
        return m.withState(m.id().orElseThrow(), st, m.createdAt().orElse(clock.instant()), clock.instant(), m.completedAt(),
                m.failureReason(), m.metrics());
    }

    private static void append(Path file, Object record) {
        byte[] line;
        try {
            line = (Json.writer().writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new WorkspaceException("cannot serialize " + record.getClass().getSimpleName(), e);
        }
        synchronized (FinetuningClient.class) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND); OutputStream out = Channels.newOutputStream(ch)) {
                out.write(line);
                ch.force(false);
            } catch (IOException e) {
                throw new WorkspaceException("cannot append to " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** The records of a JSONL file; a torn last line (a crash mid-append) is skipped. */
    private static <T> List<T> readLines(Path file, Class<T> type) {
        List<T> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    out.add(Json.readValue(line, type));
                } catch (JsonProcessingException e) {
                    LOG.warn("{}: skipping an incomplete line", file);
                }
            }
        } catch (IOException e) {
            throw new WorkspaceException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static int offset(String token) {
        try {
            int v = Integer.parseInt(token);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new BadRequestException("page_token: \"" + token + "\" is not a token this service gave");
        }
    }

    private String newId(String name) {
        String slug = name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (slug.length() > 40) {
            slug = slug.substring(0, 40).replaceAll("-+$", "");
        }
        byte[] b = new byte[4];
        random.nextBytes(b);
        return (slug.isEmpty() ? "model" : slug) + "-" + HexFormat.of().formatHex(b);
    }

    static boolean fits(BaseType type, DatasetType ds) {
        String d = ds.toString();
        if (type.equals(BaseType.BASE_TYPE_CHAT)) {
            return d.equals("chat-finetune-input");
        }
        if (type.equals(BaseType.BASE_TYPE_GENERATIVE)) {
            return d.equals("prompt-completion-finetune-input");
        }
        if (type.equals(BaseType.BASE_TYPE_RERANK)) {
            return d.equals("reranker-finetune-input");
        }
        if (type.equals(BaseType.BASE_TYPE_CLASSIFICATION)) {
            return d.equals("single-label-classification-finetune-input") || d.equals("multi-label-classification-finetune-input");
        }
        return false;
    }

    private static String expectedFor(BaseType type) {
        if (type.equals(BaseType.BASE_TYPE_CHAT)) {
            return "chat-finetune-input";
        }
        if (type.equals(BaseType.BASE_TYPE_GENERATIVE)) {
            return "prompt-completion-finetune-input";
        }
        if (type.equals(BaseType.BASE_TYPE_RERANK)) {
            return "reranker-finetune-input";
        }
        if (type.equals(BaseType.BASE_TYPE_CLASSIFICATION)) {
            return "single- or multi-label-classification-finetune-input";
        }
        return "a known base type";
    }
}
