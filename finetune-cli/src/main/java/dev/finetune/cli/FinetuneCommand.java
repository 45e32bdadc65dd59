package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Event;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Strategy;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.json.Json;
import dev.finetune.workspace.Workspace;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code finetune finetune create|estimate|list|get|events|metrics|checkpoints|report|cancel|delete}: fine-tuned models in the workspace. */
@Command(name = "finetune", mixinStandardHelpOptions = true, description = "Create and inspect fine-tuned models.",
        subcommands = {FinetuneCommand.Create.class, FinetuneCommand.ListCmd.class, FinetuneCommand.Get.class,
                FinetuneCommand.Events.class, FinetuneCommand.Metrics.class, FinetuneCommand.Cancel.class,
                FinetuneCommand.Delete.class, EstimateCmd.class, ReportCommand.class,
                CheckpointsCommand.class})
public final class FinetuneCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--workspace", paramLabel = "DIR", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "workspace (default $FINETUNE_HOME or ~/.finetune)")
    Path workspace;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    ClientV2 open() {
        return ClientV2.builder().workspace(workspace == null ? Workspace.defaultRoot() : workspace).build();
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

    /** The options of a fine-tune request, shared by {@code create} and {@code estimate}. */
    abstract static class RequestOptions implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        FinetuneCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--name", required = true) String name;
        @Option(names = "--base-model", required = true,
                description = "base type (chat, generative, rerank, classification or BASE_TYPE_*), optionally :NAME, "
                        + "e.g. chat or chat:base-light or generative:/path/to/gpt2-folder")
        String baseModel;
        @Option(names = "--dataset-id", required = true) String datasetId;
        @Option(names = "--epochs") Integer epochs;
        @Option(names = "--learning-rate") Double learningRate;
        @Option(names = "--batch-size") Integer batchSize;
        @Option(names = "--early-stopping-threshold") Double threshold;
        @Option(names = "--early-stopping-patience") Integer patience;
        @Option(names = "--lora-rank") Integer loraRank;
        @Option(names = "--lora-alpha") Integer loraAlpha;
        @Option(names = "--seed") Long seed;
        @Option(names = "--full", description = "full fine-tuning instead of LoRA") boolean full;
        @Option(names = "--json") boolean json;

        FinetunedModel request() {
            String[] parts = baseModel.split(":", 2);
            String t = parts[0].toUpperCase(java.util.Locale.ROOT);
            BaseType type = BaseType.valueOf(t.startsWith("BASE_TYPE_") ? t : "BASE_TYPE_" + t);
            if (!type.isKnown()) {
                throw new IllegalArgumentException("--base-model: unknown base type " + parts[0]
                        + " (chat, generative, rerank, classification)");
            }
            Hyperparameters.Builder h = Hyperparameters.builder();
            if (epochs != null) h.trainEpochs(epochs);
            if (learningRate != null) h.learningRate(learningRate);
            if (batchSize != null) h.trainBatchSize(batchSize);
            if (threshold != null) h.earlyStoppingThreshold(threshold);
            if (patience != null) h.earlyStoppingPatience(patience);
            if (loraRank != null) h.loraRank(loraRank);
            if (loraAlpha != null) h.loraAlpha(loraAlpha);
            if (seed != null) h.seed(seed);
            if (full) h.strategy(Strategy.STRATEGY_FULL);
            return FinetunedModel.builder().name(name).settings(Settings.builder()
                    .baseModel(parts.length > 1 ? BaseModel.of(type, parts[1]) : BaseModel.of(type)).datasetId(datasetId)
                    .hyperparameters(h.build()).build()).build();
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Queue a fine-tune (and with --wait, train it here).")
    static final class Create extends RequestOptions {
        @Option(names = "--wait", description = "train in this process and wait for the end, with progress "
                + "(prints the estimate first)") boolean waitFor;

        @Override
        public Integer call() throws Exception {
            FinetunedModel req = request();
            PrintWriter out = spec.commandLine().getOut();
            try (ClientV2 co = parent.open()) {
                if (waitFor && !json) {
                    EstimateCmd.print(out, co.finetuning().estimate(req));
                    out.flush();
                }
                Progress progress = new Progress(out, "fine-tuning " + name);
                if (waitFor && !json) {
                    co.finetuning().addListener(u -> u.progress().ifPresent(p -> progress.update(p[0], p[1],
                            u.detail().orElse(""))));
                }
                FinetunedModel m = co.finetuning().createFinetunedModel(req).finetunedModel();
                if (!waitFor) {
                    printModel(out, m, json);
                    out.println(json ? "" : "queued; it trains while a client has the workspace open "
                            + "(run with --wait to train now)");
                    out.flush();
                    return 0;
                }
                FinetunedModel done;
                try {
                    done = co.wait(m, WaitOptions.timeout(Duration.ofDays(30)));
                } catch (dev.finetune.finetuning.FinetuningFailedException e) {
                    done = e.finetunedModel();
                }
                progress.done();
                printModel(out, done, json);
                out.flush();
                return done.status().map(s -> s.equals(dev.finetune.finetuning.Status.STATUS_READY)).orElse(false) ? 0 : 1;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List fine-tuned models, newest first.")
    static final class ListCmd implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        FinetuneCommand parent;
        @Spec
        CommandSpec spec;
        @Option(names = "--json") boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (ClientV2 co = parent.open()) {
                var r = new dev.finetune.finetuning.ListFinetunedModelsResponse(DemoCommand.allModels(co), java.util.Optional.empty(), 0);
                if (json) {
                    out.println(Json.prettyWriter().writeValueAsString(r));
                } else {
                    for (FinetunedModel m : r.finetunedModels()) {
                        printModel(out, m, false);
                    }
                }
            }
            out.flush();
            return 0;
        }
    }

    abstract static class ById implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        FinetuneCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "ID") String id;
        @Option(names = "--json") boolean json;

        abstract void run(ClientV2 co, PrintWriter out) throws Exception;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            String bare = id.endsWith("-ft") ? id.substring(0, id.length() - 3) : id;
            id = bare;
            try (ClientV2 co = parent.open()) {
                run(co, out);
            }
            out.flush();
            return 0;
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

    @Command(name = "events", mixinStandardHelpOptions = true, description = "A fine-tune's events, newest first.")
    static final class Events extends ById {
        @Override
        void run(ClientV2 co, PrintWriter out) throws Exception {
            var r = co.finetuning().listEvents(id);
            if (json) {
                out.println(Json.prettyWriter().writeValueAsString(r));
                return;
            }
            for (Event e : r.events()) {
                out.printf("%s  %-20s %s%n", e.createdAt(), e.status(), e.message().orElse(""));
            }
        }
    }

    @Command(name = "metrics", mixinStandardHelpOptions = true, description = "A fine-tune's step metrics.")
    static final class Metrics extends ById {
        @Override
        void run(ClientV2 co, PrintWriter out) throws Exception {
            var r = co.finetuning().listTrainingStepMetrics(id);
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
        void run(ClientV2 co, PrintWriter out) {
            co.finetuning().deleteFinetunedModel(id);
            out.println("deleted " + id);
        }
    }
}
