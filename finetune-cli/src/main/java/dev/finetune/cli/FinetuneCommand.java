package dev.finetune.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.ClientV2;
import dev.finetune.FinetuneException;
import dev.finetune.WaitOptions;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Event;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.FinetuningFailedException;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.ListEventsRequest;
import dev.finetune.finetuning.ListEventsResponse;
import dev.finetune.finetuning.ListFinetunedModelsRequest;
import dev.finetune.finetuning.ListFinetunedModelsResponse;
import dev.finetune.finetuning.ListTrainingStepMetricsRequest;
import dev.finetune.finetuning.ListTrainingStepMetricsResponse;
import dev.finetune.finetuning.LoraTargetModules;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.Strategy;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.finetuning.WandbConfig;
import dev.finetune.json.Json;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code finetune finetune create|estimate|list|get|events|metrics|checkpoints|report|cancel|delete|wait|preview}: fine-tuned models in the
 * workspace. Only {@code create --wait} and {@code wait} train (and open the workspace with a job
 * runner); the others only read or queue.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true, description = "Create and inspect fine-tuned models.",
        subcommands = {FinetuneCommand.Create.class, FinetuneCommand.ListCmd.class, FinetuneCommand.Get.class,
                FinetuneCommand.Events.class, FinetuneCommand.Metrics.class, FinetuneCommand.Cancel.class,
                FinetuneCommand.Delete.class, FinetuneCommand.Wait.class, FinetunePreviewCommand.class, EstimateCmd.class,
                ReportCommand.class, CheckpointsCommand.class})
public final class FinetuneCommand implements Runnable {
    /** How often {@code --wait} and {@code wait} look at the model's status. */
    static final Duration POLL = Duration.ofMillis(200);

    @Spec
    CommandSpec spec;

    @Mixin
    WorkspaceOption workspace;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The workspace for a command that only reads or queues: no job runner, nothing trains. */
    ClientV2 open() {
        return workspace.open(false);
    }

    static String bare(String id) {
        return id.endsWith("-ft") ? id.substring(0, id.length() - 3) : id;
    }

    static void printModel(PrintWriter out, FinetunedModel m, boolean json) throws Exception {
        if (json) {
            out.println(Json.prettyWriter().writeValueAsString(m));
            return;
        }
        out.printf("%s  %s  %s  base=%s%s  dataset=%s%n", m.id().orElse("?"), m.status().map(Object::toString).orElse("?"),
                m.name(), m.settings().baseModel().baseType(), m.settings().baseModel().name().map(n -> ":" + n).orElse(""),
                m.settings().datasetId());
        m.failureReason().ifPresent(r -> out.println("  failure: " + r));
        m.metrics().ifPresent(mm -> {
            java.util.List<Pill> pills = Pill.of(mm);
            if (!pills.isEmpty()) {
                out.println("  before -> after (change, 95% interval, verdict):");
                pills.forEach(p -> out.println("    " + p));
            }
            mm.forEach((k, v) -> {
                if (!Pill.isPillKey(k)) {
                    out.printf("  %-24s %.4f%n", k, v);
                }
            });
        });
    }

