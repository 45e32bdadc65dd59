package dev.finetune.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.BadRequestException;
import dev.finetune.ClientV2;
import dev.finetune.FinetuneException;
import dev.finetune.NotFoundException;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.DatasetsListRequest;
import dev.finetune.datasets.PiiPolicy;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.ListEventsRequest;
import dev.finetune.finetuning.ListFinetunedModelsRequest;
import dev.finetune.finetuning.ListTrainingStepMetricsRequest;
import dev.finetune.finetuning.UpdateFinetunedModelRequest;
import dev.finetune.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartConfig;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's REST API over one {@link ClientV2}: authentication, routing, the JSON shapes, errors as
 * {@code {"message": ...}} with the service's status codes, and one access-log line per request
 * (method, path, status, milliseconds; never a body, a query string or a key).
 *
 * <p>Beside the service's endpoints, ours: {@code POST /v1/finetuning/estimate} (a create's body; creates
 * nothing), {@code GET /v1/finetuning/finetuned-models/{id}/estimate} (the job's own), {@code GET /v1/audit},
 * and the dashboard's files ({@link DashboardAssets}, served without a key).
 *
 * <p>Handlers block (Jetty runs them on its pool, or on virtual threads where the JDK has them): the
 * library is a blocking API, and a chat stream is one generation writing events as they come.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.finetune.server.access");
    static final String NO_KEY = "no api key supplied";
    static final String BAD_KEY = "invalid api token";
    static final String REQUEST_ID = "X-Request-Id";
    private static final java.util.regex.Pattern REQUEST_ID_FORM = java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private final java.util.concurrent.atomic.LongAdder handled = new java.util.concurrent.atomic.LongAdder();

    private final ClientV2 co;
    private final ApiKeys keys;
    private final ServerLimits limits;
    private final GenerationGate gate;
    private final Tokenizing tokenizing;
    private final Path uploads;
    private final DashboardAssets dashboard = new DashboardAssets();

    ApiHandler(ClientV2 co, ApiKeys keys, ServerLimits limits, Path uploads) {
        this.co = co;
        this.keys = keys;
        this.limits = limits;
        this.gate = new GenerationGate(limits.maxConcurrentGenerations(), limits.maxQueuedGenerations(), limits.queueTimeout());
        this.tokenizing = new Tokenizing(co);
        this.uploads = uploads;
    }

    GenerationGate gate() {
        return gate;
    }

    /** Requests received since the start. */
    long handled() {
        return handled.sum();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        handled.increment(); // counted on arrival: once a client has its answer, the count includes it
        String method = request.getMethod();
        String path = request.getHttpURI().getDecodedPath();
        Exchange x = new Exchange(request, response);
        String requestId = request.getHeaders().get(REQUEST_ID);
        if (requestId != null && REQUEST_ID_FORM.matcher(requestId).matches()) {
            x.requestId = requestId;
            response.getHeaders().put(REQUEST_ID, requestId); // lets a client match answers to requests
        }
        try {
            route(x, method, path);
        } catch (Throwable t) {
            fail(x, t);
        }
        if (x.failure != null) {
            callback.failed(x.failure);
        } else {
            callback.succeeded();
        }
        ACCESS.info("{} {} {} {} ms", method, path, x.status, (System.nanoTime() - start) / 1_000_000);
        return true;
    }

    // ---------------------------------------------------------------------------------------- routing

    private void route(Exchange x, String method, String path) throws IOException {
        String[] seg = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
        if (seg.length == 1 && seg[0].equals("health")) {
            expect(method, "GET");
            health(x);
            return;
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            Optional<DashboardAssets.Asset> asset = dashboard.at(path);
            if (asset.isPresent()) {
                x.asset(asset.get(), method.equals("HEAD"));
                return;
            }
        }
        authenticate(x.request);
        String p = String.join("/", seg);
        switch (p) {
            case "v1/check-api-key" -> {
                expect(method, "POST");
                ObjectNode o = Json.object();
                o.put("valid", true);
                x.json(200, o);
            }
            case "v1/datasets" -> {
                if (method.equals("POST")) {
                    createDataset(x);
                } else {
                    expect(method, "GET");
                    listDatasets(x);
                }
            }
            case "v1/datasets/usage" -> {
                expect(method, "GET");
                ObjectNode o = Json.object();
                o.put("organization_usage", datasetBytes());
                x.json(200, o);
            }
            case "v1/finetuning/finetuned-models" -> {
                if (method.equals("POST")) {
                    createModel(x);
                } else {
                    expect(method, "GET");
                    Fields q = query(x.request);
                    ListFinetunedModelsRequest.Builder r = ListFinetunedModelsRequest.builder();
                    intParam(q, "page_size").ifPresent(r::pageSize);
                    param(q, "page_token").ifPresent(r::pageToken);
                    x.json(200, co.finetuning().listFinetunedModels(r.build()));
                }
            }
            case "v1/finetuning/estimate" -> {
                expect(method, "POST");
                FinetunedModel req = createRequest(x);
                ObjectNode o = Json.object();
                // a burst of real training steps: it takes a generation slot like chat does
                o.set("estimate", Json.toTree(generating(() -> co.finetuning().estimate(req))));
                x.json(200, o);
            }
            case "v1/audit" -> {
                expect(method, "GET");
                ObjectNode o = Json.object();
                co.audit().forEach(o.putArray("records")::add);
                x.json(200, o);
            }
            case "v2/chat" -> {
                expect(method, "POST");
                chat(x);
            }
            case "v2/rerank", "v1/rerank" -> {
                expect(method, "POST");
                var req = WireRequests.rerank(x.body(limits.maxJsonBytes()));
                x.json(200, generating(() -> co.rerank(req)));
            }
            case "v1/classify" -> {
                expect(method, "POST");
                var req = WireRequests.classify(x.body(limits.maxJsonBytes()));
                x.json(200, generating(() -> co.classify(req)));
            }
            case "v1/generate" -> {
                expect(method, "POST");
                var req = WireRequests.generate(x.body(limits.maxJsonBytes()));
                x.json(200, generating(() -> co.generate(req)));
            }
            case "v1/tokenize" -> {
                expect(method, "POST");
                x.json(200, tokenizing.tokenize(x.body(limits.maxJsonBytes())));
            }
            case "v1/detokenize" -> {
                expect(method, "POST");
                x.json(200, tokenizing.detokenize(x.body(limits.maxJsonBytes())));
            }
            default -> routeResource(x, method, seg, path);
        }
    }

    private void routeResource(Exchange x, String method, String[] seg, String path) throws IOException {
        if (seg.length == 3 && seg[0].equals("v1") && seg[1].equals("datasets")) {
            String id = seg[2];
            if (method.equals("DELETE")) {
                co.datasets().delete(id);
                x.json(200, Json.object());
            } else {
                expect(method, "GET");
                x.json(200, co.datasets().get(id));
            }
            return;
        }
        if (seg.length >= 4 && seg[0].equals("v1") && seg[1].equals("finetuning") && seg[2].equals("finetuned-models")) {
            String id = seg[3];
            if (seg.length == 4) {
                switch (method) {
                    case "GET" -> x.json(200, co.finetuning().getFinetunedModel(id));
                    case "PATCH" -> {
                        JsonNode b = x.body(limits.maxJsonBytes());
                        WireRequests.requireObject(b);
                        String name = WireRequests.requiredText(b, "name", "name");
                        x.json(200, co.finetuning().updateFinetunedModel(id, UpdateFinetunedModelRequest.builder().name(name).build()));
                    }
                    case "DELETE" -> {
                        co.finetuning().deleteFinetunedModel(id);
                        x.json(200, Json.object());
                    }
                    default -> throw methodNotAllowed(method);
                }
                return;
            }
            if (seg.length == 5 && seg[4].equals("estimate")) {
                expect(method, "GET");
                co.finetuning().getFinetunedModel(id); // 404 for an unknown id
                ObjectNode o = Json.object();
                co.finetuning().jobEstimate(id).ifPresent(e -> o.set("estimate", Json.toTree(e)));
                x.json(200, o);
                return;
            }
            if (seg.length == 5 && seg[4].equals("events")) {
                expect(method, "GET");
                Fields q = query(x.request);
                ListEventsRequest.Builder r = ListEventsRequest.builder();
                intParam(q, "page_size").ifPresent(r::pageSize);
                param(q, "page_token").ifPresent(r::pageToken);
                param(q, "order_by").ifPresent(r::orderBy);
                x.json(200, co.finetuning().listEvents(id, r.build()));
                return;
            }
            if (seg.length == 5 && seg[4].equals("training-step-metrics")) {
                expect(method, "GET");
                Fields q = query(x.request);
                ListTrainingStepMetricsRequest.Builder r = ListTrainingStepMetricsRequest.builder();
                intParam(q, "page_size").ifPresent(r::pageSize);
                param(q, "page_token").ifPresent(r::pageToken);
                x.json(200, co.finetuning().listTrainingStepMetrics(id, r.build()));
                return;
            }
        }
        throw new ApiError(404, "no such endpoint: " + method + " " + path);
    }

    private static void expect(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw methodNotAllowed(method);
        }
    }

    private static ApiError methodNotAllowed(String method) {
        return new ApiError(405, "method " + method + " is not allowed here");
    }

    // ------------------------------------------------------------------------------------------- auth

    private void authenticate(Request request) {
        String h = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (h == null || h.isBlank()) {
            throw new ApiError(401, NO_KEY);
        }
        String token = h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip() : "";
        if (!keys.accepts(token)) {
            throw new ApiError(401, BAD_KEY);
        }
    }

    // ------------------------------------------------------------------------------------------ health

    private void health(Exchange x) throws IOException {
        ObjectNode o = Json.object();
        o.put("status", "ok");
        o.put("runs_jobs", co.runsJobs());
        o.set("runtime", Json.toTree(co.runtime()));
        ObjectNode g = o.putObject("generations");
        g.put("admitted", gate.admitted());
        g.put("max_concurrent", limits.maxConcurrentGenerations());
        g.put("max_queued", limits.maxQueuedGenerations());
        x.json(200, o);
    }

    // ---------------------------------------------------------------------------------------- datasets

    private void createDataset(Exchange x) throws IOException {
        long maxRequest = 2 * limits.maxUploadBytes() + (1 << 20);
        try {
            readUpload(x, maxRequest);
        } catch (RuntimeException e) {
            // An answer sent while the client is still writing its body makes the connection close under it,
            // and the client can lose the answer to the reset: read (and discard) what is left, within the
            // limit, so the error reaches it.
            drainQuietly(x.request, maxRequest);
            throw e;
        }
    }

    private static void drainQuietly(Request request, long limit) {
        long declared = request.getLength();
        if (declared > limit) {
            return;
        }
        try (java.io.InputStream in = org.eclipse.jetty.io.Content.Source.asInputStream(request)) {
            byte[] sink = new byte[64 * 1024];
            long left = limit;
            for (int n; left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0; ) {
                left -= n;
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not read the rest of a refused upload", e);
        }
    }

    private void readUpload(Exchange x, long maxRequest) throws IOException {
        Fields q = query(x.request);
        String name = param(q, "name").orElseThrow(() -> new BadRequestException("name: required (a query parameter)"));
        String type = param(q, "type").orElseThrow(() -> new BadRequestException("type: required (a query parameter), "
                + "one of " + String.join(", ", DatasetType.known().stream().map(Object::toString).toList())));
        DatasetsCreateRequest.OptionalStage r = DatasetsCreateRequest.builder().name(name).type(DatasetType.valueOf(type));
        boolParam(q, "keep_original_file").ifPresent(r::keepOriginalFile);
        boolParam(q, "skip_malformed_input").ifPresent(r::skipMalformedInput);
        param(q, "csv_delimiter").ifPresent(d -> {
            if (d.length() != 1) {
                throw new BadRequestException("csv_delimiter: must be exactly one character, got \"" + d + "\"");
            }
            r.csvDelimiter(d.charAt(0));
        });
        param(q, "pii_policy").ifPresent(v -> {
            try {
                r.piiPolicy(PiiPolicy.valueOf(v.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new BadRequestException("pii_policy: \"" + v + "\" is not one of REDACT, REJECT, WARN, OFF");
            }
        });
        boolParam(q, "pii_pseudonyms").ifPresent(r::piiPseudonyms);
        intParam(q, "retention_days").ifPresent(r::retentionDays);
        DatasetsCreateRequest req = r.build();

        String contentType = x.request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new BadRequestException("the upload must be multipart/form-data with a file field \"data\" (and optionally \"eval_data\")");
        }
        long declared = x.request.getLength();
        if (declared > maxRequest) {
            throw tooLarge();
        }
        Path dir = Files.createDirectories(uploads).resolve(UUID.randomUUID().toString());
        Files.createDirectories(dir);
        try {
            MultiPartConfig config = new MultiPartConfig.Builder().location(dir).maxParts(8)
                    .maxPartSize(limits.maxUploadBytes()).maxSize(maxRequest).maxMemoryPartSize(64 * 1024)
                    .useFilesForPartsWithoutFileName(false).build();
            MultiPartFormData.Parts parts;
            try {
                parts = MultiPartFormData.getParts(x.request, x.request, contentType, config);
            } catch (RuntimeException e) {
                throw multipartError(e);
            }
            try (parts) {
                MultiPart.Part data = parts.getFirst("data");
                if (data == null) {
                    throw new BadRequestException("data: required (a multipart file field)");
                }
                Path train = dir.resolve("data.bin");
                data.writeTo(train);
                Optional<Path> eval = Optional.empty();
                MultiPart.Part evalPart = parts.getFirst("eval_data");
                if (evalPart != null) {
                    Path e = dir.resolve("eval.bin");
                    evalPart.writeTo(e);
                    eval = Optional.of(e);
                }
                x.json(200, co.datasets().create(train, eval, req));
            }
        } finally {
            deleteQuietly(dir);
        }
    }

    private ApiError tooLarge() {
        return new ApiError(413, "the upload is larger than the largest dataset file allowed, "
                + limits.maxUploadBytes() + " bytes" + (limits.maxUploadBytes() == dev.finetune.datasets.DatasetsClient.MAX_FILE_BYTES
                ? " (1.5 GB)" : "") + " per file");
    }

    /** Jetty's multipart failures as answers: a size limit ("max file size exceeded", "max length exceeded") is a 413. */
    private RuntimeException multipartError(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if ((t instanceof HttpException h && h.getCode() == 413)
                    || m.contains("max file size exceeded") || m.contains("max length exceeded")) {
                return tooLarge();
            }
            if (m.contains("headers max length exceeded")) {
                return new BadRequestException("a multipart field's headers are too long");
            }
            if (t instanceof IOException io) {
                return new UncheckedIOException(io);
            }
        }
        return new BadRequestException("malformed multipart upload: " + e.getMessage());
    }

    private void listDatasets(Exchange x) throws IOException {
        Fields q = query(x.request);
        DatasetsListRequest.Builder r = DatasetsListRequest.builder();
        param(q, "dataset_type", "datasetType").ifPresent(t -> r.datasetType(DatasetType.valueOf(t)));
        param(q, "validation_status", "validationStatus").ifPresent(s -> r.validationStatus(ValidationStatus.valueOf(s)));
        param(q, "before").ifPresent(t -> r.before(instant("before", t)));
        param(q, "after").ifPresent(t -> r.after(instant("after", t)));
        intParam(q, "limit").ifPresent(r::limit);
        intParam(q, "offset").ifPresent(r::offset);
        x.json(200, co.datasets().list(r.build()));
    }

    private long datasetBytes() throws IOException {
        Path dir = co.root().resolve("datasets");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0; // removed while walking
                }
            }).sum();
        }
    }

    // ------------------------------------------------------------------------------------ fine-tuning

    private void createModel(Exchange x) throws IOException {
        x.json(200, co.finetuning().createFinetunedModel(createRequest(x)));
    }

    /** The body of a create (or estimate) request: only the caller's part counts, the service fills in id, status and times. */
    private FinetunedModel createRequest(Exchange x) throws IOException {
        JsonNode b = x.body(limits.maxJsonBytes());
        WireRequests.requireObject(b);
        FinetunedModel sent = Json.treeToValue(b, FinetunedModel.class);
        return FinetunedModel.builder().name(sent.name()).settings(sent.settings()).build();
    }

    // -------------------------------------------------------------------------------------- inference

    private <T> T generating(Supplier<T> call) {
        try (GenerationGate.Slot slot = gate.acquire()) {
            return call.get();
        }
    }

    private void chat(Exchange x) throws IOException {
        JsonNode b = x.body(limits.maxJsonBytes());
        WireRequests.requireObject(b);
        boolean stream = WireRequests.stream(b);
        ChatRequest req = WireRequests.chat(b);
        if (!stream) {
            x.json(200, generating(() -> co.chat(req)));
            return;
        }
        try (GenerationGate.Slot slot = gate.acquire()) {
            new ChatSse(x, UUID.randomUUID().toString()).run(co, req);
        }
    }

    /** Writes one v2 chat stream as server-sent events: the headers go out with the first event. */
    private static final class ChatSse {
        private final Exchange x;
        private final String id;
        private OutputStream out;

        ChatSse(Exchange x, String id) {
            this.x = x;
            this.id = id;
        }

        void run(ClientV2 co, ChatRequest req) throws IOException {
            try {
                co.chatStream(req, this::onEvent);
            } catch (UncheckedIOException e) {
                throw e.getCause(); // the client went away
            } catch (RuntimeException e) {
                if (out == null) {
                    throw e; // nothing sent yet: an ordinary error answer
                }
                LOG.warn("chat stream {} failed after it started", id, e);
                ObjectNode end = event("message-end");
                end.put("id", id);
                ObjectNode delta = end.putObject("delta");
                delta.put("error", e.getMessage() == null ? e.toString() : e.getMessage());
                delta.put("finish_reason", "ERROR");
                send(end);
            }
            if (out != null) {
                out.close();
            }
        }

        private void onEvent(ChatStreamEvent e) {
            try {
                if (out == null) {
                    x.status = 200;
                    x.response.setStatus(200);
                    x.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
                    x.response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
                    out = Content.Sink.asOutputStream(x.response);
                    ObjectNode start = event("message-start");
                    start.put("id", id);
                    ObjectNode msg = start.putObject("delta").putObject("message");
                    msg.put("role", "assistant");
                    msg.putArray("content");
                    msg.put("tool_plan", "");
                    msg.putArray("tool_calls");
                    msg.putArray("citations");
                    send(start);
                    ObjectNode cs = event("content-start");
                    cs.put("index", 0);
                    ObjectNode c = cs.putObject("delta").putObject("message").putObject("content");
                    c.put("type", "text");
                    c.put("text", "");
                    send(cs);
                }
                if (e.isEnd()) {
                    ObjectNode ce = event("content-end");
                    ce.put("index", 0);
                    send(ce);
                    ObjectNode end = event("message-end");
                    end.put("id", id);
                    ObjectNode delta = end.putObject("delta");
                    delta.put("finish_reason", e.finishReason().orElseThrow().toString());
                    delta.set("usage", Json.toTree(e.usage().orElseThrow()));
                    send(end);
                } else {
                    ObjectNode d = event("content-delta");
                    d.put("index", 0);
                    d.putObject("delta").putObject("message").putObject("content").put("text", e.text().orElse(""));
                    send(d);
                }
            } catch (IOException io) {
                throw new UncheckedIOException(io);
            }
        }

        private static ObjectNode event(String type) {
            ObjectNode o = Json.object();
            o.put("type", type);
            return o;
        }

        /** {@code event: TYPE} and one {@code data:} line (JSON has no raw line breaks), flushed at once. */
        private void send(ObjectNode event) throws IOException {
            String frame = "event: " + event.get("type").asText() + "\ndata: " + Json.writer().writeValueAsString(event) + "\n\n";
            out.write(frame.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    // --------------------------------------------------------------------------------------- errors

    private void fail(Exchange x, Throwable t) {
        ApiError e = toApiError(t);
        if (e == null) {
            // the client went away mid-request (or mid-stream): nothing more can be sent
            x.status = x.status == 0 ? 499 : x.status;
            LOG.debug("request ended by the client: {}", t.toString());
            x.failure = t;
            return;
        }
        if (e.status >= 500 && !(t instanceof ApiError)) {
            LOG.error("request failed", t);
        }
        if (x.response.isCommitted()) {
            x.failure = t;
            return;
        }
        try {
            x.response.reset();
            if (x.requestId != null) {
                x.response.getHeaders().put(REQUEST_ID, x.requestId);
            }
            e.retryAfterSeconds.ifPresent(s -> x.response.getHeaders().put(HttpHeader.RETRY_AFTER, s.toString()));
            if (e.status == 413 && !x.bodyDrained || e.status == 401) {
                // the rest of the body is not read; the connection is not reused for it
                x.response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            ObjectNode o = Json.object();
            o.put("message", e.getMessage());
            x.json(e.status, o);
        } catch (Throwable io) {
            x.failure = io;
        }
    }

    /** The status a failure maps to, or null when the connection itself failed. */
    static ApiError toApiError(Throwable t) {
        if (t instanceof ApiError a) {
            return a;
        }
        if (t instanceof JsonProcessingException j) {
            // a record's own check (a range, a required field) fails inside Jackson: answer with its message
            for (Throwable c = j.getCause(); c != null; c = c.getCause()) {
                if (c instanceof FinetuneException f) {
                    return toApiError(f);
                }
            }
            return new ApiError(400, "invalid request body: " + j.getOriginalMessage());
        }
        if (t instanceof UncheckedIOException || t instanceof IOException) {
            return null;
        }
        if (t instanceof BadRequestException) {
            return new ApiError(400, t.getMessage());
        }
        if (t instanceof NotFoundException) {
            return new ApiError(404, t.getMessage());
        }
        if (t instanceof FinetuneException) {
            return new ApiError(500, t.getMessage());
        }
        return new ApiError(500, "internal server error");
    }

    // ---------------------------------------------------------------------------------------- helpers

    private static Fields query(Request r) {
        return Request.extractQueryParameters(r, StandardCharsets.UTF_8);
    }

    private static Optional<String> param(Fields q, String... names) {
        for (String n : names) {
            String v = q.getValue(n);
            if (v != null && !v.isEmpty()) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    private static Optional<Integer> intParam(Fields q, String name) {
        return param(q, name).map(v -> {
            try {
                // the SDK's numbers may come as "10.0"
                double d = Double.parseDouble(v);
                if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                    throw new NumberFormatException();
                }
                return (int) d;
            } catch (NumberFormatException e) {
                throw new BadRequestException(name + ": \"" + v + "\" is not an integer");
            }
        });
    }

    private static Optional<Boolean> boolParam(Fields q, String name) {
        return param(q, name).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new BadRequestException(name + ": \"" + v + "\" is not true or false");
        });
    }

    private static Instant instant(String name, String v) {
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw new BadRequestException(name + ": \"" + v + "\" is not an ISO-8601 time such as 2024-01-15T09:30:00Z");
        }
    }

    static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    LOG.warn("cannot remove upload spool file {}", f);
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot remove upload spool folder {}", dir);
        }
    }

    /** One request and its answer; {@code status} is what the access log shows. */
    static final class Exchange {
        /** The most bytes of an over-long JSON body read and discarded so that its 413 reaches the client. */
        static final long DRAIN_LIMIT = 16L << 20;

        final Request request;
        final Response response;
        int status;
        Throwable failure;
        /** Whether an over-long body was read to its end (discarded), so that the connection can carry the 413. */
        boolean bodyDrained;
        String requestId;

        Exchange(Request request, Response response) {
            this.request = request;
            this.response = response;
        }

        /**
         * The JSON body, read up to {@code max} bytes (413 past it); malformed JSON is a 400. An over-long body
         * of up to {@link #DRAIN_LIMIT} more bytes is read to its end and discarded before the 413 is sent:
         * a server that answers and closes while the client is still writing makes the client's socket see a
         * reset, and many clients (Java's {@code HttpClient} among them) then report the broken write, not the
         * 413 (seen as a rare CI failure of {@code ServerApiTest}).
         */
        JsonNode body(long max) throws IOException {
            long declared = request.getLength();
            ByteArrayOutputStream buf = new ByteArrayOutputStream(declared > 0 && declared <= max ? (int) declared : 1024);
            try (InputStream in = Request.asInputStream(request)) {
                if (declared > max) {
                    bodyDrained = declared - max <= DRAIN_LIMIT && drain(in);
                    throw new ApiError(413, "the request body is " + declared + " bytes; at most " + max + " are allowed");
                }
                byte[] chunk = new byte[8192];
                int n;
                while ((n = in.read(chunk)) > 0) {
                    if (buf.size() + n > max) {
                        bodyDrained = drain(in);
                        throw new ApiError(413, "the request body is larger than " + max + " bytes, the most allowed");
                    }
                    buf.write(chunk, 0, n);
                }
            }
            if (buf.size() == 0) {
                throw new BadRequestException("the request body is empty; expected a JSON object");
            }
            try {
                return Json.reader().readTree(buf.toByteArray());
            } catch (JsonProcessingException e) {
                throw new ApiError(400, "invalid JSON in the request body: " + e.getOriginalMessage());
            }
        }

        /** Reads and discards the rest of a body, at most {@link #DRAIN_LIMIT} bytes; true when its end was reached. */
        private static boolean drain(InputStream in) throws IOException {
            byte[] chunk = new byte[8192];
            long left = DRAIN_LIMIT;
            int n;
            while ((n = in.read(chunk)) >= 0) {
                left -= n;
                if (left < 0) {
                    return false;
                }
            }
            return true;
        }

        /**
         * A dashboard file with its security headers; 304 when the browser's copy is current. The page may
         * only talk to this origin ({@link DashboardAssets#CSP}).
         */
        void asset(DashboardAssets.Asset a, boolean head) throws IOException {
            var h = response.getHeaders();
            h.put(HttpHeader.ETAG, a.etag());
            h.put(HttpHeader.CACHE_CONTROL, "no-cache"); // revalidate: a new jar's page is seen at once
            h.put("Content-Security-Policy", DashboardAssets.CSP);
            h.put("X-Content-Type-Options", "nosniff");
            h.put("Referrer-Policy", "no-referrer");
            h.put("X-Frame-Options", "DENY");
            String seen = request.getHeaders().get(HttpHeader.IF_NONE_MATCH);
            boolean current = seen != null && Arrays.stream(seen.split(",")).map(String::strip).anyMatch(a.etag()::equals);
            status = current ? 304 : 200;
            response.setStatus(status);
            if (current) {
                Content.Sink.asOutputStream(response).close();
                return;
            }
            h.put(HttpHeader.CONTENT_TYPE, a.contentType());
            h.put(HttpHeader.CONTENT_LENGTH, a.bytes().length);
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                if (!head) {
                    out.write(a.bytes());
                }
            }
        }

        void json(int code, Object value) throws IOException {
            byte[] bytes = Json.writer().writeValueAsBytes(value);
            status = code;
            response.setStatus(code);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                out.write(bytes);
            }
        }
    }
}
