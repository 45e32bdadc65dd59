package dev.finetune.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.ClientV2;
import dev.finetune.jobs.LocalTrainingTest;
import dev.finetune.jobs.TaskFinetuneTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST API through the JDK's {@link java.net.http.HttpClient} against a server on a free loopback
 * port: auth, datasets, fine-tuning, chat (plain and SSE), rerank, classify, generate, tokenize, the
 * error bodies and limits. One tiny chat, rerank and classify fine-tune are trained once for all tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerApiTest {
    static final String KEY = "test-key-" + ApiKeys.newKey();
    static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    static Path dir;
    ClientV2 co;
    FinetuneServer server;
    Http http;
    String chatModel;
    String rerankModel;
    String classifyModel;

    @BeforeAll
    void start() throws IOException {
        co = ClientV2.builder().workspace(dir.resolve("ws")).build();
        server = FinetuneServer.builder(co, ApiKeys.of(KEY)).port(0)
                .limits(ServerLimits.defaults().withMaxUploadBytes(256 * 1024).withMaxJsonBytes(64 * 1024)).start();
        http = new Http(server.uri(), KEY);
        Path chatBase = LocalTrainingTest.baseFolder(Files.createDirectories(dir.resolve("chat-base")));
        Path taskBase = TaskFinetuneTest.tinyBase(Files.createDirectories(dir.resolve("task-base")));
        String chatData = upload("qa", "chat-finetune-input", List.of("data", "eval_data"),
                List.of(LocalTrainingTest.chatFile(dir), evalChat(dir)));
        String rerankData = upload("rr", "reranker-finetune-input", List.of("data"), List.of(TaskFinetuneTest.rerankFile(dir)));
        String classifyData = upload("cl", "single-label-classification-finetune-input", List.of("data"),
                List.of(TaskFinetuneTest.singleLabelFile(dir)));
        // full fine-tuning for 10 short epochs: enough for the tiny chat model to answer with words
        chatModel = createModel("qa-chat", "BASE_TYPE_CHAT", chatBase, awaitValidated(chatData),
                "\"strategy\":\"STRATEGY_FULL\",\"train_epochs\":10,\"train_batch_size\":4,\"learning_rate\":0.01");
        rerankModel = createModel("rr-model", "BASE_TYPE_RERANK", taskBase, awaitValidated(rerankData), "\"train_epochs\":1");
        classifyModel = createModel("cl-model", "BASE_TYPE_CLASSIFICATION", taskBase, awaitValidated(classifyData),
                "\"train_epochs\":1");
        for (String id : List.of(chatModel, rerankModel, classifyModel)) {
            JsonNode m = http.pollUntil("/v1/finetuning/finetuned-models/" + id,
                    j -> isTerminal(j.path("finetuned_model").path("status").asText()), WAIT);
            assertEquals("STATUS_READY", m.path("finetuned_model").path("status").asText(), m.toString());
        }
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        if (co != null) {
            co.close();
        }
    }

    static boolean isTerminal(String status) {
        return Set.of("STATUS_READY", "STATUS_FAILED", "STATUS_CANCELLED", "STATUS_DELETED").contains(status);
    }

    static Path evalChat(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            lines.add("{\"messages\":[{\"role\":\"User\",\"content\":\"what is two plus two? (eval " + i
                    + ")\"},{\"role\":\"Chatbot\",\"content\":\"four.\"}]}");
        }
        return Files.write(dir.resolve("eval.jsonl"), lines);
    }

    String upload(String name, String type, List<String> fields, List<Path> files) {
        Http.Reply r = http.upload("/v1/datasets?name=" + name + "&type=" + type, fields, files);
        assertEquals(200, r.status(), r.body());
        return r.json().path("id").asText();
    }

    String awaitValidated(String id) {
        JsonNode d = http.pollUntil("/v1/datasets/" + id,
                j -> Set.of("validated", "failed").contains(j.path("dataset").path("validation_status").asText()), WAIT);
        assertEquals("validated", d.path("dataset").path("validation_status").asText(), d.toString());
        return id;
    }

    String createModel(String name, String baseType, Path base, String datasetId, String hyperparameters) {
        String body = "{\"name\":\"" + name + "\",\"settings\":{\"base_model\":{\"base_type\":\"" + baseType + "\",\"name\":"
                + quote(base.toString()) + "},\"dataset_id\":\"" + datasetId + "\",\"hyperparameters\":{" + hyperparameters
                + ",\"early_stopping_patience\":0}}}";
        Http.Reply r = http.post("/v1/finetuning/finetuned-models", body);
        assertEquals(200, r.status(), r.body());
        JsonNode m = r.json().path("finetuned_model");
        assertEquals(name, m.path("name").asText());
        return m.path("id").asText();
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Test
    void healthAnswersWithoutAKey() {
        Http.Reply r = http.withKey(null).get("/health");
        assertEquals(200, r.status());
        assertEquals("ok", r.json().path("status").asText());
    }

    @Test
    void aMissingOrWrongKeyIs401WithTheServiceBody() {
        Http.Reply none = http.withKey(null).get("/v1/datasets");
        assertEquals(401, none.status());
        assertEquals(ApiHandler.NO_KEY, none.json().path("message").asText());
        Http.Reply wrong = http.withKey(KEY + "x").get("/v1/datasets");
        assertEquals(401, wrong.status());
        assertEquals(ApiHandler.BAD_KEY, wrong.json().path("message").asText());
        Http.Reply notBearer = http.withKey(null).send(http.withKey(null).request("/v1/datasets").header("Authorization", KEY));
        assertEquals(401, notBearer.status());
    }

    @Test
    void datasetsListGetUsageAndDelete() {
        Http.Reply list = http.get("/v1/datasets?limit=100&datasetType=chat-finetune-input&validationStatus=validated");
        assertEquals(200, list.status(), list.body());
        List<JsonNode> qa = new ArrayList<>();
        list.json().path("datasets").forEach(d -> {
            assertEquals("chat-finetune-input", d.path("dataset_type").asText());
            assertEquals("validated", d.path("validation_status").asText());
            if (d.path("name").asText().equals("qa")) {
                qa.add(d);
            }
        });
        assertEquals(1, qa.size(), list.body());
        assertEquals(List.of("train", "eval"), List.of(qa.get(0).path("dataset_parts").get(0).path("name").asText(),
                qa.get(0).path("dataset_parts").get(1).path("name").asText()));
        assertEquals(0, http.get("/v1/datasets?datasetType=reranker-finetune-input&validation_status=failed").json()
                .path("datasets").size());
        assertTrue(http.get("/v1/datasets/usage").json().path("organization_usage").asLong() > 0);
        assertEquals(404, http.get("/v1/datasets/no-such-dataset").status());

        String id = upload("gone", "chat-finetune-input", List.of("data"), List.of(chatFileIn("gone")));
        assertEquals(200, http.delete("/v1/datasets/" + id).status());
        Http.Reply after = http.get("/v1/datasets/" + id);
        assertEquals(404, after.status());
        assertFalse(after.json().path("message").asText().isEmpty());
    }

    Path chatFileIn(String sub) {
        try {
            return LocalTrainingTest.chatFile(Files.createDirectories(dir.resolve(sub)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aCsvUploadedAsChatFailsOnItsFirstLine() throws IOException {
        Path csv = Files.writeString(dir.resolve("chats.csv"), "prompt,completion\nhello,hi\n");
        String id = upload("csv", "chat-finetune-input", List.of("data"), List.of(csv));
        JsonNode d = http.pollUntil("/v1/datasets/" + id,
                j -> Set.of("validated", "failed").contains(j.path("dataset").path("validation_status").asText()), WAIT);
        assertEquals("failed", d.path("dataset").path("validation_status").asText());
        String error = d.path("dataset").path("validation_error").asText();
        assertTrue(error.contains("line 1"), error);
    }

    @Test
    void anUploadOverTheLimitIs413AndStoresNothing() throws IOException {
        int before = http.get("/v1/datasets?limit=1000").json().path("datasets").size();
        Path big = dir.resolve("big.jsonl");
        String line = "{\"messages\":[{\"role\":\"User\",\"content\":\"" + "x".repeat(1000) + "\"},{\"role\":\"Chatbot\",\"content\":\"y\"}]}\n";
        Files.writeString(big, line.repeat(300)); // ~300 KB against a 256 KiB limit
        Http.Reply r = http.upload("/v1/datasets?name=big&type=chat-finetune-input", List.of("data"), List.of(big));
        assertEquals(413, r.status(), r.body());
        assertTrue(r.json().path("message").asText().contains("262144 bytes"), r.body());
        assertEquals(before, http.get("/v1/datasets?limit=1000").json().path("datasets").size());
        try (var left = Files.list(co.root().resolve(FinetuneServer.UPLOADS))) {
            assertEquals(0, left.count(), "spool files removed");
        }
    }

    @Test
    void uploadRequestErrorsAre400WithAMessage() {
        Http.Reply noName = http.upload("/v1/datasets?type=chat-finetune-input", List.of("data"), List.of(chatFileIn("nn")));
        assertEquals(400, noName.status());
        assertTrue(noName.json().path("message").asText().startsWith("name:"), noName.body());
        Http.Reply noData = http.upload("/v1/datasets?name=x&type=chat-finetune-input", List.of("other"), List.of(chatFileIn("nd")));
        assertEquals(400, noData.status());
        assertTrue(noData.json().path("message").asText().startsWith("data:"), noData.body());
    }

    @Test
    void malformedOrOversizedJsonIsAClearError() {
        Http.Reply bad = http.post("/v2/chat", "{\"model\": ");
        assertEquals(400, bad.status());
        assertTrue(bad.json().path("message").asText().startsWith("invalid JSON"), bad.body());
        Http.Reply wrongType = http.post("/v2/chat", "{\"model\":\"" + chatModel + "-ft\",\"messages\":[],\"max_tokens\":\"ten\"}");
        assertEquals(400, wrongType.status());
        Http.Reply huge = http.post("/v1/tokenize", "{\"model\":\"x\",\"text\":\"" + "a".repeat(70 * 1024) + "\"}");
        assertEquals(413, huge.status(), huge.body());
        // read to its end and discarded, so the connection carries the answer and stays usable
        assertTrue(huge.raw().headers().firstValue("connection").filter("close"::equalsIgnoreCase).isEmpty());
        // far past the socket buffers: answered and closed early, the client would see its write reset, not the 413
        for (int i = 0; i < 3; i++) {
            Http.Reply larger = http.post("/v1/tokenize", "{\"model\":\"x\",\"text\":\"" + "a".repeat(4 << 20) + "\"}");
            assertEquals(413, larger.status(), larger.body());
            assertTrue(larger.json().path("message").asText().contains("at most 65536"), larger.body());
        }
        Http.Reply unknown = http.get("/v1/nothing-here");
        assertEquals(404, unknown.status());
    }

    @Test
    void fineTuningGetListUpdateEventsAndMetrics() {
        Http.Reply get = http.get("/v1/finetuning/finetuned-models/" + chatModel);
        assertEquals(200, get.status());
        JsonNode m = get.json().path("finetuned_model");
        assertEquals("BASE_TYPE_CHAT", m.path("settings").path("base_model").path("base_type").asText());
        assertFalse(m.path("created_at").asText().isEmpty());

        JsonNode list = http.get("/v1/finetuning/finetuned-models?page_size=2").json();
        assertEquals(2, list.path("finetuned_models").size());
        assertEquals(3, list.path("total_size").asInt());
        JsonNode next = http.get("/v1/finetuning/finetuned-models?page_size=2&page_token=" + list.path("next_page_token").asText()).json();
        assertEquals(1, next.path("finetuned_models").size());

        JsonNode events = http.get("/v1/finetuning/finetuned-models/" + chatModel + "/events?order_by=created_at%20asc").json();
        List<String> statuses = new ArrayList<>();
        events.path("events").forEach(e -> statuses.add(e.path("status").asText()));
        assertEquals("STATUS_QUEUED", statuses.get(0), statuses.toString());
        assertEquals("STATUS_READY", statuses.get(statuses.size() - 1), statuses.toString());

        JsonNode metrics = http.get("/v1/finetuning/finetuned-models/" + chatModel + "/training-step-metrics?page_size=1").json();
        assertEquals(1, metrics.path("step_metrics").size());
        assertTrue(metrics.path("step_metrics").get(0).has("step_number"), metrics.toString());
        assertTrue(metrics.path("step_metrics").get(0).path("metrics").size() > 0, metrics.toString());
        JsonNode all = http.get("/v1/finetuning/finetuned-models/" + chatModel + "/training-step-metrics?page_size=1000").json();
        assertTrue(all.path("step_metrics").size() > 5, all.toString());
        assertFalse(all.has("next_page_token"), "the last page has no next_page_token");
        assertTrue(metrics.has("next_page_token"), metrics.toString());

        Http.Reply renamed = http.patch("/v1/finetuning/finetuned-models/" + classifyModel, "{\"name\":\"renamed\"}");
        assertEquals(200, renamed.status(), renamed.body());
        assertEquals("renamed", renamed.json().path("finetuned_model").path("name").asText());

        Http.Reply badPage = http.get("/v1/finetuning/finetuned-models/" + chatModel + "/events?page_size=0");
        assertEquals(400, badPage.status());
        assertTrue(badPage.json().path("message").asText().startsWith("page_size"), badPage.body());
        assertEquals(404, http.get("/v1/finetuning/finetuned-models/nope").status());
    }

    @Test
    void anOutOfRangeHyperparameterIs400NamingIt() {
        String datasetId = http.get("/v1/datasets?datasetType=chat-finetune-input").json().path("datasets").get(0).path("id").asText();
        Http.Reply r = http.post("/v1/finetuning/finetuned-models", "{\"name\":\"x\",\"settings\":{\"base_model\":{\"base_type\":"
                + "\"BASE_TYPE_CHAT\"},\"dataset_id\":\"" + datasetId + "\",\"hyperparameters\":{\"train_epochs\":11}}}");
        assertEquals(400, r.status(), r.body());
        assertEquals("train_epochs: 11 is outside the allowed range 1 to 10 (inclusive)", r.json().path("message").asText());
    }

    @Test
    void chatAnswersInTheV2Shape() {
        Http.Reply r = http.post("/v2/chat", "{\"model\":\"" + chatModel + "-ft\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"hello there!\"}],\"max_tokens\":8,\"temperature\":0}");
        assertEquals(200, r.status(), r.body());
        JsonNode j = r.json();
        assertEquals("assistant", j.path("message").path("role").asText());
        assertEquals("text", j.path("message").path("content").get(0).path("type").asText());
        assertTrue(Set.of("COMPLETE", "MAX_TOKENS", "STOP_SEQUENCE").contains(j.path("finish_reason").asText()), j.toString());
        assertTrue(j.path("usage").path("tokens").path("output_tokens").asInt() >= 1, j.toString());
        Http.Reply notFound = http.post("/v2/chat", "{\"model\":\"nope-ft\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(404, notFound.status(), notFound.body());
    }

    @Test
    void chatStreamSendsTheV2EventsInOrderAndTheSameTextAsChat() throws IOException {
        String body = "{\"model\":\"" + chatModel + "-ft\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"what is two plus two?\"}]}],\"max_tokens\":12,\"temperature\":0,\"stream\":true}";
        Http.Reply r = http.post("/v2/chat", body);
        assertEquals(200, r.status(), r.body());
        assertTrue(r.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> events = Http.sseEvents(r.body());
        List<String> types = events.stream().map(e -> e.path("type").asText()).toList();
        assertEquals(List.of("message-start", "content-start"), types.subList(0, 2), types.toString());
        assertEquals(List.of("content-end", "message-end"), types.subList(types.size() - 2, types.size()), types.toString());
        assertTrue(types.subList(2, types.size() - 2).stream().allMatch("content-delta"::equals), types.toString());
        StringBuilder text = new StringBuilder();
        events.stream().filter(e -> e.path("type").asText().equals("content-delta"))
                .forEach(e -> text.append(e.path("delta").path("message").path("content").path("text").asText()));
        JsonNode end = events.get(events.size() - 1).path("delta");
        assertTrue(end.path("usage").path("tokens").path("output_tokens").asInt() >= 1, end.toString());
        assertTrue(types.size() > 4, "at least one content-delta: " + types);
        Http.Reply plain = http.post("/v2/chat", body.replace(",\"stream\":true", ""));
        assertEquals(plain.json().path("message").path("content").get(0).path("text").asText(), text.toString());
        assertEquals(plain.json().path("finish_reason").asText(), end.path("finish_reason").asText());
    }

    @Test
    void streamingErrorsBeforeTheFirstEventAreOrdinaryErrorAnswers() {
        Http.Reply r = http.post("/v2/chat", "{\"model\":\"" + rerankModel + "-ft\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"stream\":true}");
        assertNotEquals(200, r.status(), r.body());
        assertFalse(r.json().path("message").asText().isEmpty());
    }

    @Test
    void rerankOrdersDocumentsWithScores() {
        Http.Reply r = http.post("/v2/rerank", "{\"model\":\"" + rerankModel + "-ft\",\"query\":\"where is the piano?\",\"documents\":"
                + "[\"the tiger is here.\",\"the piano is here.\",\"the stone is here.\"],\"top_n\":2}");
        assertEquals(200, r.status(), r.body());
        JsonNode results = r.json().path("results");
        assertEquals(2, results.size());
        Set<Integer> seen = new HashSet<>();
        for (JsonNode x : results) {
            double s = x.path("relevance_score").asDouble();
            assertTrue(s >= 0 && s <= 1, r.body());
            assertTrue(seen.add(x.path("index").asInt()), r.body());
        }
        assertTrue(results.get(0).path("relevance_score").asDouble() >= results.get(1).path("relevance_score").asDouble());
        Http.Reply wrongKind = http.post("/v1/classify", "{\"model\":\"" + rerankModel + "-ft\",\"inputs\":[\"x\"]}");
        assertEquals(400, wrongKind.status(), wrongKind.body());
    }

    @Test
    void classifyLabelsEachInput() {
        Http.Reply r = http.post("/v1/classify", "{\"model\":\"" + classifyModel + "-ft\",\"inputs\":[\"i love this lemon.\","
                + "\"i hate this tiger.\"]}");
        assertEquals(200, r.status(), r.body());
        JsonNode c = r.json().path("classifications");
        assertEquals(2, c.size());
        for (JsonNode x : c) {
            assertTrue(Set.of("positive", "negative", "other").contains(x.path("prediction").asText()), r.body());
            assertEquals("single-label", x.path("classification_type").asText());
            assertEquals(3, x.path("labels").size(), r.body());
        }
        Http.Reply examples = http.post("/v1/classify", "{\"model\":\"" + classifyModel + "-ft\",\"inputs\":[\"a\"],"
                + "\"examples\":[{\"text\":\"a\",\"label\":\"b\"}]}");
        assertEquals(400, examples.status());
    }

    @Test
    void generateReturnsLikelihoodsWhenAsked() {
        Http.Reply r = http.post("/v1/generate", "{\"model\":\"" + chatModel + "-ft\",\"prompt\":\"what is two plus two?\","
                + "\"max_tokens\":3,\"temperature\":0,\"return_likelihoods\":\"ALL\"}");
        assertEquals(200, r.status(), r.body());
        JsonNode g = r.json().path("generations").get(0);
        assertTrue(g.path("likelihood").isNumber(), r.body());
        assertTrue(g.path("token_likelihoods").size() > 3, r.body());
        Http.Reply bad = http.post("/v1/generate", "{\"model\":\"" + chatModel + "-ft\",\"prompt\":\"x\",\"return_likelihoods\":\"SOME\"}");
        assertEquals(400, bad.status());
    }

    @Test
    void tokenizeAndDetokenizeRoundTripWithTheModelsTokenizer() {
        Http.Reply t = http.post("/v1/tokenize", "{\"model\":\"" + chatModel + "-ft\",\"text\":\"what is the capital of france?\"}");
        assertEquals(200, t.status(), t.body());
        JsonNode tokens = t.json().path("tokens");
        assertTrue(tokens.size() > 1);
        StringBuilder joined = new StringBuilder();
        t.json().path("token_strings").forEach(s -> joined.append(s.asText()));
        assertEquals("what is the capital of france?", joined.toString());
        Http.Reply d = http.post("/v1/detokenize", "{\"model\":\"" + chatModel + "-ft\",\"tokens\":" + tokens + "}");
        assertEquals(200, d.status(), d.body());
        assertEquals("what is the capital of france?", d.json().path("text").asText());
        assertEquals(404, http.post("/v1/tokenize", "{\"model\":\"nope\",\"text\":\"a\"}").status());
    }

    @Test
    void theWorkspaceKeyIsMadeOnceAndStoredOnlyAsADigest(@TempDir Path ws) throws IOException {
        ApiKeys first = ApiKeys.openOrCreate(ws);
        String key = first.createdKey().orElseThrow();
        assertTrue(first.createdKey().isEmpty(), "handed out once");
        assertTrue(first.accepts(key));
        assertFalse(first.accepts(key + "x"));
        assertFalse(first.toString().contains(key));
        String stored = Files.readString(ws.resolve(ApiKeys.FILE), StandardCharsets.UTF_8);
        assertFalse(stored.contains(key), stored);
        ApiKeys again = ApiKeys.openOrCreate(ws);
        assertTrue(again.createdKey().isEmpty());
        assertTrue(again.accepts(key));

        Path file = Files.writeString(ws.resolve("keys.txt"), "# ops keys\nalpha-key\n\nbeta-key\n");
        ApiKeys fromFile = ApiKeys.fromFile(file);
        assertTrue(fromFile.accepts("alpha-key") && fromFile.accepts("beta-key"));
        assertFalse(fromFile.accepts("alpha-key ") || fromFile.accepts(""));
        assertThrows(dev.finetune.BadRequestException.class, () -> ApiKeys.fromFile(Files.writeString(ws.resolve("empty.txt"), "# none\n")));
    }

    @Test
    void theGateRefusesBeyondItsQueueWithRetryAfter() {
        GenerationGate gate = new GenerationGate(1, 1, Duration.ofMillis(50));
        try (GenerationGate.Slot held = gate.acquire()) {
            // one runs; the next waits past the queue time-out: 503
            ApiError timedOut = assertThrows(ApiError.class, gate::acquire);
            assertEquals(503, timedOut.status);
            assertEquals(1, gate.admitted());
        }
        assertEquals(0, gate.admitted());
        GenerationGate full = new GenerationGate(1, 0, Duration.ofSeconds(5));
        try (GenerationGate.Slot held = full.acquire()) {
            ApiError refused = assertThrows(ApiError.class, full::acquire);
            assertEquals(429, refused.status);
            assertEquals(1, refused.retryAfterSeconds.orElseThrow());
        }
        try (GenerationGate.Slot again = full.acquire()) {
            assertEquals(1, full.admitted());
        }
    }
}
