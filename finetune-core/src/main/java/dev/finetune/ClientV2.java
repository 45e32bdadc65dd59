package dev.finetune;

import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.classify.ClassifyRequest;
import dev.finetune.classify.ClassifyResponse;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetValidationException;
import dev.finetune.datasets.DatasetsClient;
import dev.finetune.datasets.DatasetsCreateResponse;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.finetuning.CreateFinetunedModelResponse;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.FinetuningClient;
import dev.finetune.finetuning.FinetuningFailedException;
import dev.finetune.finetuning.Status;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import dev.finetune.rerank.RerankRequest;
import dev.finetune.rerank.RerankResponse;
import dev.finetune.spi.DatasetValidator;
import dev.finetune.spi.InferenceBackend;
import dev.finetune.spi.InferenceBackendFactory;
import dev.finetune.spi.RecordFilter;
import dev.finetune.spi.RecordFilterFactory;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.workspace.JobEvents;
import dev.finetune.workspace.JobRunner;
import dev.finetune.workspace.LocalDatasets;
import dev.finetune.workspace.LocalFinetuning;
import dev.finetune.workspace.ModelStore;
import dev.finetune.workspace.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client: Cohere's {@code ClientV2} workflow on a local workspace.
 *
 * <pre>{@code
 * try (ClientV2 co = ClientV2.local()) {
 *     DatasetsCreateResponse r = co.datasets().create(Path.of("chats.jsonl"), Optional.empty(),
 *             DatasetsCreateRequest.builder().name("chats").type(DatasetType.CHAT_FINETUNE_INPUT).build());
 *     Dataset ds = co.wait(r);   // throws DatasetValidationException when validation fails
 * }
 * }</pre>
 *
 * <p>{@code wait} polls a dataset or a fine-tuned model to a terminal state and returns it; a failure
 * is thrown, the same way for both: {@link DatasetValidationException} for a dataset that ends
 * {@code failed}, {@link FinetuningFailedException} for a model that ends {@code STATUS_FAILED}; each
 * carries the record. A model deleted while waited for is a {@link NotFoundException}; a cancelled one
 * is returned ({@code STATUS_CANCELLED}: the caller asked for it).
 *
 * <p>Every error is a {@link FinetuneException}. Owns the workspace lock until {@link #close()};
 * thread-safe. A client that runs jobs (the default) trains queued fine-tunes on a background thread;
 * {@code builder().runJobs(false)} makes a client that only reads and queues (dashboards, listings).
 */
public final class ClientV2 implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClientV2.class);

    private final Workspace workspace;
    private final ExecutorService background;
    private final LocalDatasets datasets;
    private final ModelStore models;
    private final LocalFinetuning finetuning;
    private final Optional<JobRunner> runner;
    private final Optional<TrainingBackend> trainer;
    private final Object inferenceLock = new Object();
    private volatile InferenceBackend inference;

    private ClientV2(Builder b) {
        this.workspace = Workspace.open(b.workspace);
        this.background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "finetune-background");
            t.setDaemon(true);
            return t;
        });
        JobRunner jobs = null;
        try {
            Optional<DatasetValidator> validator = b.validator != null ? Optional.of(b.validator) : findValidator();
            this.datasets = new LocalDatasets(workspace, validator,
                    b.recordFilters != null ? b.recordFilters : findRecordFilters(), background, b.clock);
            datasets.purgeExpired();
            datasets.resumeInterrupted();
            this.trainer = b.trainingBackend != null ? Optional.of(b.trainingBackend) : findTrainingBackend();
            this.models = new ModelStore(workspace.modelsDir());
            JobEvents events = new JobEvents(models, b.clock);
            if (b.runJobs && trainer.isPresent()) {
                jobs = new JobRunner(models, id -> datasets.get(id).dataset(), id -> workspace.datasets().datasetDir(id),
                        workspace.baseModelsDir(), trainer.get(), b.trainingThreads, events);
            }
            this.runner = Optional.ofNullable(jobs);
            this.finetuning = new LocalFinetuning(models, id -> datasets.get(id).dataset(), trainer.isPresent(), runner, events);
            trainer.ifPresent(t -> finetuning.estimator((request, dataset) -> {
                // a scratch model folder: the backend may build the base and write a checkpoint there to time it
                java.nio.file.Path scratch = java.nio.file.Files.createTempDirectory(workspace.modelsDir(), ".estimate-");
                try {
                    return t.estimate(JobRunner.job(request, dataset, scratch, workspace.datasets().datasetDir(dataset.id()),
                            workspace.baseModelsDir()));
                } finally {
                    dev.finetune.workspace.FileOps.deleteTree(scratch);
                }
            }));
            trainer.ifPresent(t -> finetuning.exporter((model, dataset, step, out) -> t.exportCheckpoint(JobRunner.job(model, dataset,
                    models.dir(model.id().orElseThrow()), workspace.datasets().datasetDir(dataset.id()), workspace.baseModelsDir()),
                    step, out)));
            runner.ifPresent(JobRunner::resumeInterrupted);
        } catch (RuntimeException | ServiceConfigurationError e) {
            if (jobs != null) {
                jobs.close();
            }
            background.shutdownNow();
            workspace.close();
            throw e;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A client on the default workspace ({@code $FINETUNE_HOME}, else {@code ~/.finetune}) that runs jobs. */
    public static ClientV2 local() {
        return builder().build();
    }

    /** Datasets: upload, get, list, delete. */
    public DatasetsClient datasets() {
        return datasets;
    }

    /** The fine-tuning resource: create, get, list, update, delete, cancel, events and step metrics. */
    public FinetuningClient finetuning() {
        return finetuning;
    }

    /** The workspace folder this client owns (datasets, models, base models, the audit trail). */
    public Path root() {
        return workspace.root();
    }

    /**
     * The workspace's audit trail, oldest first: one record per dataset create, delete and purge (time,
     * dataset id and name, OS user, SHA-256 and size of the upload, row and PII counts; never values).
     */
    public List<com.fasterxml.jackson.databind.JsonNode> audit() {
        return workspace.readAudit();
    }

    /** Whether this client trains queued fine-tunes (see {@link Builder#runJobs(boolean)}). */
    public boolean runsJobs() {
        return runner.isPresent();
    }

    /**
     * What the training and inference code runs on, for a health check: e.g. {@code kernel=vector}
     * (the Vector API matmul) or {@code kernel=scalar} (plain Java, several times slower: the JVM lacks
     * {@code --add-modules jdk.incubator.vector}), and the thread count. Empty without finetune-train.
     */
    public Map<String, String> runtime() {
        return trainer.map(TrainingBackend::runtime).orElse(Map.of());
    }

    /** Waits, without a time limit, until the dataset is validated; see the class comment for failures. */
    public Dataset wait(Dataset dataset) {
        return wait(dataset, WaitOptions.defaults());
    }

    public Dataset wait(Dataset dataset, WaitOptions options) {
        return waitForDataset(dataset.id(), options);
    }

    public Dataset wait(DatasetsCreateResponse created) {
        return wait(created, WaitOptions.defaults());
    }

    public Dataset wait(DatasetsCreateResponse created, WaitOptions options) {
        return waitForDataset(created.id(), options);
    }

    /** Waits, without a time limit, until the fine-tune is ready (or cancelled); see the class comment for failures. */
    public FinetunedModel wait(FinetunedModel model) {
        return wait(model, WaitOptions.defaults());
    }

    public FinetunedModel wait(FinetunedModel model, WaitOptions options) {
        return waitForModel(model.id().orElseThrow(() -> new BadRequestException("the model has no id: create it first")),
                options);
    }

    public FinetunedModel wait(CreateFinetunedModelResponse created) {
        return wait(created.finetunedModel(), WaitOptions.defaults());
    }

    public FinetunedModel wait(CreateFinetunedModelResponse created, WaitOptions options) {
        return wait(created.finetunedModel(), options);
    }

    private Dataset waitForDataset(String id, WaitOptions options) {
        Dataset d = Poller.until(() -> datasets.get(id).dataset(), x -> x.validationStatus().isTerminal(),
                options.interval(), options.timeout());
        if (d.validationStatus().equals(ValidationStatus.FAILED)) {
            throw new DatasetValidationException(d);
        }
        return d;
    }

    private FinetunedModel waitForModel(String id, WaitOptions options) {
        if (runner.isEmpty() && models.exists(id) && !models.read(id).status().map(Status::isTerminal).orElse(false)) {
            LOG.warn("waiting for fine-tuned model {} on a client that does not run jobs: it trains only when a client "
                    + "that does opens this workspace", id);
        }
        FinetunedModel m = Poller.until(() -> finetuning.getFinetunedModel(id).finetunedModel(),
                x -> x.status().map(Status::isTerminal).orElse(false), options.interval(), options.timeout());
        Status st = m.status().orElseThrow();
        if (st.equals(Status.STATUS_FAILED)) {
            throw new FinetuningFailedException(m);
        }
        if (st.equals(Status.STATUS_DELETED)) {
            throw new NotFoundException("fine-tuned model " + id + " was deleted");
        }
        return m;
    }

    /**
     * A chat answer (v2). {@code model} is {@code "<id>-ft"}, a built-in base model, or a model folder.
     * A fine-tuned model that is not ready is an error naming its status.
     */
    public ChatResponse chat(ChatRequest request) {
        return inference().chat(request);
    }

    /**
     * A streamed chat answer: text deltas in order, then one {@code message-end} event with the finish
     * reason and usage, delivered to {@code events} on the calling thread.
     */
    public void chatStream(ChatRequest request, Consumer<ChatStreamEvent> events) {
        inference().chatStream(request, events);
    }

    /** A streamed chat answer as an iterable (generation runs while the caller iterates). */
    public Iterable<ChatStreamEvent> chatStream(ChatRequest request) {
        return () -> new StreamIterator(this, request);
    }

    /** Generations for a prompt, with token likelihoods when asked (legacy generate). */
    public GenerateResponse generate(GenerateRequest request) {
        return inference().generate(request);
    }

    /**
     * Documents ordered best first by a rerank model ({@code "<id>-ft"} of a {@code BASE_TYPE_RERANK}
     * fine-tune), each with its index in the request and a relevance score in [0, 1].
     */
    public RerankResponse rerank(RerankRequest request) {
        return inference().rerank(request);
    }

    /** Labels and confidences for each input from a classification model ({@code "<id>-ft"}). */
    public ClassifyResponse classify(ClassifyRequest request) {
        return inference().classify(request);
    }

    private InferenceBackend inference() {
        InferenceBackend b = inference;
        if (b != null) {
            return b;
        }
        synchronized (inferenceLock) {
            if (inference == null) {
                Iterator<InferenceBackendFactory> it = ServiceLoader.load(InferenceBackendFactory.class).iterator();
                if (!it.hasNext()) {
                    throw new FinetuneException("no inference backend on the class path: add the finetune-train dependency");
                }
                inference = it.next().create(workspace, new dev.finetune.spi.ModelLookup() {
                    @Override
                    public java.nio.file.Path readyModelDir(String id) {
                        return models.readyModelDir(id);
                    }

                    @Override
                    public java.nio.file.Path checkpointModelDir(String id, int step) {
                        models.read(id);
                        return finetuning.checkpointModelDir(id, step);
                    }
                });
            }
            return inference;
        }
    }

    /** Runs one streamed chat on a daemon thread and hands its events over through a small queue. */
    private static final class StreamIterator implements Iterator<ChatStreamEvent> {
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(256);
        private Object next;
        private boolean ended;

        StreamIterator(ClientV2 client, ChatRequest request) {
            Thread t = new Thread(() -> {
                try {
                    client.chatStream(request, e -> put(e));
                } catch (RuntimeException e) {
                    put(e);
                }
            }, "finetune-chat-stream");
            t.setDaemon(true);
            t.start();
        }

        private void put(Object o) {
            try {
                queue.put(o);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FinetuneException("chat stream interrupted", e);
            }
        }

        @Override
        public boolean hasNext() {
            if (ended) {
                return false;
            }
            if (next == null) {
                try {
                    next = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new FinetuneException("interrupted while waiting for the chat stream", e);
                }
            }
            if (next instanceof RuntimeException e) {
                ended = true;
                throw e;
            }
            return true;
        }

        @Override
        public ChatStreamEvent next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ChatStreamEvent e = (ChatStreamEvent) next;
            next = null;
            if (e.isEnd()) {
                ended = true;
            }
            return e;
        }
    }

    /**
     * Lets running fine-tunes reach a step boundary and finish their writes (they resume from their
     * checkpoint on the next open), stops background work (an unfinished validation resumes on the next
     * open) and releases the workspace.
     */
    @Override
    public void close() {
        InferenceBackend b = inference;
        if (b != null) {
            b.close();
        }
        runner.ifPresent(JobRunner::close);
        background.shutdownNow();
        try {
            if (!background.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("background work did not stop within 30 s; releasing the workspace anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workspace.close();
    }

    /** The configured backend of highest {@link TrainingBackend#priority()} on the class path (the first of equals). */
    private static Optional<TrainingBackend> findTrainingBackend() {
        TrainingBackend best = null;
        for (TrainingBackend b : ServiceLoader.load(TrainingBackend.class)) {
            if (b.priority() >= 0 && (best == null || b.priority() > best.priority())) {
                best = b;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The PII step from the class path (finetune-validation), or none. */
    private static Function<RecordFilterFactory.Context, RecordFilter> findRecordFilters() {
        Iterator<RecordFilterFactory> it = ServiceLoader.load(RecordFilterFactory.class).iterator();
        if (!it.hasNext()) {
            return ctx -> RecordFilter.NONE;
        }
        RecordFilterFactory f = it.next();
        return f::create;
    }

    private static Optional<DatasetValidator> findValidator() {
        Iterator<DatasetValidator> it = ServiceLoader.load(DatasetValidator.class).iterator();
        if (!it.hasNext()) {
            LOG.warn("no DatasetValidator on the class path; datasets will fail validation");
            return Optional.empty();
        }
        return Optional.of(it.next());
    }

    public static final class Builder {
        private Path workspace = Workspace.defaultRoot();
        private DatasetValidator validator;
        private Function<RecordFilterFactory.Context, RecordFilter> recordFilters;
        private Clock clock = Clock.systemUTC();
        private int trainingThreads = 1;
        private TrainingBackend trainingBackend;
        private boolean runJobs = true;

        /** Fine-tunes trained at the same time (default 1: one job uses every core). */
        public Builder trainingThreads(int n) {
            Ranges.check("training_threads", n, 1, 64);
            this.trainingThreads = n;
            return this;
        }

        /**
         * Whether this client trains fine-tunes (default true): it resumes the jobs a stopped process left
         * and trains new ones in the background. A client built with {@code false} reads, creates and
         * cancels, but trains nothing: what it creates waits {@code STATUS_QUEUED} for a client that does.
         */
        public Builder runJobs(boolean run) {
            this.runJobs = run;
            return this;
        }

        /** Uses this training backend instead of the one found through {@link ServiceLoader}. */
        public Builder trainingBackend(TrainingBackend backend) {
            this.trainingBackend = Objects.requireNonNull(backend, "trainingBackend");
            return this;
        }

        public Builder workspace(Path dir) {
            this.workspace = Objects.requireNonNull(dir, "workspace");
            return this;
        }

        /** Uses this validator instead of the one found through {@link ServiceLoader}. */
        public Builder validator(DatasetValidator v) {
            this.validator = Objects.requireNonNull(v, "validator");
            return this;
        }

        /** The pre-storage step (e.g. PII scanning); a fresh filter per dataset. */
        public Builder recordFilters(Supplier<RecordFilter> filters) {
            Objects.requireNonNull(filters, "recordFilters");
            this.recordFilters = ctx -> filters.get();
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        /** Opens the workspace (taking its lock), resumes interrupted validations and, when it runs jobs, fine-tunes. */
        public ClientV2 build() {
            return new ClientV2(this);
        }
    }
}
