package dev.finetune.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.Strategy;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.jobs.LocalTrainingBackend;
import dev.finetune.jobs.LocalTrainingTest;
import dev.finetune.jobs.ShardedTraining;
import dev.finetune.jobs.TaskFinetuneTest;
import dev.finetune.heads.TaskHead;
import dev.finetune.kernel.Parallel;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.workspace.JobRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny GPT-2 chat fine-tune (LoRA, 12 conversations, batches of 4 in 3 gradient shards of 1, 1 and 2
 * examples, 6 steps, an evaluation and a checkpoint after each) on Spark {@code local[1]} and
 * {@code local[2]} ends with the local backend's weights, byte for byte; so does a run whose task fails
 * once mid-step, and a run whose driver stops after 3 steps and a new driver resumes.
 */
class SparkTrainingTest {
    static final int SHARDS = 3;
    static final WaitOptions WAIT = WaitOptions.timeout(Duration.ofSeconds(180)).interval(Duration.ofMillis(50));

    @TempDir
    static Path dir;
    static Path base;
    static Path chats;
    /** The local backend's run with the same shard count: the reference every Spark run must equal. */
    static Run reference;

    /** A finished fine-tune: its weight files (relative path to bytes) and its per-step training losses. */
    record Run(Map<String, byte[]> weights, List<Double> losses, Map<String, Double> metrics) {
    }

    @BeforeAll
    static void referenceRun() throws IOException {
        base = LocalTrainingTest.baseFolder(dir);
        chats = LocalTrainingTest.chatFile(dir);
        reference = viaClient("local", new LocalTrainingBackend(SHARDS, ShardedTraining.inProcess()));
        assertTrue(reference.metrics().get("cross_entropy") < reference.metrics().get("baseline_cross_entropy"),
                "the reference run learned nothing: " + reference.metrics());
        assertEquals(6, reference.losses().size());
    }

    static Hyperparameters hp() {
        return Hyperparameters.builder().trainEpochs(2).trainBatchSize(4).learningRate(0.01).loraRank(4).loraAlpha(16)
                .earlyStoppingPatience(0).seed(7).build();
    }

    static SparkTrainingBackend spark(String master) {
        return SparkTrainingBackend.builder().master(master).shards(SHARDS).conf("spark.ui.enabled", "false").build();
    }

    static FinetunedModel request(String datasetId) {
        return request(datasetId, base);
    }

