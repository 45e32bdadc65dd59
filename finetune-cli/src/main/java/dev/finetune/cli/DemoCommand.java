package dev.finetune.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.PiiPolicy;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.FinetuningFailedException;
import dev.finetune.finetuning.ListFinetunedModelsRequest;
import dev.finetune.finetuning.ListFinetunedModelsResponse;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.Strategy;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.ReturnLikelihoods;
import dev.finetune.json.Json;
import dev.finetune.workspace.Workspace;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finetune demo}: the Generate seed's table, reproduced locally. Builds {@code base-light} if
 * needed, turns tinyshakespeare.txt into a prompt-completion dataset, validates it, fine-tunes with
 * progress, then scores the Hamlet soliloquy (not in the corpus) with both models and generates a
 * little from each. A second run reuses the dataset and the model.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Fine-tune base-light on Shakespeare and compare average log-likelihoods on Hamlet.",
                "Trains in this process (which also resumes the workspace's queued or interrupted fine-tunes)."})
public final class DemoCommand implements Callable<Integer> {
    static final String HAMLET = "To be, or not to be: that is the question: Whether ’tis nobler in the mind to suffer "
            + "The slings and arrows of outrageous fortune, Or to take arms against a sea of troubles, And by opposing "
            + "end them. To die: to sleep...";
    static final String DATASET_NAME = "tinyshakespeare-demo";
    static final String MODEL_NAME = "shakespeare-demo";

    @Spec
    CommandSpec spec;

    @Mixin
    WorkspaceOption workspace;

    @Option(names = "--epochs", defaultValue = "1", description = "training epochs (default ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--examples", defaultValue = "2400", description = "training examples cut from the corpus (default ${DEFAULT-VALUE})")
    int examples;

    @Option(names = "--eval-examples", defaultValue = "200",
            description = "evaluation examples, the passages after the training ones (default ${DEFAULT-VALUE})")
    int evalExamples;

    @Option(names = "--learning-rate", defaultValue = "0.001", description = "the fine-tune's learning rate (default ${DEFAULT-VALUE})")
    double learningRate;

    @Option(names = "--batch-size", defaultValue = "16", description = "examples per training step (default ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--verse", description = "keep the corpus's verse layout (speaker names, blank lines, line breaks) "
            + "instead of running text, the way the scored soliloquy is written")
    boolean verse;

    @Option(names = "--passage-lines", defaultValue = "8", description = "lines of the corpus per example (default ${DEFAULT-VALUE})")
    int passageLines;

