package dev.finetune.workspace;

import dev.finetune.BadRequestException;
import dev.finetune.FinetuneException;
import dev.finetune.NotFoundException;
import dev.finetune.WorkspaceException;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.CreateFinetunedModelResponse;
import dev.finetune.finetuning.Estimate;
import dev.finetune.finetuning.Event;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.FinetuningClient;
import dev.finetune.finetuning.GetFinetunedModelResponse;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.JobUpdate;
import dev.finetune.finetuning.ListEventsRequest;
import dev.finetune.finetuning.ListEventsResponse;
import dev.finetune.finetuning.ListFinetunedModelsRequest;
import dev.finetune.finetuning.ListFinetunedModelsResponse;
import dev.finetune.finetuning.ListTrainingStepMetricsRequest;
import dev.finetune.finetuning.ListTrainingStepMetricsResponse;
import dev.finetune.finetuning.Paging;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.finetuning.UpdateFinetunedModelRequest;
import dev.finetune.finetuning.UpdateFinetunedModelResponse;
import dev.finetune.finetuning.WandbConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local {@code finetuning} resource over a {@link ModelStore}; a {@link JobRunner}, when this
 * client runs jobs, trains what is queued. A client that does not run jobs (a read-only client, or the
 * CLI's reading commands) still creates fine-tunes: they wait {@code STATUS_QUEUED} on disk for the
 * next client that does.
 */
public final class LocalFinetuning implements FinetuningClient {
    private static final Logger LOG = LoggerFactory.getLogger(LocalFinetuning.class);

    private final ModelStore store;
    private final Function<String, Dataset> datasets;
    private final boolean trainerAvailable;
    private final Optional<JobRunner> runner;
    private final JobEvents events;
    private final Clock clock;

    public LocalFinetuning(ModelStore store, Function<String, Dataset> datasets, boolean trainerAvailable,
                           Optional<JobRunner> runner, JobEvents events) {
        this.store = store;
        this.datasets = datasets;
        this.trainerAvailable = trainerAvailable;
        this.runner = runner;
        this.events = events;
        this.clock = events.clock();
    }

    @Override
    public void addListener(Consumer<JobUpdate> listener) {
        events.addListener(listener);
    }

    /**
     * Estimates a request for {@link #estimate}: the dataset it names (already checked) and a scratch
     * folder for the job, deleted afterwards.
     */
    @FunctionalInterface
    public interface Estimator {
        Estimate estimate(FinetunedModel request, Dataset dataset) throws Exception;
    }

    private Estimator estimator = (r, d) -> {
        throw new FinetuneException("no training backend on the class path: add the finetune-train dependency");
    };

    /** Sets how {@link #estimate} is answered (the client wires its training backend here). */
    public LocalFinetuning estimator(Estimator e) {
        this.estimator = java.util.Objects.requireNonNull(e, "estimator");
        return this;
    }

    @Override
    public Estimate estimate(FinetunedModel request) {
        Dataset d = check(request.settings());
        try {
            return estimator.estimate(request, d);
        } catch (FinetuneException | IllegalArgumentException e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw new FinetuneException("out of memory while estimating (" + e.getMessage() + "): give the JVM more heap (-Xmx)");
        } catch (Exception e) {
            throw new FinetuneException("cannot estimate: " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
    }

    /** Writes a kept checkpoint as a servable folder (the client wires its training backend here). */
    @FunctionalInterface
    public interface Exporter {
        void export(FinetunedModel model, Dataset dataset, int step, Path out) throws Exception;
    }

    private Exporter exporter = (m, d, step, out) -> {
        throw new FinetuneException("no training backend on the class path: add the finetune-train dependency");
    };

    /** Sets how {@link #exportCheckpoint} writes a folder. */
    public LocalFinetuning exporter(Exporter e) {
        this.exporter = java.util.Objects.requireNonNull(e, "exporter");
        return this;
    }

    @Override
    public List<dev.finetune.finetuning.KeptCheckpoint> listCheckpoints(String id) {
        store.read(id);
        Path root = store.dir(id).resolve(ModelFiles.KEPT_CHECKPOINTS);
        List<dev.finetune.finetuning.KeptCheckpoint> out = new ArrayList<>();
        if (!java.nio.file.Files.isDirectory(root)) {
            return out;
        }
        List<com.fasterxml.jackson.databind.JsonNode> infos = new ArrayList<>();
        try (var dirs = java.nio.file.Files.list(root)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().matches("step-\\d+")).toList()) {
                Path info = d.resolve(ModelFiles.KEPT_INFO);
                if (java.nio.file.Files.isRegularFile(info) && java.nio.file.Files.isRegularFile(d.resolve(ModelFiles.KEPT_WEIGHTS))) {
                    infos.add(dev.finetune.json.Json.reader().readTree(java.nio.file.Files.readAllBytes(info)));
                }
            }
        } catch (java.io.IOException e) {
            throw new WorkspaceException("cannot list the checkpoints of " + id + ": " + e.getMessage(), e);
        }
        infos.sort(java.util.Comparator.comparingInt(n -> n.path("step").asInt()));
        // the best: the last one whose evaluation improved on every one before it (improvements only ever raise the bar)
        int best = -1;
        for (com.fasterxml.jackson.databind.JsonNode n : infos) {
            if (n.path("improved").asBoolean()) {
                best = n.path("step").asInt();
            }
        }
        for (com.fasterxml.jackson.databind.JsonNode n : infos) {
            java.util.Map<String, Double> metrics = new java.util.LinkedHashMap<>();
            n.path("metrics").fields().forEachRemaining(e -> metrics.put(e.getKey(), e.getValue().asDouble()));
            out.add(new dev.finetune.finetuning.KeptCheckpoint(n.path("step").asInt(), metrics, n.path("step").asInt() == best));
        }
        return out;
    }

    @Override
    public Path exportCheckpoint(String id, int step, Path out) {
        FinetunedModel m = store.read(id);
        if (listCheckpoints(id).stream().noneMatch(c -> c.step() == step)) {
            throw new NotFoundException("fine-tuned model " + id + " kept no checkpoint at step " + step + " (see its checkpoints)");
        }
        Dataset d;
        try {
            d = datasets.apply(m.settings().datasetId());
        } catch (NotFoundException e) {
            throw new BadRequestException("checkpoint " + step + " of " + id + " cannot be exported: its dataset "
                    + m.settings().datasetId() + " is no longer in the workspace");
        }
        try {
            exporter.export(m, d, step, out);
        } catch (FinetuneException e) {
            throw e;
        } catch (Exception e) {
            throw new FinetuneException("cannot export checkpoint " + step + " of " + id + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The servable folder of a kept checkpoint, exported into the checkpoint's folder the first time. */
    public Path checkpointModelDir(String id, int step) {
        Path dir = store.dir(id).resolve(ModelFiles.keptDir(step)).resolve(ModelFiles.KEPT_MODEL);
        synchronized (store.lock(id)) {
            if (!java.nio.file.Files.isRegularFile(dir.resolve(ModelFiles.CONFIG))) {
                Path tmp = dir.resolveSibling(ModelFiles.KEPT_MODEL + ".tmp");
                FileOps.deleteTree(tmp);
                exportCheckpoint(id, step, tmp);
                try {
                    AtomicWrite.move(tmp, dir);
                } catch (java.io.IOException e) {
                    throw new WorkspaceException("cannot move " + tmp + " to " + dir + ": " + e.getMessage(), e);
                }
            }
        }
        return dir;
    }

    @Override
    public Optional<Estimate> jobEstimate(String id) {
        store.read(id);
        Path f = store.dir(id).resolve(ModelFiles.ESTIMATE);
        if (!java.nio.file.Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(dev.finetune.json.Json.readValue(f.toFile(), Estimate.class));
        } catch (java.io.IOException e) {
            throw new WorkspaceException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    @Override
    public CreateFinetunedModelResponse createFinetunedModel(FinetunedModel request) {
        Settings s = request.settings();
        Dataset d = check(s);
        BaseType type = s.baseModel().baseType();
        String id = FileOps.newId(request.name(), "model");
        Instant now = clock.instant();
        FinetunedModel stored = ModelStore.withoutSecrets(request).withState(id, Status.STATUS_QUEUED, now, now,
                Optional.empty(), Optional.empty(), Optional.empty());
        store.create(stored);
        event(id, Status.STATUS_QUEUED, "queued: " + type + " on dataset " + d.id() + " ("
                + s.hyperparameters().orElse(Hyperparameters.defaults()).strategyValue() + ")");
        s.wandb().ifPresent(w -> {
            runner.ifPresent(r -> r.rememberSecrets(id, w));
            event(id, Status.STATUS_QUEUED, wandbNote(w, store.dir(id)));
        });
        runner.ifPresentOrElse(r -> r.submit(id),
                () -> LOG.info("fine-tuned model {} queued; it trains when a client that runs jobs opens this workspace", id));
        return new CreateFinetunedModelResponse(stored);
    }

    /** The settings' checks (the dataset exists, is validated and fits the base type; a trainer is there). */
    private Dataset check(Settings s) {
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
        if (!type.accepts(d.datasetType())) {
            throw new BadRequestException("settings.base_model.base_type: " + type + " cannot train on a "
                    + d.datasetType() + " dataset (expected " + (type.datasetTypes().isEmpty() ? "a known base type"
                    : String.join(" or ", type.datasetTypes().stream().map(Object::toString).toList())) + ")");
        }
        if (!trainerAvailable) {
            throw new FinetuneException("no training backend on the class path: add the finetune-train dependency");
        }
        return d;
    }

    /** What was done with the W&B settings: nothing is uploaded; the TensorBoard run can be. Never the key. */
    static String wandbNote(WandbConfig w, Path modelDir) {
        Path tb = modelDir.resolve(ModelFiles.TENSORBOARD);
        return "wandb: this build does not upload to Weights & Biases (project " + w.project()
                + w.entity().map(e -> ", entity " + e).orElse("") + "); the run's metrics are written as TensorBoard events to "
                + tb + "; upload them with: wandb sync --sync-tensorboard " + tb;
    }

    @Override
    public GetFinetunedModelResponse getFinetunedModel(String id) {
        return new GetFinetunedModelResponse(store.read(id));
    }

    @Override
    public ListFinetunedModelsResponse listFinetunedModels(ListFinetunedModelsRequest request) {
        List<FinetunedModel> all = store.all();
        Paging.Page<FinetunedModel> page = Paging.page(all, request.pageSize(), request.pageToken());
        return new ListFinetunedModelsResponse(page.items(), page.nextPageToken(), all.size());
    }

    @Override
    public UpdateFinetunedModelResponse updateFinetunedModel(String id, UpdateFinetunedModelRequest request) {
        synchronized (store.lock(id)) {
            FinetunedModel m = store.read(id);
            FinetunedModel renamed = m.withName(request.name());
            store.write(renamed.withState(id, m.status().orElseThrow(), m.createdAt().orElse(clock.instant()), clock.instant(),
                    m.completedAt(), m.failureReason(), m.metrics()));
            return new UpdateFinetunedModelResponse(store.read(id));
        }
    }

    @Override
    public GetFinetunedModelResponse cancelFinetunedModel(String id) {
        FinetunedModel m = store.read(id);
        Status st = m.status().orElseThrow();
        if (st.isTerminal()) {
            throw new BadRequestException("fine-tuned model " + id + " is " + st + "; only a queued or running job can be cancelled");
        }
        runner.ifPresent(r -> r.cancel(id));
        if (st.equals(Status.STATUS_QUEUED) || runner.isEmpty()) {
            // nobody in this process trains it: the record is the whole state
            transition(id, Status.STATUS_CANCELLED, st.equals(Status.STATUS_QUEUED) ? "cancelled before it started" : "cancelled");
        }
        return getFinetunedModel(id);
    }

    @Override
    public void deleteFinetunedModel(String id) {
        store.read(id);
        runner.ifPresent(r -> r.cancel(id));
        store.delete(id);
        LOG.info("fine-tuned model {} deleted", id);
    }

    @Override
    public ListEventsResponse listEvents(String id, ListEventsRequest request) {
        List<Event> all = new ArrayList<>(store.events(id));
        if (!request.orderBy().orElse("created_at desc").equals("created_at asc")) {
            java.util.Collections.reverse(all);
        }
        Paging.Page<Event> page = Paging.page(all, request.pageSize(), request.pageToken());
        return new ListEventsResponse(page.items(), page.nextPageToken(), all.size());
    }

    @Override
    public ListTrainingStepMetricsResponse listTrainingStepMetrics(String id, ListTrainingStepMetricsRequest request) {
        List<TrainingStepMetrics> all = store.metrics(id);
        Paging.Page<TrainingStepMetrics> page = Paging.page(all, request.pageSize(), request.pageToken());
        return new ListTrainingStepMetricsResponse(page.items(), page.nextPageToken());
    }

    @Override
    public Path modelFolder(String id) {
        store.read(id);
        return store.dir(id);
    }

    private void transition(String id, Status to, String message) {
        events.transition(id, to, Optional.empty(), Optional.empty(), message);
    }

    private void event(String id, Status status, String message) {
        events.event(id, status, message);
    }
}
