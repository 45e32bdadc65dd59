package dev.finetune.workspace;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.BadRequestException;
import dev.finetune.NotFoundException;
import dev.finetune.WorkspaceException;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsClient;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.DatasetsCreateResponse;
import dev.finetune.datasets.DatasetsGetResponse;
import dev.finetune.datasets.DatasetsListRequest;
import dev.finetune.datasets.DatasetsListResponse;
import dev.finetune.datasets.PiiPolicy;
import dev.finetune.json.Json;
import dev.finetune.spi.DatasetValidator;
import dev.finetune.spi.RecordFilter;
import dev.finetune.spi.RecordFilterFactory;
import dev.finetune.spi.ValidationJob;
import dev.finetune.spi.ValidationOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local {@code co.datasets()}: upload, read, list and delete datasets in the workspace. {@code create}
 * streams the upload into the workspace, records the dataset as {@code processing} and returns; the
 * validator runs on the client's background executor. Thread-safe.
 */
public final class LocalDatasets implements DatasetsClient {
    private static final Logger LOG = LoggerFactory.getLogger(LocalDatasets.class);
    static final long MAX_FILE_BYTES = DatasetsClient.MAX_FILE_BYTES;
    static final String TRAIN_UPLOAD = "upload-train.bin";
    static final String EVAL_UPLOAD = "upload-eval.bin";

    private final Workspace workspace;
    private final Optional<DatasetValidator> validator;
    private final java.util.function.Function<RecordFilterFactory.Context, RecordFilter> recordFilters;
    private final ExecutorService executor;
    private final Clock clock;

    /** Made by {@code ClientV2}; {@code validator} is empty when none is on the class path. */
    public LocalDatasets(Workspace workspace, Optional<DatasetValidator> validator, java.util.function.Function<RecordFilterFactory.Context, RecordFilter> recordFilters,
            ExecutorService executor, Clock clock) {
        this.workspace = workspace;
        this.validator = validator;
        this.recordFilters = recordFilters;
        this.executor = executor;
        this.clock = clock;
    }

    /** The request and upload facts kept beside {@code dataset.json}, so an interrupted validation can run again. */
    record StoredRequest(String name, DatasetType type, boolean keepOriginalFile, boolean skipMalformedInput, String csvDelimiter,
            String trainSha256, long trainBytes, Optional<String> evalSha256, Optional<Long> evalBytes,
            Optional<PiiPolicy> piiPolicy, boolean piiPseudonyms, Optional<java.time.Instant> retainUntil,
            java.util.Map<String, String> piiCustomPatterns, Optional<Double> piiMinConfidence) {
        PiiPolicy policy() {
            return piiPolicy == null ? PiiPolicy.REDACT : piiPolicy.orElse(PiiPolicy.REDACT);
        }
    }

    /** Uploads {@code data} (and the optional eval file) and starts validating it. */
    @Override
    public DatasetsCreateResponse create(Path data, Optional<Path> evalData, DatasetsCreateRequest request) {
        checkReadable(data, "data");
        evalData.ifPresent(p -> checkReadable(p, "eval_data"));
        try (InputStream in = Files.newInputStream(data);
                InputStream eval = evalData.isPresent() ? Files.newInputStream(evalData.get()) : null) {
            return create(in, Optional.ofNullable(eval), request);
        } catch (IOException e) {
            throw new WorkspaceException("cannot read " + data + ": " + e.getMessage(), e);
        }
    }

    @Override
    public DatasetsCreateResponse create(Path data, DatasetsCreateRequest request) {
        return create(data, Optional.empty(), request);
    }

    /** Uploads from streams (read to the end, not closed). */
    @Override
    public DatasetsCreateResponse create(InputStream data, Optional<InputStream> evalData, DatasetsCreateRequest request) {
        String id = FileOps.newId(request.name(), "dataset");
        DatasetStore store = workspace.datasets();
        Path staging = store.stagingDir(id);
        boolean published = false;
        try {
            Upload train = copy(data, staging.resolve(TRAIN_UPLOAD), "data");
            Optional<Upload> eval = Optional.empty();
            if (evalData.isPresent()) {
                eval = Optional.of(copy(evalData.get(), staging.resolve(EVAL_UPLOAD), "eval_data"));
            }
            StoredRequest stored = new StoredRequest(request.name(), request.type(), request.keepOriginalFile(),
                    request.skipMalformedInput(), String.valueOf(request.csvDelimiter()), train.sha256, train.bytes,
                    eval.map(u -> u.sha256), eval.map(u -> u.bytes), Optional.of(request.piiPolicy()), request.piiPseudonyms(),
                    Optional.of(clock.instant().plus(java.time.Duration.ofDays(request.retentionDays()))),
                    request.piiCustomPatterns(), request.piiMinConfidence());
            DatasetStore.writeJson(staging.resolve(DatasetStore.REQUEST_FILE), stored);
            Dataset d = Dataset.processing(id, request.name(), request.type(), clock.instant());
            DatasetStore.writeJson(staging.resolve(DatasetStore.DATASET_FILE), d);
            store.publish(id);
            published = true;
        } finally {
            if (!published) {
                store.discardStaging(id);
            }
        }
        LOG.info("dataset {} uploaded; validating", id);
        submit(id);
        return new DatasetsCreateResponse(id);
    }

