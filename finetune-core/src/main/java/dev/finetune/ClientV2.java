package dev.finetune;

import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetValidationException;
import dev.finetune.datasets.DatasetsClient;
import dev.finetune.datasets.DatasetsCreateResponse;
import dev.finetune.datasets.DatasetsGetResponse;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import dev.finetune.spi.DatasetValidator;
import dev.finetune.spi.InferenceBackend;
import dev.finetune.spi.InferenceBackendFactory;
import dev.finetune.spi.ModelLookup;
import dev.finetune.spi.RecordFilter;
import dev.finetune.workspace.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
 * Owns the workspace lock until {@link #close()}; thread-safe.
 */
public final class ClientV2 implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClientV2.class);

    private final Workspace workspace;
    private final ExecutorService background;
    private final DatasetsClient datasets;
    private final dev.finetune.finetuning.FinetuningClient finetuning;
    private final ExecutorService trainingRunner;
    private final Object inferenceLock = new Object();
    private volatile InferenceBackend inference;
    private volatile ModelLookup modelLookup = ModelLookup.NONE;

    private ClientV2(Builder b) {
        this.workspace = Workspace.open(b.workspace);
        this.background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "finetune-background");
            t.setDaemon(true);
            return t;
        });
        this.trainingRunner = Executors.newFixedThreadPool(b.trainingThreads, r -> {
            Thread t = new Thread(r, "finetune-training");
            t.setDaemon(true);
            return t;
        });
        try {
            Optional<DatasetValidator> validator = b.validator != null ? Optional.of(b.validator) : findValidator();
            this.datasets = new DatasetsClient(workspace, validator,
                    b.recordFilters != null ? b.recordFilters : findRecordFilters(), background, b.clock);
            datasets.purgeExpired();
            datasets.resumeInterrupted();
            Optional<dev.finetune.spi.TrainingBackend> trainer = b.trainingBackend != null ? Optional.of(b.trainingBackend)
                    : findTrainingBackend();
            this.finetuning = new dev.finetune.finetuning.FinetuningClient(workspace, id -> datasets.get(id).dataset(), trainer,
                    trainingRunner, b.clock);
            this.modelLookup = finetuning::readyModelDir;
            finetuning.resumeInterrupted();
        } catch (RuntimeException | java.util.ServiceConfigurationError e) {
            trainingRunner.shutdownNow();
            background.shutdownNow();
            workspace.close();
            throw e;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A client on the default workspace: {@code $FINETUNE_HOME}, else {@code ~/.finetune}. */
    public static ClientV2 local() {
        return builder().build();
    }

    public DatasetsClient datasets() {
        return datasets;
    }

    public Workspace workspace() {
        return workspace;
    }

    /** The fine-tuning resource: create, get, list, update, delete, cancel, events and step metrics. */
    public dev.finetune.finetuning.FinetuningClient finetuning() {
        return finetuning;
    }

    /** Waits until the model is ready, failed, cancelled or deleted, polling every 2 seconds. */
    public dev.finetune.finetuning.FinetunedModel wait(dev.finetune.finetuning.FinetunedModel model) {
        return waitForModel(model.id().orElseThrow(() -> new BadRequestException("the model has no id: create it first")),
                Poller.DEFAULT_INTERVAL, Optional.empty());
    }

    public dev.finetune.finetuning.FinetunedModel wait(dev.finetune.finetuning.FinetunedModel model, Duration timeout) {
        return waitForModel(model.id().orElseThrow(() -> new BadRequestException("the model has no id: create it first")),
                Poller.DEFAULT_INTERVAL, Optional.of(timeout));
    }

    public dev.finetune.finetuning.FinetunedModel wait(dev.finetune.finetuning.CreateFinetunedModelResponse created) {
        return wait(created.finetunedModel());
    }

    public dev.finetune.finetuning.FinetunedModel wait(dev.finetune.finetuning.CreateFinetunedModelResponse created,
                                                       Duration timeout, Duration interval) {
        return waitForModel(created.finetunedModel().id().orElseThrow(), interval, Optional.of(timeout));
    }

    /**
     * Polls a fine-tuned model to a terminal status and returns it; a failed model is returned, not
     * thrown: its {@code failure_reason} and events say why (inspect before retrying).
     */
    private dev.finetune.finetuning.FinetunedModel waitForModel(String id, Duration interval, Optional<Duration> timeout) {
        return Poller.until(() -> {
            try {
                return finetuning.getFinetunedModel(id).finetunedModel();
            } catch (NotFoundException e) {
                return null;
            }
        }, m -> m == null || m.status().map(dev.finetune.finetuning.Status::isTerminal).orElse(false), interval, timeout);
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
    public void chatStream(ChatRequest request, java.util.function.Consumer<ChatStreamEvent> events) {
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
    public dev.finetune.rerank.RerankResponse rerank(dev.finetune.rerank.RerankRequest request) {
        return inference().rerank(request);
    }

    /** Labels and confidences for each input from a classification model ({@code "<id>-ft"}). */
    public dev.finetune.classify.ClassifyResponse classify(dev.finetune.classify.ClassifyRequest request) {
        return inference().classify(request);
    }

    /** Lets the fine-tuning side tell inference where ready fine-tuned models live. */
    public void setModelLookup(ModelLookup lookup) {
        this.modelLookup = Objects.requireNonNull(lookup);
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
                inference = it.next().create(workspace, id -> modelLookup.readyModelDir(id));
            }
            return inference;
        }
    }

    /** Runs one streamed chat on a daemon thread and hands its events over through a small queue. */
    private static final class StreamIterator implements Iterator<ChatStreamEvent> {
        private final java.util.concurrent.BlockingQueue<Object> queue = new java.util.concurrent.ArrayBlockingQueue<>(256);
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
                throw new java.util.NoSuchElementException();
            }
            ChatStreamEvent e = (ChatStreamEvent) next;
            next = null;
            if (e.isEnd()) {
                ended = true;
            }
            return e;
        }
    }

    /** Waits for the dataset to finish validating, polling every 2 seconds without a time limit. */
    public Dataset wait(DatasetsCreateResponse created) {
        return waitForDataset(created.id(), Poller.DEFAULT_INTERVAL, Optional.empty());
    }

    public Dataset wait(DatasetsCreateResponse created, Duration timeout) {
        return waitForDataset(created.id(), Poller.DEFAULT_INTERVAL, Optional.of(timeout));
    }

    public Dataset wait(DatasetsCreateResponse created, Duration timeout, Duration interval) {
        return waitForDataset(created.id(), interval, Optional.of(timeout));
    }

    public Dataset wait(Dataset dataset) {
        return waitForDataset(dataset.id(), Poller.DEFAULT_INTERVAL, Optional.empty());
    }

    public Dataset wait(Dataset dataset, Duration timeout) {
        return waitForDataset(dataset.id(), Poller.DEFAULT_INTERVAL, Optional.of(timeout));
    }

    public Dataset wait(Dataset dataset, Duration timeout, Duration interval) {
        return waitForDataset(dataset.id(), interval, Optional.of(timeout));
    }

    public Dataset wait(DatasetsGetResponse got) {
        return wait(got.dataset());
    }

    public Dataset wait(DatasetsGetResponse got, Duration timeout) {
        return wait(got.dataset(), timeout);
    }

    /**
     * Polls the dataset to a terminal status.
     *
     * @throws DatasetValidationException when it ends {@code failed}
     * @throws WaitTimeoutException       "wait timed out after N seconds"
     */
    private Dataset waitForDataset(String id, Duration interval, Optional<Duration> timeout) {
        Dataset d = Poller.until(() -> datasets.get(id).dataset(), x -> x.validationStatus().isTerminal(), interval, timeout);
        if (d.validationStatus().equals(ValidationStatus.FAILED)) {
            throw new DatasetValidationException(d);
        }
        return d;
    }

    /** Stops background work (an unfinished validation resumes on the next open) and releases the workspace. */
    @Override
    public void close() {
        InferenceBackend b = inference;
        if (b != null) {
            b.close();
        }
        trainingRunner.shutdownNow();
        background.shutdownNow();
        try {
            if (!trainingRunner.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("a training job did not stop within 60 s; releasing the workspace anyway");
            }
            if (!background.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("background work did not stop within 30 s; releasing the workspace anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workspace.close();
    }

    private static Optional<dev.finetune.spi.TrainingBackend> findTrainingBackend() {
        Iterator<dev.finetune.spi.TrainingBackend> it = ServiceLoader.load(dev.finetune.spi.TrainingBackend.class).iterator();
        return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
    }

    /** The PII step from the class path (finetune-validation), or none. */
    private static java.util.function.Function<dev.finetune.spi.RecordFilterFactory.Context, RecordFilter> findRecordFilters() {
        Iterator<dev.finetune.spi.RecordFilterFactory> it = ServiceLoader.load(dev.finetune.spi.RecordFilterFactory.class).iterator();
        if (!it.hasNext()) {
            return ctx -> RecordFilter.NONE;
        }
        dev.finetune.spi.RecordFilterFactory f = it.next();
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
        private java.util.function.Function<dev.finetune.spi.RecordFilterFactory.Context, RecordFilter> recordFilters;
        private Clock clock = Clock.systemUTC();
        private int trainingThreads = 1;
        private dev.finetune.spi.TrainingBackend trainingBackend;

        /** Fine-tunes trained at the same time (default 1: one job uses every core). */
        public Builder trainingThreads(int n) {
            Ranges.check("training_threads", n, 1, 64);
            this.trainingThreads = n;
            return this;
        }

        /** Uses this training backend instead of the one found through {@link ServiceLoader}. */
        public Builder trainingBackend(dev.finetune.spi.TrainingBackend backend) {
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

        /** Opens the workspace (taking its lock) and resumes interrupted validations. */
        public ClientV2 build() {
            return new ClientV2(this);
        }
    }
}