    /**
     * Trains in this process until {@code id} is terminal and prints it; exit 0 when ready, 1 when it
     * failed or was cancelled. Progress goes to standard output, or to standard error with {@code --json}.
     */
    static int trainUntilDone(TrainingClient tc, String id, Function<String, String> labels, CommandSpec spec, boolean json)
            throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainingClient.Bars bars = new TrainingClient.Bars(json ? err : out, labels);
        tc.co.finetuning().addListener(bars);
        FinetunedModel done;
        try {
            done = tc.co.wait(tc.co.finetuning().getFinetunedModel(id).finetunedModel(), WaitOptions.defaults().interval(POLL));
        } catch (FinetuningFailedException e) {
            done = e.finetunedModel();
        }
        bars.done();
        printModel(out, done, json);
        out.flush();
        Status st = done.status().orElse(Status.STATUS_UNSPECIFIED);
        if (!st.equals(Status.STATUS_READY)) {
            err.println("error: fine-tuned model " + id + " ended " + st + done.failureReason().map(r -> ": " + r).orElse(""));
            err.flush();
            return 1;
        }
        return 0;
    }

    /** Runs a list request built from the command's flags; a bad page size or token is a usage error (exit 2). */
    static <T> T request(CommandSpec spec, Supplier<T> build) {
        try {
            return build.get();
        } catch (FinetuneException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** The options of a fine-tune request, shared by {@code create} and {@code estimate}. */
    abstract static class RequestOptions implements Callable<Integer> {
        /** Where the W&B API key is read from (the WANDB_API_KEY variable); tests replace it. */
        static Function<String, String> environment = System::getenv;

        @ParentCommand
        FinetuneCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "the fine-tuned model's name")
        String name;
        @Option(names = "--base-model", required = true, paramLabel = "TYPE[:NAME]",
                description = "base type (chat, generative, rerank, classification or BASE_TYPE_*), optionally :NAME, "
                        + "e.g. chat or chat:base-light or generative:/path/to/gpt2-folder or chat:ORG/NAME[@REVISION] (a HuggingFace Hub "
                        + "model, downloaded once into the hub cache)")
        String baseModel;
        @Option(names = "--dataset-id", required = true, paramLabel = "ID",
                description = "a validated dataset whose type fits the base type")
        String datasetId;
        @Option(names = "--epochs", paramLabel = "N",
                description = "train_epochs, 1 to 10 (default " + Hyperparameters.DEFAULT_EPOCHS + ")")
        Integer epochs;
        @Option(names = "--learning-rate", paramLabel = "LR",
                description = "learning_rate, 0.00005 to 0.1 (default " + Hyperparameters.DEFAULT_LEARNING_RATE
                        + ", a LoRA rate; full fine-tuning wants about 1e-4)")
        Double learningRate;
        @Option(names = "--batch-size", paramLabel = "N",
                description = "train_batch_size, 2 to 16 (default " + Hyperparameters.DEFAULT_BATCH_SIZE + ")")
        Integer batchSize;
        @Option(names = "--early-stopping-threshold", paramLabel = "X",
                description = "early_stopping_threshold: the smallest eval-loss improvement that counts, 0.001 to 0.1 "
                        + "(default " + Hyperparameters.DEFAULT_EARLY_STOPPING_THRESHOLD + ")")
        Double threshold;
        @Option(names = "--early-stopping-patience", paramLabel = "N",
                description = "early_stopping_patience: evaluations without improvement before stopping, 0 to 10; "
                        + "0 turns early stopping off (default " + Hyperparameters.DEFAULT_EARLY_STOPPING_PATIENCE + ")")
        Integer patience;
        @Option(names = "--lora-rank", paramLabel = "R",
                description = "lora_rank, 1 to 32 (default " + Hyperparameters.DEFAULT_LORA_RANK + ")")
        Integer loraRank;
        @Option(names = "--lora-alpha", paramLabel = "A",
                description = "lora_alpha, 1 to 128; the scale is alpha / rank (default " + Hyperparameters.DEFAULT_LORA_ALPHA + ")")
        Integer loraAlpha;
        @Option(names = "--lora-target-modules", paramLabel = "MODULES",
                converter = HyperparameterConverters.LoraTargetModulesConverter.class,
                description = "layers LoRA adapts: LORA_TARGET_MODULES_QV (or qv: attention query and value), "
                        + "LORA_TARGET_MODULES_QKVO (qkvo: query, key, value, output) or LORA_TARGET_MODULES_QKVO_FFN "
                        + "(qkvo_ffn: those and the MLP); default QV")
        LoraTargetModules loraTargetModules;
        @Option(names = "--seed", paramLabel = "N", description = "seed of the initialization and the data order (default 0)")
        Long seed;
        @Option(names = "--strategy", paramLabel = "STRATEGY", converter = HyperparameterConverters.StrategyConverter.class,
                description = "STRATEGY_LORA (or lora: LoRA adapters, the default) or STRATEGY_FULL (or full: every weight)")
        Strategy strategy;
        @Option(names = "--full", description = "full fine-tuning of every weight: the same as --strategy STRATEGY_FULL")
        boolean full;
        @Option(names = "--wandb-project", paramLabel = "PROJECT",
                description = "Weights & Biases project; the API key comes from the WANDB_API_KEY environment variable, "
                        + "never from a flag. This build does not upload: the model's events name the TensorBoard "
                        + "folder and the wandb sync command that uploads it.")
        String wandbProject;
        @Option(names = "--wandb-entity", paramLabel = "ENTITY", description = "Weights & Biases entity (with --wandb-project)")
        String wandbEntity;
        @Option(names = "--json", description = "print JSON (the model, or the estimate); progress, with --wait, goes to standard error")
        boolean json;

        FinetunedModel request() {
            String[] parts = baseModel.split(":", 2);
            String t = parts[0].strip().toUpperCase(java.util.Locale.ROOT);
            BaseType type = t.isEmpty() ? null : BaseType.valueOf(t.startsWith("BASE_TYPE_") ? t : "BASE_TYPE_" + t);
            if (type == null || !type.isKnown()) {
                throw new ParameterException(spec.commandLine(), "--base-model: unknown base type '" + parts[0]
                        + "' (chat, generative, rerank, classification)");
            }
            if (full && strategy != null && !strategy.equals(Strategy.STRATEGY_FULL)) {
                throw new ParameterException(spec.commandLine(), "--full contradicts --strategy " + strategy);
            }
            Hyperparameters.Builder h = Hyperparameters.builder();
            if (epochs != null) h.trainEpochs(epochs);
            if (learningRate != null) h.learningRate(learningRate);
            if (batchSize != null) h.trainBatchSize(batchSize);
            if (threshold != null) h.earlyStoppingThreshold(threshold);
            if (patience != null) h.earlyStoppingPatience(patience);
            if (loraRank != null) h.loraRank(loraRank);
            if (loraAlpha != null) h.loraAlpha(loraAlpha);
            if (loraTargetModules != null) h.loraTargetModules(loraTargetModules);
            if (seed != null) h.seed(seed);
            if (full) h.strategy(Strategy.STRATEGY_FULL);
            else if (strategy != null) h.strategy(strategy);
            Settings.Builder s = Settings.builder()
                    .baseModel(parts.length > 1 ? BaseModel.of(type, parts[1]) : BaseModel.of(type)).datasetId(datasetId)
                    .hyperparameters(h.build());
            wandb().ifPresent(s::wandb);
            return FinetunedModel.builder().name(name).settings(s.build()).build();
        }

        private Optional<WandbConfig> wandb() {
            if (wandbProject == null) {
                if (wandbEntity != null) {
                    throw new ParameterException(spec.commandLine(), "--wandb-entity needs --wandb-project");
                }
                return Optional.empty();
            }
            String key = environment.apply("WANDB_API_KEY");
            if (key == null || key.isBlank()) {
                throw new ParameterException(spec.commandLine(), "--wandb-project needs the API key in the WANDB_API_KEY "
                        + "environment variable (it is never taken from the command line)");
            }
            WandbConfig.Builder w = WandbConfig.builder().project(wandbProject).apiKey(key);
            if (wandbEntity != null) {
                w.entity(wandbEntity);
            }
            return Optional.of(w.build());
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Queue a fine-tune; with --wait, print its estimate, then train it in this process with a progress bar.",
                    "Without --wait it stays STATUS_QUEUED until a command that trains opens the workspace: "
                            + "./finetune finetune wait ID. A process that trains (--wait, finetune wait, demo) also "
                            + "resumes every other queued or interrupted fine-tune of the workspace."})
    static final class Create extends RequestOptions {
        @Option(names = "--wait", description = "train in this process until the fine-tune ends, with a progress bar "
                + "(the estimate first); exit 0 when ready, 1 when it failed or was cancelled")
        boolean waitFor;
        @Option(names = "--spark-master", paramLabel = "URL", description = "train on Apache Spark (local[N], spark://HOST:7077, "
                + "yarn): this process is the driver, each step's gradient shards run as Spark tasks; implies --wait. Needs "
                + "Spark 4.0 on the class path (SPARK_HOME=DIR ./finetune ..., or spark-submit)")
        String sparkMaster;
        @Option(names = "--gradient-shards", paramLabel = "N", description = "with --spark-master: gradient shards per step, "
                + "each a Spark task (default 1: the same weights as this command without --spark-master, bit for bit); with N > 1, "
                + "a local run with FINETUNE_JAVA_OPTS=-Dfinetune.gradientShards=N ends with the same weights")
        Integer gradientShards;

        @Override
        public Integer call() throws Exception {
            FinetunedModel req = request();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (gradientShards != null && sparkMaster == null) {
                throw new ParameterException(spec.commandLine(), "--gradient-shards needs --spark-master");
            }
            if (sparkMaster != null) {
                dev.finetune.spark.SparkTrainingBackend.requireSpark();
                dev.finetune.spark.SparkTrainingBackend.Builder b = dev.finetune.spark.SparkTrainingBackend.builder().master(sparkMaster);
                if (gradientShards != null) {
                    try {
                        b.shards(gradientShards);
                    } catch (IllegalArgumentException e) {
                        throw new ParameterException(spec.commandLine(), "--gradient-shards: " + e.getMessage());
                    }
                }
                try (TrainingClient tc = TrainingClient.open(parent.workspace.builder(true).trainingBackend(b.build()), err)) {
                    return trainHere(tc, req, out, err);
                }
            }
            if (!waitFor) {
                try (ClientV2 co = parent.open()) {
                    FinetunedModel m = co.finetuning().createFinetunedModel(req).finetunedModel();
                    printModel(out, m, json);
                    String hint = "queued; it trains when a command that trains opens this workspace; to train it now: "
                            + "./finetune finetune wait " + m.id().orElseThrow();
                    (json ? err : out).println(hint);
                }
                out.flush();
                err.flush();
                return 0;
            }
            try (TrainingClient tc = TrainingClient.open(parent.workspace, err)) {
                return trainHere(tc, req, out, err);
            }
        }

        private int trainHere(TrainingClient tc, FinetunedModel req, PrintWriter out, PrintWriter err) throws Exception {
            if (!json) {
                EstimateCmd.print(out, tc.co.finetuning().estimate(req));
                out.flush();
            }
            FinetunedModel m = tc.co.finetuning().createFinetunedModel(req).finetunedModel();
            String id = m.id().orElseThrow();
            (json ? err : out).println(id + " queued; training in this process (if it stops, continue with "
                    + "./finetune finetune wait " + id + (sparkMaster != null ? " --spark-master " + sparkMaster : "") + ")");
            (json ? err : out).flush();
            return trainUntilDone(tc, id, x -> x.equals(id) ? "fine-tuning " + name : "fine-tuning " + x + " (queued earlier)",
                    spec, json);
        }
    }

    @Command(name = "wait", mixinStandardHelpOptions = true,
            description = {"Train in this process until fine-tuned model ID ends, with a progress bar; exit 0 when "
                    + "ready, 1 when it failed or was cancelled.",
                    "Opens the workspace with a job runner, which resumes every queued or interrupted fine-tune of it "
                            + "(earlier ones first), e.g. a job whose process was killed: it continues from its last checkpoint."})
    static final class Wait implements Callable<Integer> {
        @ParentCommand
        FinetuneCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "the fine-tuned model's id (ID or ID-ft)")
        String id;
        @Option(names = "--json", description = "print the model's JSON at the end (progress goes to standard error)")
        boolean json;
        @Option(names = "--spark-master", paramLabel = "URL", description = "train (or resume) on Apache Spark, as "
                + "finetune create --spark-master; the same --gradient-shards as the job started with keeps its numbers")
        String sparkMaster;
        @Option(names = "--gradient-shards", paramLabel = "N", description = "with --spark-master: gradient shards per step (default 1)")
        Integer gradientShards;

        @Override
        public Integer call() throws Exception {
            String bare = bare(id);
            if (gradientShards != null && sparkMaster == null) {
                throw new ParameterException(spec.commandLine(), "--gradient-shards needs --spark-master");
            }
            ClientV2.Builder builder = parent.workspace.builder(true);
            if (sparkMaster != null) {
                dev.finetune.spark.SparkTrainingBackend.requireSpark();
                builder.trainingBackend(dev.finetune.spark.SparkTrainingBackend.builder().master(sparkMaster)
                        .shards(gradientShards != null ? gradientShards : dev.finetune.spark.SparkTrainingBackend.DEFAULT_SHARDS).build());
            }
            try (TrainingClient tc = TrainingClient.open(builder, spec.commandLine().getErr())) {
                String name = tc.co.finetuning().getFinetunedModel(bare).finetunedModel().name();
                return trainUntilDone(tc, bare, x -> x.equals(bare) ? "fine-tuning " + name : "fine-tuning " + x + " (queued earlier)",
                        spec, json);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List fine-tuned models, newest first: every page, or one page with --page-size/--page-token.")
    static final class ListCmd implements Callable<Integer> {
        @ParentCommand
        FinetuneCommand parent;
        @Spec
        CommandSpec spec;
        @Option(names = "--json", description = "print the list response's JSON")
        boolean json;
        @Option(names = "--page-size", paramLabel = "N",
                description = "print one page of at most N models, 1 to " + ListFinetunedModelsRequest.MAX_PAGE_SIZE
                        + " (with --page-token alone: " + ListFinetunedModelsRequest.DEFAULT_PAGE_SIZE + ")")
        Integer pageSize;
        @Option(names = "--page-token", paramLabel = "TOKEN", description = "print the page that starts here: a next_page_token")
        String pageToken;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (ClientV2 co = parent.open()) {
                ListFinetunedModelsResponse r;
                if (pageSize == null && pageToken == null) {
                    List<FinetunedModel> all = DemoCommand.allModels(co);
                    r = new ListFinetunedModelsResponse(all, Optional.empty(), all.size());
                } else {
                    ListFinetunedModelsRequest req = request(spec, () -> ListFinetunedModelsRequest.builder()
                            .pageSize(pageSize == null ? ListFinetunedModelsRequest.DEFAULT_PAGE_SIZE : pageSize)
                            .pageToken(pageToken).build());
                    r = co.finetuning().listFinetunedModels(req);
                }
                if (json) {
                    out.println(Json.prettyWriter().writeValueAsString(r));
                } else {
                    for (FinetunedModel m : r.finetunedModels()) {
                        printModel(out, m, false);
                    }
                    r.nextPageToken().ifPresent(t -> out.println("next page: --page-token " + t));
                }
            }
            out.flush();
            return 0;
        }
    }

    abstract static class ById implements Callable<Integer> {
        @ParentCommand
        FinetuneCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "the fine-tuned model's id (ID or ID-ft)")
        String id;
        @Option(names = "--json", description = "print JSON")
        boolean json;

        abstract void run(ClientV2 co, PrintWriter out) throws Exception;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            id = bare(id);
            try (ClientV2 co = parent.open()) {
                run(co, out);
            }
            out.flush();
            return 0;
        }
    }

    /** A ById command for a paged list: every page, or the one that {@code --page-size}/{@code --page-token} name. */
    abstract static class PagedById extends ById {
        @Option(names = "--page-size", paramLabel = "N", description = "print one page of at most N items")
        Integer pageSize;
        @Option(names = "--page-token", paramLabel = "TOKEN", description = "print the page that starts here: a next_page_token")
        String pageToken;

        boolean onePage() {
            return pageSize != null || pageToken != null;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a fine-tuned model.")
    static final class Get extends ById {
        @Override
        void run(ClientV2 co, PrintWriter out) throws Exception {
            FinetunedModel m = co.finetuning().getFinetunedModel(id).finetunedModel();
            printModel(out, m, json);
            if (!json && m.status().map(st -> !st.isTerminal()).orElse(false)) {
                co.finetuning().jobEstimate(id).flatMap(dev.finetune.finetuning.Estimate::estimatedFinish)
                        .ifPresent(f -> out.println("  estimated_finish         " + f));
            }
        }
    }

    @Command(name = "events", mixinStandardHelpOptions = true,
            description = "A fine-tune's events, newest first: every page, or one page with --page-size/--page-token.")
    static final class Events extends PagedById {
        @Override
        void run(ClientV2 co, PrintWriter out) throws Exception {
            ListEventsResponse r;
            if (onePage()) {
                r = co.finetuning().listEvents(id, request(spec, () -> ListEventsRequest.builder()
                        .pageSize(pageSize == null ? ListEventsRequest.DEFAULT_PAGE_SIZE : pageSize).pageToken(pageToken).build()));
            } else {
                List<Event> all = new ArrayList<>();
                ListEventsRequest.Builder req = ListEventsRequest.builder().pageSize(ListEventsRequest.MAX_PAGE_SIZE);
                ListEventsResponse page;
                do {
                    page = co.finetuning().listEvents(id, req.build());
                    all.addAll(page.events());
                    page.nextPageToken().ifPresent(req::pageToken);
                } while (page.nextPageToken().isPresent());
                r = new ListEventsResponse(all, Optional.empty(), all.size());
            }
            if (json) {
                out.println(Json.prettyWriter().writeValueAsString(r));
                return;
            }
            for (Event e : r.events()) {
                out.printf("%s  %-20s %s%n", e.createdAt(), e.status(), e.message().orElse(""));
            }
            r.nextPageToken().ifPresent(t -> out.println("next page: --page-token " + t));
        }
    }

    @Command(name = "metrics", mixinStandardHelpOptions = true,
            description = "A fine-tune's step metrics, in step order: every page, or one page with --page-size/--page-token.")
    static final class Metrics extends PagedById {
        @Override
        void run(ClientV2 co, PrintWriter out) throws Exception {
            ListTrainingStepMetricsResponse r;
            if (onePage()) {
                r = co.finetuning().listTrainingStepMetrics(id, request(spec, () -> ListTrainingStepMetricsRequest.builder()
                        .pageSize(pageSize == null ? ListTrainingStepMetricsRequest.DEFAULT_PAGE_SIZE : pageSize)
                        .pageToken(pageToken).build()));
            } else {
                List<TrainingStepMetrics> all = new ArrayList<>();
                ListTrainingStepMetricsRequest.Builder req = ListTrainingStepMetricsRequest.builder()
                        .pageSize(ListTrainingStepMetricsRequest.MAX_PAGE_SIZE);
                ListTrainingStepMetricsResponse page;
                do {
                    page = co.finetuning().listTrainingStepMetrics(id, req.build());
                    all.addAll(page.stepMetrics());
                    page.nextPageToken().ifPresent(req::pageToken);
                } while (page.nextPageToken().isPresent());
                r = new ListTrainingStepMetricsResponse(all, Optional.empty());
            }
            if (json) {
                out.println(Json.prettyWriter().writeValueAsString(r));
                return;
            }
            for (TrainingStepMetrics m : r.stepMetrics()) {
                StringBuilder sb = new StringBuilder();
                for (Map.Entry<String, Double> e : m.metrics().entrySet()) {
                    sb.append(String.format("  %s=%.4g", e.getKey(), e.getValue()));
                }
                out.printf("step %5d%s%n", m.stepNumber(), sb);
            }
            r.nextPageToken().ifPresent(t -> out.println("next page: --page-token " + t));
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a queued or running fine-tune.")
    static final class Cancel extends ById {
        @Override
        void run(ClientV2 co, PrintWriter out) throws Exception {
            printModel(out, co.finetuning().cancelFinetunedModel(id).finetunedModel(), json);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a fine-tuned model and its files.")
    static final class Delete extends ById {
        @Override
        void run(ClientV2 co, PrintWriter out) throws Exception {
            co.finetuning().deleteFinetunedModel(id);
            if (json) {
                ObjectNode o = Json.object();
                o.put("id", id);
                o.put("deleted", true);
                out.println(Json.prettyWriter().writeValueAsString(o));
            } else {
                out.println("deleted " + id);
            }
        }
    }
}
