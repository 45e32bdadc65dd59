package dev.finetune.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Status;
import dev.finetune.jobs.LocalTrainingTest;
import dev.finetune.json.Json;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FinetuneServer#close()} (what SIGTERM runs): a request in flight finishes, a running fine-tune
 * stops at a step boundary and resumes when the workspace is opened again, and the lock is released.
 */
class GracefulShutdownTest {

    @Test
    void closeFinishesAnUploadInFlightStopsTheJobResumablyAndReleasesTheWorkspace(@TempDir Path dir) throws Exception {
        String key = ApiKeys.newKey();
        Path ws = dir.resolve("ws");
        Path base = LocalTrainingTest.baseFolder(dir);
        ClientV2 co = ClientV2.builder().workspace(ws).build();
        FinetuneServer server = FinetuneServer.builder(co, ApiKeys.of(key)).port(0).closeClient(true).start();
        Http http = new Http(server.uri(), key);

        Http.Reply up = http.upload("/v1/datasets?name=qa&type=chat-finetune-input", List.of("data"), List.of(LocalTrainingTest.chatFile(dir)));
        String datasetId = up.json().path("id").asText();
        http.pollUntil("/v1/datasets/" + datasetId, j -> j.path("dataset").path("validation_status").asText().equals("validated"),
                Duration.ofSeconds(60));
        Http.Reply created = http.post("/v1/finetuning/finetuned-models", "{\"name\":\"long\",\"settings\":{\"base_model\":{"
                + "\"base_type\":\"BASE_TYPE_CHAT\",\"name\":" + ServerApiTest.quote(base.toString()) + "},\"dataset_id\":\"" + datasetId
                + "\",\"hyperparameters\":{\"strategy\":\"STRATEGY_FULL\",\"train_epochs\":4,\"train_batch_size\":2,"
                + "\"early_stopping_patience\":0}}}");
        String modelId = created.json().path("finetuned_model").path("id").asText();
        http.pollUntil("/v1/finetuning/finetuned-models/" + modelId + "/training-step-metrics",
                j -> j.path("step_metrics").size() >= 2, Duration.ofSeconds(60));

        // an upload whose body the test holds back, over a plain socket: in flight when close() starts
        String boundary = "----graceful";
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"data\"; filename=\"late.jsonl\"\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] file = Files.readAllBytes(LocalTrainingTest.chatFile(Files.createDirectories(dir.resolve("late"))));
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        long before = server.requestsHandled();
        String lateId;
        CompletableFuture<Void> closing;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/datasets?name=late&type=chat-finetune-input HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + key + "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: "
                    + (head.length + file.length + tail.length) + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(head);
            out.write(file, 0, file.length / 2);
            out.flush();
            await(() -> server.requestsHandled() > before, "the server to receive the upload");
            closing = CompletableFuture.runAsync(server::close);
            out.write(file, file.length / 2, file.length - file.length / 2);
            out.write(tail);
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            lateId = Json.reader().readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).path("id").asText();
        }
        closing.get(60, TimeUnit.SECONDS);

        // the lock is free: a new client opens the workspace, finds both datasets and finishes the job
        try (ClientV2 again = ClientV2.builder().workspace(ws).build()) {
            assertEquals(ValidationStatus.VALIDATED, again.wait(again.datasets().get(lateId).dataset(),
                    WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20))).validationStatus());
            FinetunedModel m = again.finetuning().getFinetunedModel(modelId).finetunedModel();
            assertTrue(Set.of(Status.STATUS_QUEUED, Status.STATUS_FINETUNING, Status.STATUS_READY).contains(m.status().orElseThrow()),
                    "the job was stopped resumably, not failed: " + m);
            FinetunedModel done = again.wait(m, WaitOptions.timeout(Duration.ofSeconds(120)).interval(Duration.ofMillis(50)));
            assertEquals(Status.STATUS_READY, done.status().orElseThrow());
            JsonNode events = Json.toTree(again.finetuning().listEvents(modelId).events());
            assertTrue(events.size() > 0);
        }
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10); // poll interval; the deadline decides
        }
    }
}
