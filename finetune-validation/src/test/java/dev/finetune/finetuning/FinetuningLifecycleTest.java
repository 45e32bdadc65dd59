package dev.finetune.finetuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.BadRequestException;
import dev.finetune.ClientV2;
import dev.finetune.NotFoundException;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.spi.TrainingBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job lifecycle with stand-in training backends: statuses, events, metrics, failure, cancel, resume. */
class FinetuningLifecycleTest {

    static Dataset chatDataset(ClientV2 co, Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            lines.add("{\"messages\":[{\"role\":\"User\",\"content\":\"q" + i + "\"},{\"role\":\"Chatbot\",\"content\":\"a" + i + "\"}]}");
        }
        Path f = dir.resolve("chat.jsonl");
        Files.write(f, lines);
        return co.wait(co.datasets().create(f, Optional.empty(), DatasetsCreateRequest.builder().name("chat")
                .type(DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
    }

    static FinetunedModel request(String datasetId, BaseType type) {
        return FinetunedModel.builder().name("my model").settings(Settings.builder().baseModel(BaseModel.of(type))
                .datasetId(datasetId).hyperparameters(Hyperparameters.builder().trainEpochs(2).build())
                .wandb(WandbConfig.builder().project("p").apiKey("wandb-secret-key").build()).build()).build();
    }

    static FinetunedModel waitFor(ClientV2 co, CreateFinetunedModelResponse r) {
        return co.wait(r, WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
    }

    @Test
    void aJobGoesQueuedTrainingReadyWithEventsAndMetrics(@TempDir Path dir) throws IOException {
        TrainingBackend ok = (job, ctx) -> {
            for (int s = 1; s <= 3; s++) {
                ctx.stepMetrics(s, Map.of("train_loss", 3.0 - s));
            }
            ctx.event("saved the model");
            assertEquals("wandb-secret-key", job.model().settings().wandb().orElseThrow().apiKey());
            Files.writeString(job.modelDir().resolve("config.json"), "{}");
            return new TrainingBackend.Outcome(Map.of("eval_cross_entropy", 1.5));
        };
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).trainingBackend(ok).build()) {
            Dataset d = chatDataset(co, dir);
            CreateFinetunedModelResponse r = co.finetuning().createFinetunedModel(request(d.id(), BaseType.BASE_TYPE_CHAT));
            String id = r.finetunedModel().id().orElseThrow();
            FinetunedModel done = waitFor(co, r);
            assertEquals(Status.STATUS_READY, done.status().orElseThrow());
            assertTrue(done.completedAt().isPresent());
            assertEquals(1.5, done.metrics().orElseThrow().get("eval_cross_entropy"));
            List<Event> events = co.finetuning().listEvents(id).events();
            assertEquals(Status.STATUS_READY, events.get(0).status(), "newest first");
            assertEquals(Status.STATUS_QUEUED, events.get(events.size() - 1).status());
            assertTrue(events.stream().anyMatch(e -> e.message().orElse("").equals("saved the model")));
            List<TrainingStepMetrics> m = co.finetuning().listTrainingStepMetrics(id).stepMetrics();
            assertEquals(3, m.size());
            assertEquals(1, m.get(0).stepNumber());
            assertEquals(0.0, m.get(2).metrics().get("train_loss"));
            assertEquals(co.root().resolve("models").resolve(id), co.finetuning().modelFolder(id));
            // W&B is never silently ignored: an event says what was done, and never holds the key
            List<Event> all = co.finetuning().listEvents(id).events();
            assertTrue(all.stream().anyMatch(e -> e.message().orElse("").contains("wandb sync --sync-tensorboard")), all.toString());
            assertTrue(all.stream().noneMatch(e -> e.message().orElse("").contains("wandb-secret-key")));
            String stored = Files.readString(co.finetuning().modelFolder(id).resolve("model.json"));
            assertFalse(stored.contains("wandb-secret-key"), stored);
            assertEquals("renamed", co.finetuning().updateFinetunedModel(id, UpdateFinetunedModelRequest.builder().name("renamed").build()).finetunedModel().name());
            assertEquals(1, co.finetuning().listFinetunedModels().totalSize());
            co.finetuning().deleteFinetunedModel(id);
            assertThrows(NotFoundException.class, () -> co.finetuning().getFinetunedModel(id));
            assertFalse(Files.exists(co.root().resolve("models").resolve(id)));
        }
    }

    @Test
    void createChecksTheDatasetFirstAndCreatesNothingOtherwise(@TempDir Path dir) throws IOException {
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).trainingBackend((j, c) -> null).build()) {
            assertThrows(NotFoundException.class, () -> co.finetuning().createFinetunedModel(request("nope-1234", BaseType.BASE_TYPE_CHAT)));
            Dataset d = chatDataset(co, dir);
            BadRequestException e = assertThrows(BadRequestException.class,
                    () -> co.finetuning().createFinetunedModel(request(d.id(), BaseType.BASE_TYPE_RERANK)));
            assertTrue(e.getMessage().contains("BASE_TYPE_RERANK") && e.getMessage().contains("reranker-finetune-input"), e.getMessage());
            assertEquals(0, co.finetuning().listFinetunedModels().totalSize());
        }
    }

    @Test
    void aFailingJobIsInspectableNotRetried(@TempDir Path dir) throws IOException {
        TrainingBackend bad = (job, ctx) -> {
            throw new ArithmeticException("the loss became NaN at step 7");
        };
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).trainingBackend(bad).build()) {
            Dataset d = chatDataset(co, dir);
            CreateFinetunedModelResponse r = co.finetuning().createFinetunedModel(request(d.id(), BaseType.BASE_TYPE_CHAT));
            // wait throws for a failed model, as it does for a failed dataset, and carries the record
            FinetuningFailedException failed = assertThrows(FinetuningFailedException.class, () -> waitFor(co, r));
            FinetunedModel done = failed.finetunedModel();
            assertTrue(failed.getMessage().contains("the loss became NaN at step 7"), failed.getMessage());
            assertEquals(Status.STATUS_FAILED, done.status().orElseThrow());
            assertEquals("the loss became NaN at step 7", done.failureReason().orElseThrow());
            String id = done.id().orElseThrow();
            assertTrue(co.finetuning().listEvents(id).events().get(0).message().orElse("").contains("NaN"));
        }
    }

    @Test
    void cancelStopsARunningJob(@TempDir Path dir) throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        TrainingBackend slow = (job, ctx) -> {
            started.countDown();
            while (!ctx.cancelled()) {
                Thread.sleep(5);
            }
            return new TrainingBackend.Outcome(Map.of());
        };
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).trainingBackend(slow).build()) {
            Dataset d = chatDataset(co, dir);
            CreateFinetunedModelResponse r = co.finetuning().createFinetunedModel(request(d.id(), BaseType.BASE_TYPE_CHAT));
            assertTrue(started.await(30, TimeUnit.SECONDS));
            co.finetuning().cancelFinetunedModel(r.finetunedModel().id().orElseThrow());
            assertEquals(Status.STATUS_CANCELLED, waitFor(co, r).status().orElseThrow());
        }
    }

    @Test
    void aJobInterruptedByTheProcessEndingResumesOnTheNextOpen(@TempDir Path dir) throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        TrainingBackend blocking = (job, ctx) -> {
            started.countDown();
            while (!ctx.cancelled()) {
                Thread.sleep(5);
            }
            // the write a job does as it stops (a checkpoint, a metrics line) completes: close does not interrupt
            assertFalse(Thread.currentThread().isInterrupted());
            ctx.stepMetrics(1, Map.of("train_loss", 1.0));
            ctx.event("stopped at a step boundary");
            return new TrainingBackend.Outcome(Map.of());
        };
        String id;
        Path ws = dir.resolve("ws");
        try (ClientV2 co = ClientV2.builder().workspace(ws).trainingBackend(blocking).build()) {
            Dataset d = chatDataset(co, dir);
            id = co.finetuning().createFinetunedModel(request(d.id(), BaseType.BASE_TYPE_CHAT)).finetunedModel().id().orElseThrow();
            assertTrue(started.await(30, TimeUnit.SECONDS));
        }
        List<String> resumed = new ArrayList<>();
        TrainingBackend finishing = (job, ctx) -> {
            resumed.add(job.model().id().orElseThrow());
            return new TrainingBackend.Outcome(Map.of());
        };
        try (ClientV2 co = ClientV2.builder().workspace(ws).trainingBackend(finishing).build()) {
            FinetunedModel m = co.wait(co.finetuning().getFinetunedModel(id).finetunedModel(), WaitOptions.timeout(Duration.ofSeconds(60)));
            assertEquals(Status.STATUS_READY, m.status().orElseThrow());
            assertEquals(List.of(id), resumed);
            assertTrue(co.finetuning().listEvents(id).events().stream().anyMatch(e -> e.message().orElse("").contains("resuming")));
            assertTrue(co.finetuning().listEvents(id).events().stream()
                    .anyMatch(e -> e.message().orElse("").equals("stopped at a step boundary")));
            assertEquals(1, co.finetuning().listTrainingStepMetrics(id).stepMetrics().size());
        }
    }

    @Test
    void aClientThatDoesNotRunJobsQueuesAndTheNextRunnerTrains(@TempDir Path dir) throws IOException {
        java.util.concurrent.atomic.AtomicInteger trained = new java.util.concurrent.atomic.AtomicInteger();
        TrainingBackend ok = (job, ctx) -> {
            trained.incrementAndGet();
            return new TrainingBackend.Outcome(java.util.Map.of("loss", 0.5));
        };
        String id;
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).trainingBackend(ok).runJobs(false).build()) {
            assertFalse(co.runsJobs());
            Dataset d = chatDataset(co, dir);
            id = co.finetuning().createFinetunedModel(request(d.id(), BaseType.BASE_TYPE_CHAT)).finetunedModel().id().orElseThrow();
            assertEquals(Status.STATUS_QUEUED, co.finetuning().getFinetunedModel(id).finetunedModel().status().orElseThrow());
            assertThrows(dev.finetune.WaitTimeoutException.class, () -> co.wait(co.finetuning().getFinetunedModel(id).finetunedModel(),
                    WaitOptions.timeout(Duration.ofMillis(200)).interval(Duration.ofMillis(20))));
        }
        assertEquals(0, trained.get());
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).trainingBackend(ok).build()) {
            FinetunedModel m = co.wait(co.finetuning().getFinetunedModel(id).finetunedModel(),
                    WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
            assertEquals(Status.STATUS_READY, m.status().orElseThrow());
            assertEquals(1, trained.get());
        }
    }

    @Test
    void eventsPageWithPageSizeAndToken(@TempDir Path dir) throws IOException {
        TrainingBackend ok = (job, ctx) -> {
            for (int i = 0; i < 7; i++) {
                ctx.event("step " + i);
            }
            return new TrainingBackend.Outcome(java.util.Map.of());
        };
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).trainingBackend(ok).build()) {
            Dataset d = chatDataset(co, dir);
            FinetunedModel m = waitFor(co, co.finetuning().createFinetunedModel(request(d.id(), BaseType.BASE_TYPE_CHAT)));
            String id = m.id().orElseThrow();
            List<Event> whole = co.finetuning().listEvents(id).events();
            List<Event> paged = new java.util.ArrayList<>();
            ListEventsRequest.Builder req = ListEventsRequest.builder().pageSize(3);
            while (true) {
                ListEventsResponse page = co.finetuning().listEvents(id, req.build());
                assertTrue(page.events().size() <= 3);
                paged.addAll(page.events());
                if (page.nextPageToken().isEmpty()) {
                    break;
                }
                req.pageToken(page.nextPageToken().get());
            }
            assertEquals(whole, paged);
            List<Event> oldestFirst = co.finetuning().listEvents(id, ListEventsRequest.builder().orderBy("created_at asc")
                    .pageSize(1000).build()).events();
            List<Event> reversed = new java.util.ArrayList<>(whole);
            java.util.Collections.reverse(reversed);
            assertEquals(reversed, oldestFirst);
            BadRequestException e = assertThrows(BadRequestException.class, () -> ListEventsRequest.builder().pageSize(0).build());
            assertTrue(e.getMessage().startsWith("page_size: 0 is outside the allowed range 1 to 1000"), e.getMessage());
            assertThrows(BadRequestException.class, () -> co.finetuning().listEvents(id, ListEventsRequest.builder().pageToken("x").build()));
        }
    }
}