    static FinetunedModel request(String datasetId, Path baseDir) {
        return FinetunedModel.builder().name("qa").settings(Settings.builder().baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT,
                baseDir.toString())).datasetId(datasetId).hyperparameters(hp()).build()).build();
    }

    /** The whole ClientV2 workflow on a fresh workspace with {@code backend}. */
    static Run viaClient(String name, TrainingBackend backend) throws IOException {
        return viaClient(name, backend, base);
    }

    static Run viaClient(String name, TrainingBackend backend, Path baseDir) throws IOException {
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws-" + name)).trainingBackend(backend).build()) {
            Dataset d = co.wait(co.datasets().create(chats, Optional.empty(), DatasetsCreateRequest.builder().name("qa")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).build()), WAIT);
            FinetunedModel done = waitDumping(co, co.finetuning().createFinetunedModel(request(d.id(), baseDir)).finetunedModel());
            assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
            String id = done.id().orElseThrow();
            List<Double> losses = new ArrayList<>();
            for (TrainingStepMetrics m : co.finetuning().listTrainingStepMetrics(id).stepMetrics()) {
                if (m.stepNumber() > 0) {
                    losses.add(m.metrics().get("train_loss"));
                }
            }
            return new Run(weights(co.finetuning().modelFolder(id)), losses, done.metrics().orElseThrow());
        }
    }

    /** Waits for the model; a timeout fails with every thread's stack (what a stuck job was doing). */
    static FinetunedModel waitDumping(ClientV2 co, FinetunedModel m) {
        try {
            return co.wait(m, WAIT);
        } catch (dev.finetune.WaitTimeoutException e) {
            StringBuilder sb = new StringBuilder("the fine-tune did not end within " + WAIT.timeout().orElseThrow() + "; threads:\n");
            Thread.getAllStackTraces().forEach((t, st) -> {
                sb.append(t.getName()).append(" ").append(t.getState()).append('\n');
                for (StackTraceElement el : st) {
                    sb.append("    at ").append(el).append('\n');
                }
            });
            co.finetuning().cancelFinetunedModel(m.id().orElseThrow());
            throw new AssertionError(sb.toString(), e);
        }
    }

    /** Every safetensors file under a model folder (the servable weights, the checkpoint, the kept checkpoints), by relative path. */
    static Map<String, byte[]> weights(Path modelDir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(modelDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList()) {
                out.put(modelDir.relativize(f).toString(), Files.readAllBytes(f));
            }
        }
        return out;
    }

    static void assertSameWeights(Run expected, Run actual) {
        assertEquals(expected.weights().keySet(), actual.weights().keySet());
        assertTrue(expected.weights().keySet().stream().anyMatch(k -> !k.contains("/")), "no servable weights: " + expected.weights().keySet());
        expected.weights().forEach((k, v) -> assertArrayEquals(v, actual.weights().get(k), k + " differs"));
    }

    @Test
    void local1AndLocal2EndBitIdenticalToTheLocalBackend() throws IOException {
        for (String master : List.of("local[1]", "local[2]")) {
            Run r = viaClient(master.replaceAll("\\W", ""), spark(master));
            assertSameWeights(reference, r);
            assertEquals(reference.losses(), r.losses(), master + ": per-step training losses");
            assertEquals(reference.metrics(), r.metrics(), master + ": evaluation metrics");
        }
    }

    @Test
    void oneShardPerStepEqualsThePlainLocalRun() throws IOException {
        Run plain = viaClient("plain", new LocalTrainingBackend());
        Run one = viaClient("one-shard", SparkTrainingBackend.builder().master("local[2]").shards(1)
                .conf("spark.ui.enabled", "false").build());
        assertSameWeights(plain, one);
        assertEquals(plain.losses(), one.losses(), "per-step training losses");
        assertEquals(plain.metrics(), one.metrics(), "evaluation metrics");
    }

    @Test
    void theShardCountIsPartOfTheNumbersNotTheEngine() throws IOException {
        // an unsharded local run sums its passes into one buffer: other floats (so the shard count must be the same to compare)
        Run unsharded = viaClient("unsharded", new LocalTrainingBackend());
        assertEquals(reference.weights().keySet(), unsharded.weights().keySet());
        assertFalse(java.util.Arrays.equals(reference.weights().get("adapter_model.safetensors"),
                unsharded.weights().get("adapter_model.safetensors")), "sharded and unsharded runs gave the same bytes");
    }

    @Test
    void aTaskThatFailsOnceMidStepIsRetriedAndTheResultIsUnchanged() throws IOException {
        SparkEngine.ShardTask.injectedFailures.set(0);
        SparkEngine.ShardTask.failStep = 2;
        SparkEngine.ShardTask.failShard = 1;
        try {
            // local[2,2]: two cores, a task may fail once (plain local[N] never retries)
            Run r = viaClient("retry", spark("local[2,2]"));
            assertEquals(1, SparkEngine.ShardTask.injectedFailures.get(), "the injected failure did not happen");
            assertSameWeights(reference, r);
            assertEquals(reference.losses(), r.losses());
        } finally {
            SparkEngine.ShardTask.failStep = -1;
            SparkEngine.ShardTask.failShard = -1;
        }
    }

    @Test
    void aBaseModelShippedByBroadcastGivesTheSameWeights() throws IOException {
        // a copy of the base at a path of its own, so that the workers are built from it (not from a model cached earlier)
        Path copy = Files.createDirectories(dir.resolve("shipped").resolve("tiny-base"));
        try (Stream<Path> files = Files.list(base)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Run local = viaClient("ship-local", new LocalTrainingBackend(SHARDS, ShardedTraining.inProcess()), copy);
        SparkEngine.ShardTask.shippedFolders.clear();
        Run shipped = viaClient("ship-spark", SparkTrainingBackend.builder().master("local[2]").shards(SHARDS).shipBaseModel(true)
                .conf("spark.ui.enabled", "false").build(), copy);
        assertFalse(SparkEngine.ShardTask.shippedFolders.isEmpty(), "no worker used a shipped base");
        for (Path f : SparkEngine.ShardTask.shippedFolders) {
            assertFalse(f.equals(copy), f.toString());
            assertTrue(Files.isRegularFile(f.resolve("model.safetensors")), f.toString());
        }
        assertSameWeights(local, shipped);
        assertEquals(local.losses(), shipped.losses());
    }

    /** A head task's run through ClientV2 with {@code backend}: its weight files. */
    static Map<String, byte[]> headRun(String name, TrainingBackend backend, Path baseDir, Path data, DatasetType type, BaseType baseType,
                                       Hyperparameters hp) throws IOException {
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws-" + name)).trainingBackend(backend).build()) {
            Dataset d = co.wait(co.datasets().create(data, Optional.empty(), DatasetsCreateRequest.builder().name(name).type(type).build()),
                    WAIT);
            FinetunedModel done = co.wait(co.finetuning().createFinetunedModel(FinetunedModel.builder().name(name)
                    .settings(Settings.builder().baseModel(BaseModel.of(baseType, baseDir.toString())).datasetId(d.id())
                            .hyperparameters(hp).build()).build()), WAIT);
            assertEquals(Status.STATUS_READY, done.status().orElseThrow(), done.failureReason().orElse(""));
            return weights(co.finetuning().modelFolder(done.id().orElseThrow()));
        }
    }

    @Test
    void classifyUnderFullFineTuningAndRerankUnderLoraMatchTheLocalBackendToo() throws IOException {
        Path heads = Files.createDirectories(dir.resolve("heads"));
        Path tiny = TaskFinetuneTest.tinyBase(heads);
        // multi-label classify, every weight training (the whole model broadcast, whole gradients back)
        Hyperparameters full = Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL).trainEpochs(1).trainBatchSize(16)
                .learningRate(0.003).earlyStoppingPatience(0).seed(5).build();
        Path labels = TaskFinetuneTest.multiLabelFile(heads);
        Map<String, byte[]> local = headRun("classify-local", new LocalTrainingBackend(SHARDS, ShardedTraining.inProcess()), tiny, labels,
                DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT, BaseType.BASE_TYPE_CLASSIFICATION, full);
        Map<String, byte[]> spark = headRun("classify-spark", spark("local[2]"), tiny, labels,
                DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT, BaseType.BASE_TYPE_CLASSIFICATION, full);
        assertSameWeights(new Run(local, List.of(), Map.of()), new Run(spark, List.of(), Map.of()));
        assertTrue(local.containsKey(TaskHead.FILE), local.keySet().toString());
        // rerank: groups drawn over the whole batch, cut into shards of whole groups
        Hyperparameters lora = Hyperparameters.builder().trainEpochs(1).trainBatchSize(16).learningRate(0.003)
                .earlyStoppingPatience(0).seed(5).build();
        Path queries = TaskFinetuneTest.rerankFile(heads); // 300 queries (the validator wants 256): 19 steps
        local = headRun("rerank-local", new LocalTrainingBackend(SHARDS, ShardedTraining.inProcess()), tiny, queries,
                DatasetType.RERANKER_FINETUNE_INPUT, BaseType.BASE_TYPE_RERANK, lora);
        spark = headRun("rerank-spark", spark("local[2]"), tiny, queries, DatasetType.RERANKER_FINETUNE_INPUT, BaseType.BASE_TYPE_RERANK,
                lora);
        assertSameWeights(new Run(local, List.of(), Map.of()), new Run(spark, List.of(), Map.of()));
    }

    /** A context that stops the job after {@code stopAt} steps (a driver that goes away), collecting the events. */
    static final class Driver implements TrainingBackend.Context {
        final int stopAt;
        final List<String> events = new CopyOnWriteArrayList<>();
        volatile int steps;

        Driver(int stopAt) {
            this.stopAt = stopAt;
        }

        @Override
        public void event(String message) {
            events.add(message);
        }

        @Override
        public void stepMetrics(int step, Map<String, Double> metrics) {
            steps = Math.max(steps, step);
        }

        @Override
        public void progress(int step, int total, String detail) {
        }

        @Override
        public boolean cancelled() {
            return steps >= stopAt;
        }

        @Override
        public Status status() {
            return Status.STATUS_FINETUNING;
        }
    }

    @Test
    void aRestartedDriverResumesFromTheCheckpointBitIdentical() throws Exception {
        Path ws = dir.resolve("ws-restart");
        Dataset d;
        try (ClientV2 co = ClientV2.builder().workspace(ws).runJobs(false).build()) {
            d = co.wait(co.datasets().create(chats, Optional.empty(), DatasetsCreateRequest.builder().name("qa")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).build()), WAIT);
        }
        Path modelDir = Files.createDirectories(ws.resolve("models").resolve("restarted"));
        TrainingBackend.Job job = JobRunner.job(request(d.id()), d, modelDir, ws.resolve("datasets").resolve(d.id()),
                ws.resolve("base-models"));
        Driver first = new Driver(3);
        spark("local[2]").train(job, first);
        assertEquals(3, first.steps);
        assertFalse(Files.exists(modelDir.resolve("adapter_model.safetensors")), "the stopped run wrote a final model");

        Driver second = new Driver(Integer.MAX_VALUE);
        spark("local[2]").train(job, second);
        assertTrue(second.events.stream().anyMatch(e -> e.startsWith("resumed from the checkpoint at step 3")), second.events.toString());
        assertEquals(6, second.steps);
        assertSameWeights(reference, new Run(weights(modelDir), List.of(), Map.of()));
    }

    /** A JVM for {@link #theWeightsDoNotDependOnTheKernelThreadCount}: the reference job, in workspace {@code ws-threads1} under args[0]. */
    public static void main(String[] args) throws IOException {
        dir = Path.of(args[0]);
        base = Path.of(args[1]);
        chats = Path.of(args[2]);
        viaClient("threads1", new LocalTrainingBackend(SHARDS, ShardedTraining.inProcess()));
    }

    @Test
    void theWeightsDoNotDependOnTheKernelThreadCount() throws Exception {
        assumeTrue(Parallel.threads() > 1, "this JVM has one kernel thread already");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-Dfinetune.threads=1"));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            cmd.add("--add-modules=jdk.incubator.vector");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SparkTrainingTest.class.getName(), dir.toString(),
                base.toString(), chats.toString()));
        Path log = dir.resolve("threads1.log");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the one-thread run did not end");
        assertEquals(0, child.exitValue(), Files.readString(log));
        List<Path> models;
        try (Stream<Path> s = Files.list(dir.resolve("ws-threads1").resolve("models"))) {
            models = s.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith(".")).toList();
        }
        assertEquals(1, models.size(), models.toString());
        assertSameWeights(reference, new Run(weights(models.get(0)), List.of(), Map.of()));
    }

    @Test
    void serviceLoaderPicksSparkOnlyWhenSparkMasterIsSet() {
        String before = System.getProperty("spark.master");
        try {
            System.clearProperty("spark.master");
            try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws-sl1")).runJobs(false).build()) {
                assertFalse("spark".equals(co.runtime().get("training_backend")), co.runtime().toString());
            }
            System.setProperty("spark.master", "local[2]");
            try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws-sl2")).runJobs(false).build()) {
                assertEquals("spark", co.runtime().get("training_backend"), co.runtime().toString());
                assertEquals("local[2]", co.runtime().get("spark_master"));
            }
        } finally {
            if (before == null) {
                System.clearProperty("spark.master");
            } else {
                System.setProperty("spark.master", before);
            }
        }
    }
}