    @Override
    public DatasetsGetResponse get(String id) {
        return new DatasetsGetResponse(workspace.datasets().get(id));
    }

    @Override
    public DatasetsListResponse list() {
        return list(DatasetsListRequest.builder().build());
    }

    /** One page, newest first, after the request's filters. */
    @Override
    public DatasetsListResponse list(DatasetsListRequest request) {
        List<Dataset> matching = workspace.datasets().list().stream().filter(request::matches)
                .skip(request.offset()).limit(request.limit()).toList();
        return new DatasetsListResponse(matching);
    }

    @Override
    public void delete(String id) {
        Dataset d = workspace.datasets().get(id);
        workspace.datasets().delete(id);
        audit("delete", d, Optional.empty());
        LOG.info("dataset {} deleted", id);
    }

    /**
     * Deletes every dataset whose retention deadline has passed (all its files), with a {@code purge}
     * audit line each; called when the client opens, and callable any time. Returns the purged ids.
     */
    public List<String> purgeExpired() {
        List<String> purged = new java.util.ArrayList<>();
        for (Dataset d : workspace.datasets().list()) {
            Path file = workspace.datasets().datasetDir(d.id()).resolve(DatasetStore.REQUEST_FILE);
            try {
                if (!Files.exists(file)) {
                    continue;
                }
                StoredRequest r = Json.readValue(file.toFile(), StoredRequest.class);
                if (r.retainUntil() != null && r.retainUntil().isPresent() && !clock.instant().isBefore(r.retainUntil().get())) {
                    workspace.datasets().delete(d.id());
                    audit("purge", d, Optional.of(r));
                    purged.add(d.id());
                    LOG.info("dataset {} purged: its retention ended {}", d.id(), r.retainUntil().get());
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("dataset {}: cannot check its retention", d.id(), e);
            }
        }
        return purged;
    }

    /** Validates again every dataset a stopped process left in {@code processing}; called when the client opens. */
    public void resumeInterrupted() {
        for (Dataset d : workspace.datasets().list()) {
            if (!d.validationStatus().isTerminal()) {
                LOG.info("dataset {} was being validated when the last process stopped; validating again", d.id());
                submit(d.id());
            } else {
                removeLeftoverUpload(d.id());
            }
        }
    }

    /** A crash right after the final {@code dataset.json} can leave an upload that should have gone. */
    private void removeLeftoverUpload(String id) {
        Path dir = workspace.datasets().datasetDir(id);
        if (!Files.exists(dir.resolve(TRAIN_UPLOAD)) && !Files.exists(dir.resolve(EVAL_UPLOAD))) {
            return;
        }
        try {
            StoredRequest req = Json.readValue(dir.resolve(DatasetStore.REQUEST_FILE).toFile(), StoredRequest.class);
            if (!req.keepOriginalFile()) {
                Files.deleteIfExists(dir.resolve(TRAIN_UPLOAD));
                Files.deleteIfExists(dir.resolve(EVAL_UPLOAD));
            }
        } catch (IOException e) {
            LOG.warn("dataset {}: cannot tidy the uploaded files", id, e);
        }
    }

    private void submit(String id) {
        try {
            executor.execute(() -> validate(id));
        } catch (RejectedExecutionException e) {
            // the client is closing; the dataset stays processing and is validated when the workspace next opens
            LOG.info("dataset {} left processing: client closed", id);
        }
    }

    private void validate(String id) {
        DatasetStore store = workspace.datasets();
        Optional<Dataset> current = store.read(id);
        if (current.isEmpty()) {
            return;
        }
        Dataset d = current.get();
        Path dir = store.datasetDir(id);
        ValidationOutcome outcome;
        StoredRequest req = null;
        try {
            req = Json.readValue(dir.resolve(DatasetStore.REQUEST_FILE).toFile(), StoredRequest.class);
            Path train = dir.resolve(TRAIN_UPLOAD);
            Path eval = dir.resolve(EVAL_UPLOAD);
            if (!Files.exists(train)) {
                outcome = ValidationOutcome.failed("validation was interrupted and the uploaded file is gone; create the dataset again");
            } else if (validator.isEmpty()) {
                outcome = ValidationOutcome.failed(
                        "no dataset validator on the class path: add finetune-validation (or finetune-train) to the dependencies");
            } else {
                ValidationJob job = new ValidationJob(d.datasetType(), train,
                        Files.exists(eval) ? Optional.of(eval) : Optional.empty(), req.skipMalformedInput(),
                        req.csvDelimiter().charAt(0), dir, recordFilters.apply(new RecordFilterFactory.Context(id,
                                d.datasetType(), req.policy(), req.piiPseudonyms(), workspace.root(),
                                req.piiCustomPatterns() == null ? java.util.Map.of() : req.piiCustomPatterns(),
                                req.piiMinConfidence() == null ? Optional.empty() : req.piiMinConfidence())));
                outcome = validator.get().validate(job);
            }
        } catch (IOException | RuntimeException e) {
            if (Thread.currentThread().isInterrupted()) {
                // the client is closing: leave the dataset processing; it is validated again on the next open
                LOG.info("dataset {}: validation interrupted", id);
                return;
            }
            LOG.warn("dataset {}: validator could not run", id, e);
            outcome = ValidationOutcome.failed("validation could not run: " + e.getMessage());
        }
        Dataset done = d.withResult(outcome.status(), outcome.validationError(), outcome.validationWarnings(), outcome.parts(),
                outcome.metrics(), outcome.pii(), clock.instant());
        boolean removeUpload = req != null && !req.keepOriginalFile();
        StoredRequest stored = req;
        if (!store.update(done, () -> {
            if (removeUpload) {
                try {
                    Files.deleteIfExists(dir.resolve(TRAIN_UPLOAD));
                    Files.deleteIfExists(dir.resolve(EVAL_UPLOAD));
                } catch (IOException e) {
                    LOG.warn("dataset {}: cannot remove the uploaded files", id, e);
                }
            }
            audit("create", done, Optional.ofNullable(stored));
        })) {
            LOG.info("dataset {} was deleted while it was validated", id);
            return;
        }
        LOG.info("dataset {} {}", id, done.validationStatus());
    }

    /**
     * The one place an audit record is appended: on each finished upload (with the bytes' sha256,
     * counts and the PII summary, never values) and on each deletion.
     */
    private void audit(String action, Dataset d, Optional<StoredRequest> req) {
        ObjectNode a = Json.object();
        a.put("time", clock.instant().toString());
        a.put("action", action);
        a.put("dataset_id", d.id());
        a.put("dataset_type", d.datasetType().toString());
        a.put("validation_status", d.validationStatus().toString());
        req.ifPresent(r -> {
            r.retainUntil().ifPresent(t -> a.put("retain_until", t.toString()));
            a.put("train_sha256", r.trainSha256());
            a.put("train_bytes", r.trainBytes());
            r.evalSha256().ifPresent(s -> a.put("eval_sha256", s));
        });
        d.finetuneDatasetMetrics().ifPresent(m -> {
            a.put("train_examples", m.trainExamples());
            a.put("eval_examples", m.evalExamples());
        });
        d.pii().ifPresent(p -> {
            a.set("pii_findings", Json.toTree(p.findingsByType()));
            p.policy().ifPresent(x -> a.put("pii_policy", x));
            a.put("pii_records_changed", p.recordsChanged());
        });
        a.put("dataset_name", d.name());
        a.put("os_user", System.getProperty("user.name", "unknown"));
        try {
            workspace.appendAudit(a);
        } catch (WorkspaceException e) {
            LOG.warn("cannot append audit record for dataset {}", d.id(), e);
        }
    }

    private static final class Upload {
        final String sha256;
        final long bytes;

        Upload(String sha256, long bytes) {
            this.sha256 = sha256;
            this.bytes = bytes;
        }
    }

    /** Streams {@code in} to {@code target} (fsynced), hashing and counting; never holds the file in memory. */
    private static Upload copy(InputStream in, Path target, String field) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long[] total = {0};
        try {
            AtomicWrite.write(target, out -> copyLimited(in, out, sha, total, field));
        } catch (IOException e) {
            throw new WorkspaceException("cannot store upload in " + target + ": " + e.getMessage(), e);
        }
        return new Upload(HexFormat.of().formatHex(sha.digest()), total[0]);
    }

    private static void copyLimited(InputStream in, OutputStream out, MessageDigest sha, long[] total, String field)
            throws IOException {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
            total[0] += n;
            if (total[0] > MAX_FILE_BYTES) {
                throw new BadRequestException(field + ": the file is larger than 1.5 GB (" + MAX_FILE_BYTES
                        + " bytes), the largest dataset file allowed");
            }
            sha.update(buf, 0, n);
            out.write(buf, 0, n);
        }
    }

    private static void checkReadable(Path p, String field) {
        if (!Files.isRegularFile(p)) {
            throw new NotFoundException(field + ": file " + p + " does not exist");
        }
        try {
            if (Files.size(p) > MAX_FILE_BYTES) {
                throw new BadRequestException(field + ": " + p + " is " + Files.size(p) + " bytes; the largest dataset file allowed is 1.5 GB ("
                        + MAX_FILE_BYTES + " bytes)");
            }
        } catch (NoSuchFileException e) {
            throw new NotFoundException(field + ": file " + p + " does not exist");
        } catch (IOException e) {
            throw new WorkspaceException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

}
