package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetValidationException;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.DatasetsCreateResponse;
import dev.finetune.datasets.DatasetsListRequest;
import dev.finetune.datasets.DatasetsListResponse;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.json.Json;
import dev.finetune.tokenizer.Tokenizer;
import dev.finetune.tokenizer.Tokenizers;
import dev.finetune.validation.DatasetValidation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code finetune datasets create|list|get|delete}: the workspace's datasets. */
@Command(name = "datasets", mixinStandardHelpOptions = true, description = "Create, list, show and delete datasets in the workspace.",
        subcommands = {DatasetsCommand.Create.class, DatasetsCommand.ListDatasets.class, DatasetsCommand.Get.class,
                DatasetsCommand.Delete.class})
public final class DatasetsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Mixin
    WorkspaceOption workspace;

    private final Supplier<Tokenizer> tokenizer;

    public DatasetsCommand() {
        this(Tokenizers::gpt2);
    }

    DatasetsCommand(Supplier<Tokenizer> tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    ClientV2 client() {
        // datasets never train: no job runner (validation runs on the client's own background thread)
        return workspace.builder(false).validator(new DatasetValidation(tokenizer)).build();
    }

    /** A dataset name from a file name: its stem, cut to the 50-character limit. */
    static String nameOf(Path file) {
        String n = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        return n.length() > 50 ? n.substring(0, 50) : n;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Upload a dataset and wait for its validation.")
    static final class Create implements Callable<Integer> {
        @ParentCommand
        DatasetsCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--type", required = true, converter = DatasetTypeConverter.class, description = "Dataset type (wire name).")
        DatasetType type;
        @Option(names = "--name", description = "Dataset name (at most 50 characters; default: the file name).")
        String name;
        @Option(names = "--eval", paramLabel = "FILE", description = "Evaluation data.")
        Path eval;
        @Option(names = "--skip-malformed", description = "Drop malformed rows instead of failing.")
        boolean skipMalformed;
        @Option(names = "--keep-original", description = "Keep the uploaded file in the workspace.")
        boolean keepOriginal;
        @Option(names = "--csv-delimiter", paramLabel = "CHAR", defaultValue = ",", description = "CSV field separator (default: ${DEFAULT-VALUE}).")
        char csvDelimiter;
        @Option(names = "--pii-policy", defaultValue = "REDACT",
                description = "What to do with personal data found: REDACT, REJECT, WARN or OFF (default: ${DEFAULT-VALUE}).")
        dev.finetune.datasets.PiiPolicy piiPolicy;
        @Option(names = "--pii-pseudonyms", description = "With REDACT: consistent keyed pseudonyms instead of <TYPE> tags.")
        boolean piiPseudonyms;
        @Option(names = "--pii-min-confidence", paramLabel = "P",
                description = "The confidence (0 to 1) a personal-data finding needs to count; higher leaves context-lowered findings as written (default: the scanner's 0.5).")
        Double piiMinConfidence;
        @Option(names = "--retention-days", defaultValue = "30", description = "Purge the dataset's files this many days after upload (default: ${DEFAULT-VALUE}).")
        int retentionDays;
        @Option(names = "--no-wait", description = "Return after the upload; validation continues in the background of this process only while it runs.")
        boolean noWait;
        @Option(names = "--json", description = "Print the validated Dataset's JSON (with --no-wait: the create response's).")
        boolean json;
        @Parameters(paramLabel = "FILE", description = "The train data (JSONL, or CSV where the type allows it).")
        Path file;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (ClientV2 co = parent.client()) {
                DatasetsCreateRequest.OptionalStage b = DatasetsCreateRequest.builder().name(name == null ? nameOf(file) : name).type(type)
                        .skipMalformedInput(skipMalformed).keepOriginalFile(keepOriginal).csvDelimiter(csvDelimiter)
                        .piiPolicy(piiPolicy).piiPseudonyms(piiPseudonyms).retentionDays(retentionDays);
                if (piiMinConfidence != null) {
                    b.piiMinConfidence(piiMinConfidence);
                }
                DatasetsCreateRequest req = b.build();
                DatasetsCreateResponse r = co.datasets().create(file, Optional.ofNullable(eval), req);
                if (noWait) {
                    out.println(json ? Json.prettyWriter().writeValueAsString(r) : r.id());
                    out.flush();
                    return 0;
                }
                if (!json) {
                    out.println(r.id());
                }
                Dataset d;
                try {
                    d = co.wait(r, WaitOptions.timeout(Duration.ofDays(1)).interval(Duration.ofMillis(200)));
                } catch (DatasetValidationException e) {
                    d = e.dataset();
                }
                if (json) {
                    out.println(Json.prettyWriter().writeValueAsString(d));
                } else {
                    out.println(d.validationStatus() + d.validationError().map(e -> ": " + e).orElse(""));
                    d.validationWarnings().forEach(w -> out.println("  - " + w));
                }
                out.flush();
                return d.validationStatus().equals(ValidationStatus.VALIDATED) ? 0 : 1;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List datasets, newest first.")
    static final class ListDatasets implements Callable<Integer> {
        @ParentCommand
        DatasetsCommand parent;
        @Spec
        CommandSpec spec;
        @Option(names = "--limit", defaultValue = "50", description = "At most this many, 1 to 1000 (default: ${DEFAULT-VALUE}).")
        int limit;
        @Option(names = "--offset", defaultValue = "0", description = "Skip this many (default: ${DEFAULT-VALUE}).")
        int offset;
        @Option(names = "--type", converter = DatasetTypeConverter.class, description = "Only this type (wire name).")
        DatasetType type;
        @Option(names = "--json", description = "Print the list response's JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (ClientV2 co = parent.client()) {
                DatasetsListRequest.Builder b = DatasetsListRequest.builder().limit(limit).offset(offset);
                if (type != null) {
                    b.datasetType(type);
                }
                DatasetsListResponse r = co.datasets().list(b.build());
                if (json) {
                    out.println(Json.prettyWriter().writeValueAsString(r));
                    out.flush();
                    return 0;
                }
                out.printf(Locale.ROOT, "%-30s %-12s %-44s %s%n", "ID", "STATUS", "TYPE", "CREATED");
                for (Dataset d : r.datasets()) {
                    out.printf(Locale.ROOT, "%-30s %-12s %-44s %s%n", d.id(), d.validationStatus(), d.datasetType(), d.createdAt());
                }
                out.flush();
                return 0;
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print a dataset's JSON.")
    static final class Get implements Callable<Integer> {
        @ParentCommand
        DatasetsCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "The dataset's id.")
        String id;
        @Option(names = "--json", description = "Print JSON (what this command always prints; accepted like everywhere else).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (ClientV2 co = parent.client()) {
                PrintWriter out = spec.commandLine().getOut();
                out.println(Json.prettyWriter().writeValueAsString(co.datasets().get(id).dataset()));
                out.flush();
                return 0;
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a dataset and its files.")
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        DatasetsCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "The dataset's id.")
        String id;
        @Option(names = "--json", description = "Print {\"id\": ..., \"deleted\": true}.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (ClientV2 co = parent.client()) {
                co.datasets().delete(id);
                if (json) {
                    com.fasterxml.jackson.databind.node.ObjectNode o = Json.object();
                    o.put("id", id);
                    o.put("deleted", true);
                    spec.commandLine().getOut().println(Json.prettyWriter().writeValueAsString(o));
                } else {
                    spec.commandLine().getOut().println("deleted " + id);
                }
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }
}