    @Option(names = "--prompt-lines", defaultValue = "1",
            description = "of those, the lines given as the prompt; the rest is the completion, the part trained on (default ${DEFAULT-VALUE})")
    int promptLines;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (promptLines < 1 || passageLines <= promptLines) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--prompt-lines must be at least 1 and less than --passage-lines, got " + promptLines + " of " + passageLines);
        }
        long t0 = System.nanoTime();
        try (TrainingClient tc = TrainingClient.open(workspace, spec.commandLine().getErr())) {
            ClientV2 co = tc.co;
            // 1. the base model
            Path baseDir = Workspace.baseModelsDir(co.root()).resolve(BaseModels.BASE_LIGHT.name());
            if (!BaseModels.isBuilt(baseDir)) {
                out.println(BaseModels.isShipped(BaseModels.BASE_LIGHT)
                        ? "Installing base-light (its weights, pretrained on The Adventures of Sherlock Holmes, ship with the library)..."
                        : "Building base-light (once; pretrained on The Adventures of Sherlock Holmes)...");
                Progress p = new Progress(out, "pretraining base-light");
                BaseModels.ensure(BaseModels.BASE_LIGHT, baseDir, (s, n, l, tps) -> p.update(s, n,
                        String.format("loss %.3f, %.0f tok/s", l, tps)), () -> false);
                p.done();
            }
            // 2. the dataset
            Dataset ds = co.datasets().list().datasets().stream()
                    .filter(d -> d.name().equals(DATASET_NAME) && d.validationStatus().equals(ValidationStatus.VALIDATED))
                    .findFirst().orElse(null);
            if (ds == null) {
                Path file = Files.createTempFile("tinyshakespeare", ".jsonl");
                Path evalFile = Files.createTempFile("tinyshakespeare-eval", ".jsonl");
                try {
                    int[] n = writeDataset(file, evalFile, examples, evalExamples, passageLines, promptLines, !verse);
                    out.printf("Dataset: %d + %d (eval) prompt-completion examples from tinyshakespeare.txt; validating...%n", n[0], n[1]);
                    out.flush();
                    ds = co.wait(co.datasets().create(file, n[1] == 0 ? Optional.empty() : Optional.of(evalFile),
                            DatasetsCreateRequest.builder().name(DATASET_NAME).type(DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT)
                                    .piiPolicy(PiiPolicy.OFF).build()), WaitOptions.timeout(Duration.ofMinutes(10)).interval(Duration.ofMillis(200)));
                } finally {
                    Files.deleteIfExists(file);
                    Files.deleteIfExists(evalFile);
                }
            }
            out.printf("Dataset %s: %s%n", ds.id(), ds.validationStatus());
            // 3. the fine-tune
            FinetunedModel model = allModels(co).stream()
                    .filter(m -> m.name().equals(MODEL_NAME) && m.status().map(Status.STATUS_READY::equals).orElse(false))
                    .findFirst().orElse(null);
            if (model == null) {
                Progress p = new Progress(out, "fine-tuning");
                co.finetuning().addListener(u -> u.progress().ifPresent(x -> p.update(x[0], x[1], u.detail().orElse(""))));
                FinetunedModel created = co.finetuning().createFinetunedModel(FinetunedModel.builder().name(MODEL_NAME)
                        .settings(Settings.builder().baseModel(BaseModel.of(BaseType.BASE_TYPE_GENERATIVE, "base-light"))
                                .datasetId(ds.id()).hyperparameters(Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL)
                                        .trainEpochs(epochs).trainBatchSize(batchSize).learningRate(learningRate).seed(1).build())
                                .build()).build()).finetunedModel();
                try {
                    model = co.wait(created);
                } catch (FinetuningFailedException e) {
                    model = e.finetunedModel();
                }
                p.done();
                if (!model.status().map(Status.STATUS_READY::equals).orElse(false)) {
                    out.println("The fine-tune ended " + model.status().orElseThrow() + ": " + model.failureReason().orElse(""));
                    return 1;
                }
            }
            String custom = model.id().orElseThrow() + "-ft";
            // 4. the table
            double base = likelihood(co, "base-light");
            double tuned = likelihood(co, custom);
            out.println();
            out.printf("%-28s | %s%n", "MODEL", "AVERAGE LOG-LIKELIHOOD");
            out.printf("%-28s | %.2f%n", "base-light", base);
            out.printf("%-28s | %.2f%n", custom, tuned);
            out.println();
            out.println("(on the Hamlet soliloquy, which is not in the training text; higher is better)");
            for (String m : new String[] {"base-light", custom}) {
                String g = co.generate(GenerateRequest.builder().prompt("To be, or not to be").model(m).maxTokens(40)
                        .temperature(0.7f).seed(7).build()).generations().get(0).text();
                out.printf("%n%s: To be, or not to be%s%n", m, g);
            }
            out.printf("%n(%.0f s)%n", (System.nanoTime() - t0) / 1e9);
        }
        out.flush();
        return 0;
    }

    private static double likelihood(ClientV2 co, String model) {
        return co.generate(GenerateRequest.builder().prompt(HAMLET).model(model).maxTokens(0)
                .returnLikelihoods(ReturnLikelihoods.ALL).build()).generations().get(0).likelihood().orElseThrow();
    }

    /**
     * Cuts the corpus into passages of {@code passage} lines: the first {@code prompt} lines are the
     * prompt, the rest the completion. The first {@code trainMax} passages go to {@code train}, the next
     * {@code evalMax} to {@code eval}. Passages containing the demo's Hamlet lines are left out.
     *
     * @return the examples written to each file
     */
    static int[] writeDataset(Path train, Path eval, int trainMax, int evalMax, int passage, int prompt) throws Exception {
        return writeDataset(train, eval, trainMax, evalMax, passage, prompt, false);
    }

    /** A speaker's name on its own line ("First Citizen:", "KING RICHARD III:"). */
    private static final java.util.regex.Pattern SPEAKER = java.util.regex.Pattern.compile("[A-Z][A-Za-z' ]*[A-Za-z]:");

    /**
     * As {@link #writeDataset(Path, Path, int, int, int, int)}; with {@code prose}, the passage's speaker
     * names and blank lines are dropped, its first {@code prompt} remaining lines are the prompt and the
     * others the completion, each joined by spaces (the completion after a space, as running text continues).
     */
    static int[] writeDataset(Path train, Path eval, int trainMax, int evalMax, int passage, int prompt, boolean prose)
            throws Exception {
        if (prompt < 1 || passage <= prompt) {
            throw new IllegalArgumentException("--prompt-lines must be at least 1 and less than --passage-lines, got "
                    + prompt + " of " + passage);
        }
        String[] lines = BaseModels.corpus("tinyshakespeare.txt").split("\n");
        int[] n = new int[2];
        try (BufferedWriter tw = Files.newBufferedWriter(train, StandardCharsets.UTF_8);
                BufferedWriter ew = Files.newBufferedWriter(eval, StandardCharsets.UTF_8)) {
            for (int i = 0; i + passage <= lines.length && (n[0] < trainMax || n[1] < evalMax); i += passage) {
                StringBuilder promptText = new StringBuilder();
                StringBuilder completion = new StringBuilder();
                if (prose) {
                    java.util.List<String> kept = new java.util.ArrayList<>();
                    for (int j = i; j < i + passage; j++) {
                        String l = lines[j].strip();
                        if (!l.isEmpty() && !SPEAKER.matcher(l).matches()) {
                            kept.add(l);
                        }
                    }
                    if (kept.size() <= prompt) {
                        continue;
                    }
                    promptText.append(String.join(" ", kept.subList(0, prompt)));
                    completion.append(' ').append(String.join(" ", kept.subList(prompt, kept.size())));
                } else {
                    for (int j = i; j < i + prompt; j++) {
                        promptText.append(lines[j]).append('\n');
                    }
                    for (int j = i + prompt; j < i + passage; j++) {
                        completion.append(lines[j]).append('\n');
                    }
                }
                String all = promptText.toString() + completion;
                if (all.contains("To be, or not to be") || completion.toString().isBlank()) {
                    continue;
                }
                ObjectNode o = Json.object();
                o.put("prompt", promptText.toString());
                o.put("completion", completion.toString());
                int f = n[0] < trainMax ? 0 : 1;
                BufferedWriter w = f == 0 ? tw : ew;
                w.write(Json.writer().writeValueAsString(o));
                w.write('\n');
                n[f]++;
            }
        }
        return n;
    }

    /** Every fine-tuned model of the workspace, page after page. */
    static java.util.List<FinetunedModel> allModels(ClientV2 co) {
        java.util.List<FinetunedModel> all = new java.util.ArrayList<>();
        ListFinetunedModelsRequest.Builder req = ListFinetunedModelsRequest.builder().pageSize(ListFinetunedModelsRequest.MAX_PAGE_SIZE);
        while (true) {
            ListFinetunedModelsResponse page = co.finetuning().listFinetunedModels(req.build());
            all.addAll(page.finetunedModels());
            if (page.nextPageToken().isEmpty()) {
                return all;
            }
            req.pageToken(page.nextPageToken().get());
        }
    }
}
