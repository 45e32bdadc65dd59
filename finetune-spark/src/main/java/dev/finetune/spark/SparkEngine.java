package dev.finetune.spark;

import dev.finetune.FinetuneException;
import dev.finetune.jobs.LocalTrainingBackend;
import dev.finetune.jobs.ShardedTraining;
import java.io.Serializable;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ShardedTraining.Engine} on Spark: per step, the trainable weights go out as one broadcast,
 * each shard is one task (a partition of one element), and the results come back with {@code collect}
 * and are handed on in shard order. The job's {@link ShardedTraining.WorkerSpec} is broadcast once; each
 * task borrows a worker of its executor's pool for it ({@link ShardedTraining.Worker#borrow}).
 */
final class SparkEngine implements ShardedTraining.Engine, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SparkEngine.class);
    private static final String OWNER = "spark.finetune.owner";

    private final JavaSparkContext sc;
    private final boolean owned;
    private final boolean shipBase;
    private final List<Broadcast<?>> broadcasts = new ArrayList<>();

    private SparkEngine(SparkContext sc, boolean owned, boolean shipBase) {
        this.sc = JavaSparkContext.fromSparkContext(sc);
        this.owned = owned;
        this.shipBase = shipBase;
    }

    /**
     * The running Spark application of this JVM, or a new one on {@code master} (null: {@code spark.master}
     * from the Spark configuration) with {@code settings}; {@code shipBase} null ships the base model
     * unless the master is {@code local}.
     */
    static SparkEngine start(String master, Map<String, String> settings, Boolean shipBase) {
        SparkConf conf = new SparkConf(); // reads the spark.* system properties (spark-submit's)
        if (master != null) {
            conf.setMaster(master);
        }
        if (!conf.contains("spark.master")) {
            throw new FinetuneException("no Spark master: give one (--spark-master URL, SparkTrainingBackend.builder().master(url)) "
                    + "or run under spark-submit --master URL");
        }
        conf.setIfMissing("spark.app.name", "finetune");
        settings.forEach(conf::set);
        String m = conf.get("spark.master");
        if (m.startsWith("local")) {
            // an in-process cluster: its driver and block manager listen on the loopback only
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        } else {
            shippedJar().ifPresent(jar -> conf.setIfMissing("spark.jars", jar));
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
                // the executors must compute with the driver's kernel (the worker checks it)
                conf.setIfMissing("spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector");
            }
        }
        // every step collects one gradient per shard: the driver holds them all anyway (full fine-tuning: large)
        conf.setIfMissing("spark.driver.maxResultSize", "0");
        String token = UUID.randomUUID().toString();
        conf.set(OWNER, token);
        SparkContext ctx;
        try {
            ctx = SparkContext.getOrCreate(conf);
        } catch (RuntimeException e) {
            throw new FinetuneException("cannot start Spark on master " + m + ": " + e.getMessage(), e);
        }
        boolean owned = token.equals(ctx.getConf().get(OWNER, ""));
        if (!owned && master != null && !master.equals(ctx.master())) {
            LOG.warn("a Spark application on master {} is already running in this JVM: training there, not on {}", ctx.master(), master);
        }
        return new SparkEngine(ctx, owned, shipBase != null ? shipBase : !ctx.master().startsWith("local"));
    }

    /**
     * The jar to ship to a cluster's executors when it holds the whole of finetune (the CLI's shaded
     * jar); under spark-submit the application jar is shipped already.
     */
    private static java.util.Optional<String> shippedJar() {
        CodeSource here = SparkEngine.class.getProtectionDomain().getCodeSource();
        CodeSource train = LocalTrainingBackend.class.getProtectionDomain().getCodeSource();
        if (here == null || train == null || !here.getLocation().equals(train.getLocation())) {
            return java.util.Optional.empty();
        }
        try {
            Path p = Path.of(here.getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? java.util.Optional.of(p.toString()) : java.util.Optional.empty();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    String describe() {
        return "master " + sc.master() + ", default parallelism " + sc.defaultParallelism()
                + (owned ? "" : ", in the Spark application already running")
                + (shipBase ? ", the base model shipped to the executors" : ", the executors read the base model at the driver's path");
    }

    @Override
    public ShardedTraining.Session open(ShardedTraining.WorkerSpec spec, ShardedTraining.Worker local) throws java.io.IOException {
        Broadcast<ShardedTraining.WorkerSpec> job = keep(sc.broadcast(spec));
        Broadcast<BaseFiles> base = shipBase ? keep(sc.broadcast(BaseFiles.read(Path.of(spec.baseDir())))) : null;
        return (step, weights, shards, inOrder) -> {
            Broadcast<float[]> w = sc.broadcast(weights.get());
            try {
                List<IndexedShard> items = new ArrayList<>(shards.size());
                for (int i = 0; i < shards.size(); i++) {
                    items.add(new IndexedShard(i, shards.get(i)));
                }
                sc.setJobDescription("finetune step " + (step + 1) + ": " + shards.size() + " gradient shards");
                List<ShardedTraining.Result> results = new ArrayList<>(
                        sc.parallelize(items, items.size()).map(new ShardTask(job, base, w, step)).collect());
                results.sort(Comparator.comparingInt(ShardedTraining.Result::index));
                results.forEach(inOrder);
            } finally {
                w.destroy();
            }
        };
    }

    private <T> Broadcast<T> keep(Broadcast<T> b) {
        broadcasts.add(b);
        return b;
    }

    /** Releases the job's broadcasts and stops the Spark application when this engine started it. */
    @Override
    public void close() {
        for (Broadcast<?> b : broadcasts) {
            try {
                b.destroy();
            } catch (RuntimeException e) {
                LOG.debug("broadcast {} not destroyed: {}", b.id(), e.toString());
            }
        }
        broadcasts.clear();
        if (owned) {
            sc.stop();
        }
    }

    /** A base model folder's files (name to bytes), shipped to the executors with the job. */
    record BaseFiles(Map<String, byte[]> files) implements Serializable {
        static BaseFiles read(Path dir) throws java.io.IOException {
            Map<String, byte[]> files = new java.util.TreeMap<>();
            try (java.util.stream.Stream<Path> list = Files.list(dir)) {
                for (Path f : list.filter(Files::isRegularFile).toList()) {
                    files.put(f.getFileName().toString(), Files.readAllBytes(f));
                }
            }
            return new BaseFiles(files);
        }
    }

    /** Where this executor JVM wrote each shipped base model (by the driver's base key), written once. */
    private static final java.util.concurrent.ConcurrentHashMap<String, Path> SHIPPED = new java.util.concurrent.ConcurrentHashMap<>();

    /** The folder holding the shipped copy of {@code spec}'s base model in this JVM. */
    static Path shippedBase(ShardedTraining.WorkerSpec spec, BaseFiles files) {
        return SHIPPED.computeIfAbsent(spec.baseKey(), k -> {
            try {
                Path dir = Files.createTempDirectory("finetune-base-");
                for (Map.Entry<String, byte[]> f : files.files().entrySet()) {
                    Files.write(dir.resolve(f.getKey()), f.getValue());
                    dir.resolve(f.getKey()).toFile().deleteOnExit();
                }
                dir.toFile().deleteOnExit();
                return dir;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot write the shipped base model to a temporary folder", e);
            }
        });
    }

    /** A shard and its place in the step. */
    record IndexedShard(int index, ShardedTraining.Shard shard) implements Serializable {
    }

    /** One Spark task: the gradient of one shard on a worker of this executor. */
    static final class ShardTask implements Function<IndexedShard, ShardedTraining.Result> {
        /** Test hook: the first attempt of shard {@link #failShard} of step {@link #failStep} (0-based) throws. */
        static volatile int failStep = -1;
        static volatile int failShard = -1;
        static final AtomicInteger injectedFailures = new AtomicInteger();

        /** Test hook: the base model folders workers of this JVM were built from with a shipped base. */
        static final java.util.Set<Path> shippedFolders = java.util.concurrent.ConcurrentHashMap.newKeySet();

        private final Broadcast<ShardedTraining.WorkerSpec> job;
        private final Broadcast<BaseFiles> base;
        private final Broadcast<float[]> weights;
        private final int step;

        ShardTask(Broadcast<ShardedTraining.WorkerSpec> job, Broadcast<BaseFiles> base, Broadcast<float[]> weights, int step) {
            this.job = job;
            this.base = base;
            this.weights = weights;
            this.step = step;
        }

        @Override
        public ShardedTraining.Result call(IndexedShard s) {
            TaskContext tc = TaskContext.get();
            if (step == failStep && s.index() == failShard && tc != null && tc.attemptNumber() == 0) {
                injectedFailures.incrementAndGet();
                throw new IllegalStateException("injected failure of step " + (step + 1) + " shard " + s.index() + ", attempt 0");
            }
            ShardedTraining.WorkerSpec spec = job.value();
            if (base != null) {
                Path dir = shippedBase(spec, base.value());
                shippedFolders.add(dir);
                spec = spec.withBaseDir(dir.toString());
            }
            ShardedTraining.Worker w = ShardedTraining.Worker.borrow(spec);
            try {
                return w.run(s.index(), weights.value(), s.shard());
            } finally {
                ShardedTraining.Worker.giveBack(spec, w);
            }
        }
    }
}
