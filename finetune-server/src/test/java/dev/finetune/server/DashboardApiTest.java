package dev.finetune.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.BadRequestException;
import dev.finetune.ClientV2;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Estimate;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.jobs.LocalTrainingTest;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's files and the endpoints it adds to the API, over plain HTTP (no browser): the files
 * come without a key and with a policy that allows this origin only, they name no other origin, the
 * estimate endpoint answers what {@code co.finetuning().estimate} answers and refuses out-of-range
 * settings with the record's own message, the audit endpoint returns the workspace's trail.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardApiTest {
    static final String KEY = "dash-api-" + ApiKeys.newKey();

    @TempDir
    static Path dir;
    ClientV2 co;
    FinetuneServer server;
    Http http;
    String burstBefore;

    @BeforeAll
    void start() {
        burstBefore = System.getProperty("finetune.estimateBurstSeconds");
        System.setProperty("finetune.estimateBurstSeconds", "0.3");
        co = ClientV2.builder().workspace(dir.resolve("ws")).build();
        server = FinetuneServer.builder(co, ApiKeys.of(KEY)).port(0).start();
        http = new Http(server.uri(), KEY);
    }

    @AfterAll
    void stop() {
        server.close();
        co.close();
        if (burstBefore == null) {
            System.clearProperty("finetune.estimateBurstSeconds");
        } else {
            System.setProperty("finetune.estimateBurstSeconds", burstBefore);
        }
    }

    @Test
    void theFilesNeedNoKeyAndMayTalkToThisOriginOnly() {
        for (String path : List.of("/", "/index.html", "/dashboard/app.js", "/dashboard/app.css")) {
            Http.Reply r = http.withKey(null).get(path);
            assertEquals(200, r.status(), path);
            assertEquals(DashboardAssets.CSP, r.raw().headers().firstValue("Content-Security-Policy").orElse(""), path);
            assertEquals("nosniff", r.raw().headers().firstValue("X-Content-Type-Options").orElse(""), path);
            assertEquals("no-referrer", r.raw().headers().firstValue("Referrer-Policy").orElse(""), path);
            assertTrue(r.raw().headers().firstValue("Content-Type").orElse("").startsWith(
                    path.endsWith(".js") ? "text/javascript" : path.endsWith(".css") ? "text/css" : "text/html"), path);
        }
        // the key is still needed for everything else
        assertEquals(401, http.withKey(null).get("/v1/datasets").status());
        assertEquals(401, http.withKey(null).get("/dashboard/other.js").status());
    }

    @Test
    void anUnchangedFileIsNotSentAgain() throws Exception {
        Http.Reply first = http.withKey(null).get("/dashboard/app.js");
        String etag = first.raw().headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = http.client.send(HttpRequest.newBuilder(server.uri().resolve("/dashboard/app.js"))
                .header("If-None-Match", etag).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(304, again.statusCode());
        assertEquals("", again.body());
        HttpResponse<String> head = http.client.send(HttpRequest.newBuilder(server.uri().resolve("/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
    }

    @Test
    void theFilesNameNoOtherOriginAndBuildNoHtmlFromText() {
        DashboardAssets a = new DashboardAssets();
        Pattern external = Pattern.compile("(?i)(src|href|action)\\s*=\\s*[\"']?\\s*(https?:)?//|url\\(\\s*[\"']?(https?:)?//|@import|"
                + "fetch\\(\\s*[\"'`](https?:)?//|XMLHttpRequest[^;]*open\\([^)]*[\"'`](https?:)?//");
        for (String path : a.paths()) {
            Matcher m = external.matcher(a.text(path));
            assertFalse(m.find(), path + " names another origin: " + (m.find(0) ? m.group() : ""));
        }
        String js = a.text("/dashboard/app.js");
        for (String risky : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                "localStorage", "document.cookie")) {
            assertFalse(js.contains(risky), "app.js uses " + risky);
        }
        assertTrue(js.contains("sessionStorage"), "the key lives in the session's storage");
        String html = a.text("/");
        assertFalse(html.contains("<script>") || Pattern.compile("<script(?![^>]*\\ssrc=)").matcher(html).find(), "no inline script");
        assertFalse(Pattern.compile("\\sstyle\\s*=").matcher(html).find(), "no inline style");
        // the key field has no name: no form submission can carry it
        Matcher key = Pattern.compile("<input id=\"api-key\"[^>]*>").matcher(html);
        assertTrue(key.find());
        assertFalse(key.group().contains("name="), key.group());
    }

    @Test
    void theRequirementsPanelStatesTheValidatorsOwnLimits() throws Exception {
        String js = new DashboardAssets().text("/dashboard/app.js");
        assertTrue(js.contains("A preamble has at most " + limit("ChatRules", "MAX_PREAMBLE_TOKENS") + " tokens; a turn over "
                + limit("ChatRules", "MAX_TURN_TOKENS") + " tokens"), "chat limits");
        assertTrue(js.contains("At least " + limit("PromptCompletionRules", "MIN_EXAMPLES") + " valid examples."), "generative minimum");
        assertTrue(js.contains("At least " + limit("RerankerRules", "MIN_UNIQUE_QUERIES") + " unique queries"), "rerank minimum");
        assertTrue(js.contains("over " + limit("RerankerRules", "MAX_PAIR_TOKENS") + " tokens is truncated"), "rerank pair limit");
        assertTrue(js.contains("At least " + limit("ClassificationRules", "MIN_EXAMPLES") + " valid examples, at least 2 unique labels, and at least "
                + limit("ClassificationRules", "MIN_PER_LABEL") + " examples of every label."), "classify minimums");
    }

    static int limit(String rules, String field) throws Exception {
        Field f = Class.forName("dev.finetune.validation." + rules).getDeclaredField(field);
        f.setAccessible(true);
        return f.getInt(null);
    }

    @Test
    void theEstimateEndpointAnswersWhatTheLibraryAnswersAndTheAuditEndpointTheTrail() throws IOException {
        Path base = LocalTrainingTest.baseFolder(Files.createDirectories(dir.resolve("base")));
        Http.Reply up = http.upload("/v1/datasets?name=qa&type=chat-finetune-input", List.of("data"),
                List.of(LocalTrainingTest.chatFile(dir)));
        assertEquals(200, up.status(), up.body());
        String id = up.json().path("id").asText();
        http.pollUntil("/v1/datasets/" + id, j -> Set.of("validated", "failed").contains(j.path("dataset").path("validation_status").asText()),
                Duration.ofSeconds(90));
        String body = "{\"name\":\"e\",\"settings\":{\"base_model\":{\"base_type\":\"BASE_TYPE_CHAT\",\"name\":"
                + ServerApiTest.quote(base.toString()) + "},\"dataset_id\":\"" + id + "\",\"hyperparameters\":{\"train_epochs\":3,"
                + "\"train_batch_size\":4}}}";
        Http.Reply r = http.post("/v1/finetuning/estimate", body);
        assertEquals(200, r.status(), r.body());
        JsonNode e = r.json().path("estimate");
        Estimate lib = co.finetuning().estimate(FinetunedModel.builder().name("e").settings(Settings.builder()
                .baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString())).datasetId(id)
                .hyperparameters(Hyperparameters.builder().trainEpochs(3).trainBatchSize(4).build()).build()).build());
        assertEquals(lib.steps(), e.path("steps").asInt());
        assertEquals(3, e.path("epochs").asInt());
        assertEquals(lib.trainableTokens(), e.path("trainable_tokens").asLong());
        assertEquals(lib.trainedTokens(), e.path("trained_tokens").asLong());
        assertEquals(lib.peakMemoryBytes(), e.path("peak_memory_bytes").asLong());
        assertTrue(e.path("seconds").asDouble() > 0, e.toString());
        assertEquals(0, co.finetuning().listFinetunedModels().finetunedModels().size(), "an estimate creates nothing");

        Http.Reply bad = http.post("/v1/finetuning/estimate", body.replace("\"train_epochs\":3", "\"train_epochs\":11"));
        assertEquals(400, bad.status());
        String expected = org.junit.jupiter.api.Assertions.assertThrows(BadRequestException.class,
                () -> Hyperparameters.builder().trainEpochs(11).build()).getMessage();
        assertEquals(expected, bad.json().path("message").asText());
        assertEquals(401, http.withKey("wrong").post("/v1/finetuning/estimate", body).status());
        assertEquals(405, http.get("/v1/finetuning/estimate").status());

        Http.Reply created = http.post("/v1/finetuning/finetuned-models", body.replace("\"train_epochs\":3", "\"train_epochs\":1"));
        assertEquals(200, created.status(), created.body());
        String model = created.json().path("finetuned_model").path("id").asText();
        JsonNode done = http.pollUntil("/v1/finetuning/finetuned-models/" + model,
                j -> ServerApiTest.isTerminal(j.path("finetuned_model").path("status").asText()), Duration.ofSeconds(120));
        assertEquals("STATUS_READY", done.path("finetuned_model").path("status").asText(), done.toString());
        JsonNode job = http.get("/v1/finetuning/finetuned-models/" + model + "/estimate").json().path("estimate");
        assertEquals(co.finetuning().jobEstimate(model).orElseThrow().steps(), job.path("steps").asInt());
        assertEquals(404, http.get("/v1/finetuning/finetuned-models/no-such-model/estimate").status());

        JsonNode audit = http.get("/v1/audit").json().path("records");
        assertEquals(co.audit().size(), audit.size());
        assertEquals(co.audit().get(0), audit.get(0));
        assertEquals(id, audit.get(audit.size() - 1).path("dataset_id").asText());
    }
}
