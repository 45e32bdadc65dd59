package dev.finetune.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.BadRequestException;
import dev.finetune.ClientV2;
import dev.finetune.NotFoundException;
import dev.finetune.WaitOptions;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
import dev.finetune.classify.ClassifyRequest;
import dev.finetune.classify.ClassifyResponse;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.FinetuneDatasetMetrics;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Estimate;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.Strategy;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.jobs.LocalTrainingTest;
import dev.finetune.jobs.TaskFinetuneTest;
import dev.finetune.validation.CheckOptions;
import dev.finetune.validation.DatasetCheck;
import dev.finetune.validation.PartSummary;
import dev.finetune.validation.ValidationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven over the DevTools protocol
 * ({@link Chromium}), against a server on a free loopback port, with every request of the page to any
 * other origin cut. Mouse clicks, key presses and files go through the browser's own input path.
 * Screenshots of every step land in {@code target/dashboard-screenshots/}. Skipped, saying so, where
 * Chromium is not installed.
 *
 * <p>What the page shows is checked against what the library says by another path: the counts against
 * {@link DatasetCheck} and the dataset record, the estimate against {@code co.finetuning().estimate},
 * the error texts against the records' own checks, the chart's points against the step metrics, the
 * try-it answers against {@code co.chat} / {@code co.classify} with the same request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
    static final String KEY = "dash-" + ApiKeys.newKey();
    static final Duration TRAINING = Duration.ofSeconds(150);

    @TempDir
    static Path dir;
    ClientV2 co;
    FinetuneServer server;
    Chromium browser;
    String origin;
    Path chatBase;
    Path taskBase;
    Path shots;
    String burstBefore;
    boolean burstSet;
    final AtomicInteger chooserFiles = new AtomicInteger();
    volatile Path chooserFile;

    @BeforeAll
    void start() throws Exception {
        Optional<String> exe = Chromium.executable();
        if (exe.isEmpty()) {
            System.err.println("NOTICE: chromium is not installed; the dashboard's browser tests are skipped (apt-get install chromium)");
            Assumptions.abort("chromium is not installed: the dashboard's browser tests are skipped");
        }
        burstBefore = System.getProperty("finetune.estimateBurstSeconds");
        burstSet = true;
        System.setProperty("finetune.estimateBurstSeconds", "0.5"); // the estimate's timed burst: short, the counts do not depend on it
        co = ClientV2.builder().workspace(dir.resolve("ws")).build();
        server = FinetuneServer.builder(co, ApiKeys.of(KEY)).port(0).start();
        origin = server.uri().toString();
        chatBase = LocalTrainingTest.baseFolder(Files.createDirectories(dir.resolve("chat-base")));
        taskBase = TaskFinetuneTest.tinyBase(Files.createDirectories(dir.resolve("task-base")));
        shots = Path.of("target", "dashboard-screenshots").toAbsolutePath();
        if (Files.isDirectory(shots)) {
            try (var old = Files.list(shots)) {
                for (Path p : old.toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(shots);
        browser = Chromium.launch(exe.get(), dir.resolve("profile"));
        browser.allowOnly(origin);
        browser.interceptFileChooser(node -> {
            // the keyboard opened the file chooser: "choose" the file the test has set, as a user would in the dialog
            browser.send("DOM.setFileInputFiles", Chromium.params("backendNodeId", node, "files", Chromium.paths(chooserFile)));
            chooserFiles.incrementAndGet();
        });
        browser.setViewport(1280, 800);
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
        if (co != null) {
            co.close();
        }
        if (!burstSet) {
            return;
        }
        if (burstBefore == null) {
            System.clearProperty("finetune.estimateBurstSeconds");
        } else {
            System.setProperty("finetune.estimateBurstSeconds", burstBefore);
        }
    }

    @AfterEach
    void pageStayedClean() {
        if (browser == null) {
            return;
        }
        List<String> errors = List.copyOf(browser.pageErrors);
        List<String> outside = List.copyOf(browser.blocked);
        browser.pageErrors.clear();
        browser.blocked.clear();
        assertEquals(List.of(), errors, "the page's script errors and console errors (a CSP violation is one)");
        assertEquals(List.of(), outside, "requests of the page to anything but the server");
    }

    // ------------------------------------------------------------------------------------- helpers

    void shot(String name) throws IOException {
        browser.screenshot(shots.resolve(name + ".png"));
    }

    /** A fresh page load with an empty session: the sign-in form. */
    void freshPage() {
        browser.eval("window.__stale = 1");
        browser.call("Page.navigate", Chromium.params("url", origin + "/"));
        browser.waitFor("!window.__stale && document.readyState === 'complete'", "a fresh page");
        browser.eval("sessionStorage.clear(); window.__stale = 1");
        browser.call("Page.reload", Chromium.params("ignoreCache", true));
        browser.waitFor("!window.__stale && document.readyState === 'complete' && !document.querySelector('#login').hidden",
                "the sign-in form");
    }

    void signIn() {
        freshPage();
        browser.fill("#api-key", KEY);
        browser.click("#sign-in");
        browser.waitFor("!document.querySelector('#nav').hidden && document.querySelector('#page-title')", "the signed-in page");
    }

    void go(String hash) {
        browser.eval("location.hash = " + Chromium.js(hash));
        browser.waitFor("location.hash === " + Chromium.js(hash) + " && document.querySelector('#page-title')", hash);
    }

    String cell(String table, String row, String part) {
        return browser.text(table + " tr[data-row=\"" + row + "\"] td[data-part=\"" + part + "\"]");
    }

    static Path evalChat(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String extra = i == 1 ? " write to jane.doe@example.com" : "";
            lines.add("{\"messages\":[{\"role\":\"User\",\"content\":\"what is two plus two? (eval " + i + ")" + extra
                    + "\"},{\"role\":\"Chatbot\",\"content\":\"four.\"}]}");
        }
        return Files.write(dir.resolve("eval.jsonl"), lines);
    }

    static long lines(Path f) throws IOException {
        return Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
    }

    FinetunedModel request(String name, Path base, String datasetId, Hyperparameters hp) {
        return FinetunedModel.builder().name(name).settings(Settings.builder().baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString()))
                .datasetId(datasetId).hyperparameters(hp).build()).build();
    }

    /** Steps 1 and 2: chat, the given files, REDACT (preselected), "Upload and check", up to the requirements panel. */
    void uploadChat(Path train, Path eval) {
        go("#/new");
        browser.waitFor("document.querySelector('#type-chat') && document.querySelector('#type-chat').checked", "chat chosen by default");
        browser.click("#type-next");
        browser.waitFor("document.querySelector('#train-file')", "the upload step");
        assertTrue(browser.eval("document.querySelector('#pii-redact').checked").asBoolean(), "REDACT is preselected");
        browser.setFiles("#train-file", train);
        if (eval != null) {
            browser.setFiles("#eval-file", eval);
        }
        browser.click("#upload-submit");
        browser.waitFor("document.querySelector('#req-status') && !/Still checking/.test(document.querySelector('#req-status').textContent)",
                "the requirements panel");
    }

    String latestDatasetId() {
        return co.datasets().list(dev.finetune.datasets.DatasetsListRequest.builder().limit(1000).build()).datasets().stream()
                .max(java.util.Comparator.comparing(Dataset::createdAt)).orElseThrow().id();
    }

    // --------------------------------------------------------------------------------------- tests

    @Test
    @Order(1)
    void aWrongKeyIsRefusedAndTheRightOneIsKeptInTheSessionOnly() throws IOException {
        freshPage();
        assertEquals("#api-key", browser.focused(), "the key field has the focus");
        shot("01-sign-in");
        browser.fill("#api-key", KEY + "-wrong");
        browser.click("#sign-in");
        browser.waitFor("document.querySelector('#api-key-error').textContent !== ''", "the refusal");
        assertEquals("The server refused this key: " + ApiHandler.BAD_KEY, browser.text("#api-key-error"));
        assertEquals("true", browser.eval("document.querySelector('#api-key').getAttribute('aria-invalid')").asText());
        assertTrue(browser.eval("document.querySelector('#nav').hidden").asBoolean(), "still signed out");
        assertEquals(0, browser.eval("sessionStorage.length").asInt());
        shot("02-wrong-key-refused");

        browser.fill("#api-key", KEY);
        browser.press("Enter");
        browser.waitFor("!document.querySelector('#nav').hidden", "signed in");
        assertEquals(KEY, browser.eval("sessionStorage.getItem('finetune.apiKey')").asText());
        assertEquals("", browser.eval("document.cookie").asText(), "no cookie");
        assertEquals(0, browser.eval("localStorage.length").asInt(), "nothing in local storage");
        assertFalse(browser.eval("location.href").asText().contains(KEY), "not in the URL");
        assertFalse(browser.eval("document.documentElement.outerHTML").asText().contains(KEY), "not in the page");
        // a key the server stops accepting (here: removed by hand) signs the tab out with the server's message
        browser.eval("sessionStorage.setItem('finetune.apiKey', 'not-a-key')");
        go("#/models");
        browser.waitFor("!document.querySelector('#login').hidden", "signed out after a 401");
        assertTrue(browser.text("#api-key-error").contains(ApiHandler.BAD_KEY), browser.text("#api-key-error"));
        assertEquals(0, browser.eval("sessionStorage.length").asInt());
    }

    @Test
    @Order(2)
    void aCsvUploadedAsChatFailsOnTheRequirementsPanelWithTheDocumentedText() throws IOException {
        Path csv = Files.writeString(dir.resolve("chats.csv"), "prompt,completion\nhello,hi\nhow are you,fine\n");
        signIn();
        uploadChat(csv, null);
        String expected = DatasetCheck.check(csv, Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT, CheckOptions.defaults())
                .validationError();
        assertTrue(expected.startsWith("line 1 is not a JSON object: chat-finetune-input expects JSONL"), expected);
        assertEquals(expected, browser.text("#req-error"));
        assertEquals("Failed: the data does not meet the requirements.", browser.text("#req-status"));
        assertTrue(browser.eval("document.querySelector('#req-next').disabled").asBoolean(), "no way forward");
        String id = latestDatasetId();
        assertEquals(expected, co.datasets().get(id).dataset().validationError().orElseThrow());
        shot("03-csv-as-chat-fails");

        // the datasets list deletes it, after a confirmation; the audit trail shows both
        go("#/datasets");
        browser.waitFor("document.querySelector('#datasets tr[data-id=\"" + id + "\"]')", "the dataset in the list");
        shot("04-datasets-list");
        browser.click("button[data-delete=\"" + id + "\"]");
        browser.waitFor("document.querySelector('#confirm').open", "the confirmation");
        assertEquals("#confirm-cancel", browser.focused(), "Cancel has the focus");
        shot("05-delete-confirmation");
        browser.click("#confirm-cancel");
        browser.waitFor("!document.querySelector('#confirm').open", "closed");
        assertEquals(id, co.datasets().get(id).dataset().id(), "cancel deletes nothing");
        browser.click("button[data-delete=\"" + id + "\"]");
        browser.waitFor("document.querySelector('#confirm').open", "the confirmation");
        browser.click("#confirm-ok");
        browser.waitFor("!document.querySelector('#datasets tr[data-id=\"" + id + "\"]')", "the row gone");
        assertThrows(NotFoundException.class, () -> co.datasets().get(id));
        go("#/audit");
        browser.waitFor("document.querySelector('#audit')", "the audit table");
        List<JsonNode> records = co.audit().stream().filter(r -> r.path("dataset_id").asText().equals(id)).toList();
        assertEquals(List.of("create", "delete"), records.stream().map(r -> r.path("action").asText()).toList());
        assertEquals(co.audit().size(), browser.count("#audit tr.audit"));
        assertEquals("delete", browser.text("#audit tr.audit td[data-col=\"action\"]"), "newest first");
        assertEquals(id, browser.text("#audit tr.audit td[data-col=\"dataset_id\"]"));
        shot("06-audit-trail");
    }

    @Test
    @Order(3)
    void theWholeChatFlowFromUploadToAnAnswer() throws Exception {
        Path train = LocalTrainingTest.chatFile(Files.createDirectories(dir.resolve("flow")));
        Path eval = evalChat(dir.resolve("flow"));
        signIn();
        go("#/new");
        shot("10-chat-choose-type");
        uploadChat(train, eval);
        String id = latestDatasetId();
        Dataset d = co.datasets().get(id).dataset();

        // the requirements panel: passed, the record's warnings word for word, the PII counts
        assertEquals("Passed: the data meets the requirements.", browser.text("#req-status"));
        assertFalse(browser.exists("#req-error"));
        assertFalse(d.validationWarnings().isEmpty(), "the redaction is a warning");
        assertEquals(d.validationWarnings(), textList("#req-warnings li"));
        Map<String, Long> pii = d.pii().orElseThrow().findingsByType();
        assertEquals(1L, pii.get("EMAIL_ADDRESS"), pii.toString());
        assertEquals("REDACT", browser.text("#pii-policy-applied"));
        assertEquals(List.of("EMAIL_ADDRESS", "1"), textList("#pii-table tbody td"));
        assertFalse(browser.eval("document.body.innerText").asText().contains("jane.doe@example.com"), "the address was redacted");
        shot("11-chat-requirements-passed");
        browser.click("#req-next");

        // review: the counts the seed lists, per file, against the validation API on the same files
        browser.waitFor("document.querySelector('#review-table')", "the review");
        ValidationReport report = DatasetCheck.check(train, Optional.of(eval), DatasetType.CHAT_FINETUNE_INPUT, CheckOptions.defaults());
        PartSummary t = report.part("train").orElseThrow();
        PartSummary e = report.part("eval").orElseThrow();
        assertEquals(lines(train), t.examples());
        assertEquals(lines(eval), e.examples());
        assertEquals(String.valueOf(t.examples()), cell("#review-table", "examples", "train"));
        assertEquals(String.valueOf(e.examples()), cell("#review-table", "examples", "eval"));
        assertEquals(String.valueOf(t.turns()), cell("#review-table", "turns", "train"));
        assertEquals(String.valueOf(e.turns()), cell("#review-table", "turns", "eval"));
        assertEquals(String.format(Locale.ROOT, "%.2f", t.averageTurns()), cell("#review-table", "average-turns", "train"));
        assertEquals(String.format(Locale.ROOT, "%.2f", e.averageTurns()), cell("#review-table", "average-turns", "eval"));
        FinetuneDatasetMetrics m = d.finetuneDatasetMetrics().orElseThrow();
        assertEquals(String.format(Locale.US, "%,d", m.trainableTokenCount()), cell("#review-table", "tokens", "train"));
        assertEquals(d.datasetParts().get(0).samples().size(), browser.count(".samples[data-part=\"train\"] .sample"));
        assertEquals(d.datasetParts().get(1).samples().size(), browser.count(".samples[data-part=\"eval\"] .sample"));
        assertTrue(browser.text(".samples[data-part=\"train\"] .sample").startsWith("User:"), "a sample reads as a conversation");
        shot("12-chat-review");
        browser.click("#review-next");

        // the estimate, with the defaults, on the tiny base: the API's counts
        browser.waitFor("document.querySelector('#estimate-form')", "the estimate step");
        browser.fill("#est-base-model", chatBase.toString());
        browser.click("#estimate-run");
        browser.waitFor("document.querySelector('#estimate-table')", Duration.ofSeconds(90), "the estimate");
        Estimate api = co.finetuning().estimate(request("estimate", chatBase, id, Hyperparameters.builder().build()));
        assertEquals(api.steps(), browser.eval("+document.querySelector('#estimate-table tr[data-row=\"steps\"]').dataset.value").asInt());
        assertEquals(api.trainableTokens(),
                browser.eval("+document.querySelector('#estimate-table tr[data-row=\"trainable-tokens\"]').dataset.value").asLong());
        assertEquals(api.peakMemoryBytes(), browser.eval("+document.querySelector('#estimate-table tr[data-row=\"memory\"]').dataset.value").asLong());
        assertTrue(browser.eval("+document.querySelector('#estimate-table tr[data-row=\"time\"]').dataset.value > 0").asBoolean(), "a measured time");
        shot("13-chat-estimate");
        browser.click("#estimate-next");

        // name, base model, hyperparameters: an out-of-range value gets the API's message next to its field
        browser.waitFor("document.querySelector('#settings-form')", "the settings step");
        assertEquals(chatBase.toString(), browser.eval("document.querySelector('#ft-base-model').value").asText(), "the base model carried over");
        browser.fill("#ft-name", "support-chat");
        browser.fill("#hp-train_epochs", "11");
        browser.click("#start-training");
        browser.waitFor("document.querySelector('#hp-train_epochs-error').textContent !== ''", "the range error");
        String rangeMessage = assertThrows(BadRequestException.class, () -> Hyperparameters.builder().trainEpochs(11).build()).getMessage();
        assertEquals("train_epochs: 11 is outside the allowed range 1 to 10 (inclusive)", rangeMessage);
        assertEquals(rangeMessage, browser.text("#hp-train_epochs-error"));
        assertEquals("#hp-train_epochs", browser.focused(), "the focus moves to the field at fault");
        assertEquals("true", browser.eval("document.querySelector('#hp-train_epochs').getAttribute('aria-invalid')").asText());
        assertEquals(0, co.finetuning().listFinetunedModels().finetunedModels().stream().filter(x -> x.name().equals("support-chat")).count());
        shot("14-chat-range-error");

        browser.fill("#hp-train_epochs", "10");
        browser.fill("#hp-train_batch_size", "4");
        browser.fill("#hp-learning_rate", "0.01");
        browser.fill("#hp-early_stopping_patience", "0");
        browser.eval("document.querySelector('#hp-strategy').focus()");
        browser.press("ArrowDown");
        browser.press("ArrowDown");
        assertEquals("STRATEGY_FULL", browser.eval("document.querySelector('#hp-strategy').value").asText());
        browser.click("#estimate-update");
        browser.waitFor("document.querySelector('#estimate-summary') && document.querySelector('#estimate-summary').dataset.current === 'yes'",
                Duration.ofSeconds(90), "the updated estimate");
        Hyperparameters hp = Hyperparameters.builder().trainEpochs(10).trainBatchSize(4).learningRate(0.01).earlyStoppingPatience(0)
                .strategy(Strategy.STRATEGY_FULL).build();
        Estimate planned = co.finetuning().estimate(request("support-chat", chatBase, id, hp));
        assertEquals(planned.steps(), browser.eval("+document.querySelector('#estimate-summary').dataset.steps").asInt());
        shot("15-chat-settings");
        browser.click("#start-training");
        browser.waitFor("location.hash.startsWith('#/models/')", "the model page");
        String modelId = browser.eval("decodeURIComponent(location.hash.slice('#/models/'.length))").asText();
        FinetunedModel created = co.finetuning().getFinetunedModel(modelId).finetunedModel();
        assertEquals("support-chat", created.name());
        assertEquals(hp, created.settings().hyperparameters().orElseThrow());

        // the model page follows the run without a reload: status, chart points, then the before/after table
        browser.eval("window.__samePage = 'yes'");
        browser.waitFor("document.querySelectorAll('#chart-loss circle.pt').length > 0", TRAINING, "the first chart points");
        shot("16-chat-training");
        browser.waitFor("document.querySelector('#model-status').textContent === 'STATUS_READY'", TRAINING, "the model to be ready");
        FinetunedModel done = co.finetuning().getFinetunedModel(modelId).finetunedModel();
        assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
        TreeMap<Integer, Map<String, Double>> steps = new TreeMap<>();
        for (TrainingStepMetrics s : co.finetuning().listTrainingStepMetrics(modelId).stepMetrics()) {
            steps.put(s.stepNumber(), s.metrics());
        }
        for (String series : List.of("train_loss", "eval_cross_entropy", "eval_accuracy")) {
            long expected = steps.values().stream().filter(s -> s.containsKey(series)).count();
            assertTrue(expected > 0, series);
            String chartId = series.equals("eval_accuracy") ? "#chart-accuracy" : "#chart-loss";
            browser.waitFor("document.querySelectorAll('" + chartId + " circle.pt[data-series=\"" + series + "\"]').length === " + expected,
                    series + ": " + expected + " points");
        }
        double firstTrainLoss = steps.values().stream().filter(s -> s.containsKey("train_loss")).findFirst().orElseThrow().get("train_loss");
        assertEquals(firstTrainLoss,
                browser.eval("+document.querySelector('#chart-loss circle.pt[data-series=\"train_loss\"]').dataset.value").asDouble());
        assertEquals("yes", browser.eval("window.__samePage").asText(), "no reload happened");
        assertEquals(1, browser.eval("performance.getEntriesByType('navigation').length").asInt());
        Map<String, Double> metrics = done.metrics().orElseThrow();
        long pairs = metrics.keySet().stream().filter(k -> k.startsWith("baseline_") && metrics.containsKey(k.substring(9))).count();
        assertEquals(2, pairs, metrics.toString());
        assertEquals(pairs, browser.count("#pills tr.pill"));
        assertTrue(browser.text("#pills tr.pill[data-metric=\"cross_entropy\"]").matches(".*(improved|worse|no clear change)$"),
                browser.text("#pills tr.pill[data-metric=\"cross_entropy\"]"));
        browser.waitFor("document.querySelectorAll('#events tr.event').length === "
                + co.finetuning().listEvents(modelId).events().size(), "a row per event");
        shot("17-chat-ready");

        // try it: the page's answer is the API's answer to the same request
        browser.fill("#try-message", "hello there!");
        browser.fill("#try-max_tokens", "10");
        browser.fill("#try-temperature", "0");
        browser.click("#try-submit");
        browser.waitFor("document.querySelector('#try-answer').textContent !== '' && document.querySelector('#try-answer').textContent !== '…'",
                "the answer");
        String direct = co.chat(ChatRequest.builder().model(modelId + "-ft").messages(List.of(ChatMessage.user("hello there!")))
                .maxTokens(10).temperature(0f).build()).message().content().get(0).text();
        assertFalse(direct.isBlank(), "the tiny model answers with words");
        assertEquals(direct, browser.text("#try-answer"));
        shot("18-chat-try-it");

        // narrow: nothing wider than the window (tables scroll inside their own box)
        browser.setViewport(390, 844);
        browser.waitFor("document.documentElement.scrollWidth <= window.innerWidth", "no sideways scrolling at 390 px");
        shot("19-chat-model-narrow");
        go("#/models");
        browser.waitFor("document.querySelector('#models tr[data-id=\"" + modelId + "\"]')", "the model in the list");
        browser.waitFor("document.documentElement.scrollWidth <= window.innerWidth", "the list at 390 px");
        shot("20-models-list-narrow");
        browser.setViewport(1280, 800);
        shot("21-models-list");
    }

    List<String> textList(String selector) {
        List<String> out = new ArrayList<>();
        browser.eval("[...document.querySelectorAll(" + Chromium.js(selector) + ")].map(e => e.textContent)").forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    @Order(4)
    void aLargeUploadShowsItsProgressAndAGenerativeDatasetItsReview() throws Exception {
        List<String> rows = new ArrayList<>();
        String filler = "lorem ipsum dolor sit amet ".repeat(20);
        for (int i = 0; i < 1500; i++) {
            rows.add("{\"prompt\":\"question " + i + ": " + filler + "\",\"completion\":\"answer " + i + ".\"}");
        }
        Path big = Files.write(dir.resolve("prompts.jsonl"), rows);
        long size = Files.size(big);
        assertTrue(size > 800_000, "about a megabyte: " + size);
        signIn();
        go("#/new");
        browser.click("#type-generative");
        browser.click("#type-next");
        browser.waitFor("document.querySelector('#train-file')", "the upload step");
        browser.setFiles("#train-file", big);
        // a slow uplink (about 5 s for this file) so the progress is seen part way
        browser.call("Network.enable", null);
        browser.call("Network.emulateNetworkConditions", Chromium.params("offline", false, "latency", 0, "downloadThroughput", -1,
                "uploadThroughput", 200_000));
        try {
            browser.click("#upload-submit");
            browser.waitFor("document.querySelector('#upload-bar').value > 0 && document.querySelector('#upload-bar').value < 100",
                    "progress part way");
            assertTrue(browser.text("#upload-status").matches("Uploading: [0-9.]+ (bytes|KiB|MiB) of [0-9.]+ (KiB|MiB) \\(\\d+%\\)"),
                    browser.text("#upload-status"));
            shot("30-upload-progress");
        } finally {
            browser.call("Network.emulateNetworkConditions", Chromium.params("offline", false, "latency", 0, "downloadThroughput", -1,
                    "uploadThroughput", -1));
            browser.call("Network.disable", null);
        }
        browser.waitFor("document.querySelector('#req-status') && document.querySelector('#req-status').classList.contains('validated')",
                Duration.ofSeconds(90), "the requirements passed");
        Dataset d = co.datasets().get(latestDatasetId()).dataset();
        browser.click("#req-next");
        browser.waitFor("document.querySelector('#review-table')", "the review");
        FinetuneDatasetMetrics m = d.finetuneDatasetMetrics().orElseThrow();
        assertEquals(1500, m.trainExamples() + m.evalExamples());
        assertEquals(String.format(Locale.US, "%,d", m.trainExamples()), cell("#review-table", "examples", "train"));
        assertEquals(String.format(Locale.US, "%,d", m.evalExamples()), cell("#review-table", "examples", "eval"));
        assertTrue(browser.exists("#auto-split"), "says the eval part was split off");
        assertTrue(browser.text(".samples[data-part=\"train\"] .sample").startsWith("prompt:"), browser.text(".samples .sample"));
        shot("31-generative-review");
    }

    @Test
    @Order(5)
    void rerankAndClassifyDatasetsHaveTheirReviewAndAClassifierAnswersInTheTryItBox() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("tasks"));
        Dataset rr = co.wait(co.datasets().create(TaskFinetuneTest.rerankFile(sub), Optional.empty(), DatasetsCreateRequest.builder()
                .name("rerank-set").type(DatasetType.RERANKER_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(90)));
        Dataset cl = co.wait(co.datasets().create(TaskFinetuneTest.singleLabelFile(sub), Optional.empty(), DatasetsCreateRequest.builder()
                .name("classify-set").type(DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(90)));
        FinetunedModel model = co.finetuning().createFinetunedModel(FinetunedModel.builder().name("sentiment").settings(Settings.builder()
                .baseModel(BaseModel.of(BaseType.BASE_TYPE_CLASSIFICATION, taskBase.toString())).datasetId(cl.id())
                .hyperparameters(Hyperparameters.builder().trainEpochs(2).earlyStoppingPatience(0).build()).build()).build()).finetunedModel();
        String modelId = model.id().orElseThrow();
        signIn();

        go("#/datasets/" + rr.id());
        browser.waitFor("document.querySelector('#review-table')", "the rerank review");
        var r = rr.finetuneDatasetMetrics().orElseThrow().rerankerDataMetrics().orElseThrow();
        assertEquals(String.valueOf(r.numTrainQueries()), cell("#review-table", "examples", "train"));
        assertEquals(String.valueOf(r.numEvalQueries()), cell("#review-table", "examples", "eval"));
        assertEquals(String.valueOf(r.numTrainRelevantPassages()), cell("#review-table", "relevant", "train"));
        assertEquals(String.valueOf(r.numTrainHardNegatives()), cell("#review-table", "negatives", "train"));
        shot("40-rerank-dataset");

        go("#/datasets/" + cl.id());
        browser.waitFor("document.querySelector('#labels-table')", "the classify review");
        var labels = cl.finetuneDatasetMetrics().orElseThrow().classifyDataMetrics().orElseThrow().labelMetrics();
        assertEquals(labels.size(), browser.count("#labels-table tbody tr"));
        assertEquals(labels.stream().map(l -> l.label()).toList(), textList("#labels-table tbody tr td:first-child"));
        shot("41-classify-dataset");

        go("#/models/" + modelId);
        browser.waitFor("document.querySelector('#model-status').textContent === 'STATUS_READY'", TRAINING, "the classifier to be ready");
        browser.waitFor("document.querySelector('#try-inputs') && !document.querySelector('#try-submit').disabled", "the try-it box");
        browser.fill("#try-inputs", "i love this piano.\ni hate this river.");
        browser.click("#try-submit");
        browser.waitFor("document.querySelectorAll('#try-classes tbody tr').length === 2", "two classifications");
        ClassifyResponse direct = co.classify(ClassifyRequest.of(modelId + "-ft", List.of("i love this piano.", "i hate this river.")));
        List<String> predictions = direct.classifications().stream().map(c -> c.prediction().orElseThrow()).toList();
        assertEquals(predictions, textList("#try-classes tbody tr td:nth-child(2)"));
        assertTrue(browser.count("#chart-accuracy circle.pt[data-series=\"eval_accuracy\"]") > 0, "the classifier's accuracy curve");
        shot("42-classify-try-it");

        // deleted elsewhere (another tab, the SDK): its page (a bookmark, say) shows the API's message
        co.finetuning().deleteFinetunedModel(modelId);
        String gone = assertThrows(NotFoundException.class, () -> co.finetuning().getFinetunedModel(modelId)).getMessage();
        go("#/models");
        go("#/models/" + modelId);
        browser.waitFor("document.querySelector('#model-failure').textContent === " + Chromium.js(gone), "the page saying the model is gone");
    }

    @Test
    @Order(6)
    void theKeyboardAloneReachesAndStartsAFineTune() throws Exception {
        Path train = LocalTrainingTest.chatFile(Files.createDirectories(dir.resolve("keys")));
        chooserFile = train;
        freshPage();
        assertEquals("#api-key", browser.focused());
        // the skip link comes first and moves the focus to the content
        browser.press("Tab", 8);
        assertEquals("#skip", browser.focused());
        browser.press("Enter");
        assertEquals("#main", browser.focused());
        browser.press("Tab");
        assertEquals("#api-key", browser.focused());
        browser.type(KEY);
        browser.press("Enter");
        browser.waitFor("!document.querySelector('#nav').hidden && document.activeElement && document.activeElement.id === 'page-title'",
                "signed in, the focus on the page's title");
        browser.tabTo("#type-chat", 12);
        browser.tabTo("#type-next", 4);
        browser.press("Enter");
        browser.waitFor("document.activeElement && document.activeElement.id === 'step-title'", "the upload step, focused");
        browser.tabTo("#train-file", 6);
        int before = chooserFiles.get();
        browser.press("Space"); // opens the file chooser; the test picks the file in it
        browser.waitFor("document.querySelector('#train-file').files.length === 1", "the file chosen");
        assertEquals(before + 1, chooserFiles.get());
        browser.tabTo("#pii-redact", 6);
        browser.tabTo("#upload-submit", 8);
        shot("50-keyboard-upload");
        browser.press("Enter");
        browser.waitFor("document.querySelector('#req-next') && document.activeElement.id === 'step-title'", "the requirements, focused");
        browser.tabTo("#req-next", 4);
        browser.press("Enter");
        browser.waitFor("document.querySelector('#review-next')", "the review");
        browser.tabTo("#review-next", 6);
        browser.press("Enter");
        browser.waitFor("document.querySelector('#est-base-model')", "the estimate step");
        browser.tabTo("#est-base-model", 4);
        browser.type(chatBase.toString());
        browser.press("Enter"); // submits the estimate form
        browser.waitFor("document.querySelector('#estimate-table')", Duration.ofSeconds(90), "the estimate");
        browser.tabTo("#estimate-next", 10);
        browser.press("Enter");
        browser.waitFor("document.querySelector('#ft-name')", "the settings step");
        browser.tabTo("#ft-name", 4);
        browser.type("keyboard-run");
        // the focus order follows the form, top to bottom
        List<String> order = browser.tabTo("#start-training", 20);
        assertEquals(List.of("#ft-base-model", "#hp-strategy", "#hp-train_epochs", "#hp-learning_rate", "#hp-train_batch_size",
                "#hp-early_stopping_patience", "#hp-early_stopping_threshold", "#hp-lora_rank", "#hp-lora_alpha", "#hp-seed",
                "#hp-lora_target_modules", "#estimate-update", "button:Back", "#start-training"), order);
        shot("51-keyboard-settings");
        browser.press("Enter");
        browser.waitFor("location.hash.startsWith('#/models/')", "the model page");
        String modelId = browser.eval("decodeURIComponent(location.hash.slice('#/models/'.length))").asText();
        assertEquals("keyboard-run", co.finetuning().getFinetunedModel(modelId).finetunedModel().name());
        browser.waitFor("document.querySelector('#model-status').textContent.startsWith('STATUS_')", "the status");

        // delete it with the keyboard: Escape keeps it, Delete removes it
        browser.tabTo("#delete-model", 80);
        browser.press("Enter");
        browser.waitFor("document.querySelector('#confirm').open", "the confirmation");
        assertEquals("#confirm-cancel", browser.focused());
        browser.press("Escape");
        browser.waitFor("!document.querySelector('#confirm').open", "closed by Escape");
        assertEquals("#delete-model", browser.focused(), "the focus comes back");
        assertEquals(modelId, co.finetuning().getFinetunedModel(modelId).finetunedModel().id().orElseThrow());
        browser.press("Enter");
        browser.waitFor("document.querySelector('#confirm').open", "the confirmation again");
        browser.press("Tab");
        assertEquals("#confirm-ok", browser.focused());
        shot("52-keyboard-delete");
        browser.press("Enter");
        browser.waitFor("location.hash === '#/models'", "back on the list");
        assertThrows(NotFoundException.class, () -> co.finetuning().getFinetunedModel(modelId));
    }

    @Test
    @Order(7)
    void thePageNeedsNothingButTheServerAndWorksWithTheNetworkCut() throws Exception {
        // the cut is real: a page on another address does not load
        JsonNode nav = browser.call("Page.navigate", Chromium.params("url", "http://192.0.2.1/"));
        assertTrue(nav.path("errorText").asText().contains("INTERNET_DISCONNECTED"), nav.toString());
        assertEquals(List.of("http://192.0.2.1/"), List.copyOf(browser.blocked));
        browser.blocked.clear();
        browser.pageErrors.clear();

        signIn();
        for (String page : List.of("#/models", "#/datasets", "#/audit", "#/new")) {
            go(page);
            browser.waitFor("document.querySelector('#view table, #view form, #view .muted')", page + " rendered");
        }
        assertEquals("flex", browser.eval("getComputedStyle(document.querySelector('header.top')).display").asText(), "the stylesheet applies");
        JsonNode loaded = browser.eval("performance.getEntriesByType('resource').map(e => e.name)");
        assertTrue(loaded.size() >= 2, loaded.toString());
        loaded.forEach(u -> assertTrue(u.asText().startsWith(origin + "/"), "loaded from elsewhere: " + u));
        assertEquals(List.of(), List.copyOf(browser.blocked), "the page asked for nothing outside the server");
        shot("60-offline-new-fine-tune");
    }
}
