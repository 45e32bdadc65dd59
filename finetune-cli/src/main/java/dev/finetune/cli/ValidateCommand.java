package dev.finetune.cli;

import dev.finetune.BadRequestException;
import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetValidationException;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.DatasetsCreateResponse;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.json.Json;
import dev.finetune.tokenizer.Tokenizer;
import dev.finetune.tokenizer.Tokenizers;
import dev.finetune.validation.CheckOptions;
import dev.finetune.validation.DatasetCheck;
import dev.finetune.validation.DatasetValidation;
import dev.finetune.validation.PartSummary;
import dev.finetune.validation.ValidationReport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code finetune validate --type TYPE [--eval FILE] [--json] [--keep] [--workspace DIR] FILE}: checks a dataset
 * against the documented rules. Exit 0 when validated, 1 when it failed, 2 on a usage error. Keeps
 * nothing unless {@code --keep} or {@code --workspace} is given (then the dataset is created in the workspace).
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Validate a fine-tuning dataset as the service would; exit 0 validated, 1 failed, 2 usage error.")
public final class ValidateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--type", required = true, converter = DatasetTypeConverter.class,
            description = "Dataset type: chat-finetune-input, prompt-completion-finetune-input, reranker-finetune-input, "
                    + "single-label-classification-finetune-input, multi-label-classification-finetune-input.")
    DatasetType type;

    @Option(names = "--eval", paramLabel = "FILE", description = "Evaluation data (otherwise train is split 80/20).")
    Path eval;

    @Option(names = "--json", description = "Print the Dataset JSON instead of the review.")
    boolean json;

    @Mixin
    WorkspaceOption workspace;

    @Option(names = "--keep", description = "Create the dataset in the workspace (implied by --workspace); "
            + "otherwise nothing is kept.")
    boolean keep;

    @Option(names = "--pii-policy", defaultValue = "REDACT",
            description = "Personal data found: REDACT (samples show tags), REJECT (fail), WARN (report) or OFF (default: ${DEFAULT-VALUE}).")
    dev.finetune.datasets.PiiPolicy piiPolicy;

    @Option(names = "--pii-min-confidence", paramLabel = "P",
            description = "The confidence (0 to 1) a personal-data finding needs to count; higher leaves context-lowered findings as written (default: the scanner's 0.5).")
    Double piiMinConfidence;

    @Option(names = "--skip-malformed", description = "Drop malformed rows (listed in the warnings) instead of failing.")
    boolean skipMalformed;

    @Option(names = "--csv-delimiter", paramLabel = "CHAR", defaultValue = ",", description = "CSV field separator (default: ${DEFAULT-VALUE}).")
    char csvDelimiter;

    @Parameters(paramLabel = "FILE", description = "The train data (JSONL, or CSV where the type allows it).")
    Path file;

    private final Supplier<Tokenizer> tokenizer;

    public ValidateCommand() {
        this(Tokenizers::gpt2);
    }

    ValidateCommand(Supplier<Tokenizer> tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public Integer call() throws Exception {
        for (Path p : eval == null ? List.of(file) : List.of(file, eval)) {
            if (!Files.isRegularFile(p)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "no such file: " + p);
            }
        }
        CheckOptions options;
        try {
            CheckOptions.Builder ob = CheckOptions.builder().skipMalformedInput(skipMalformed).csvDelimiter(csvDelimiter)
                    .piiPolicy(piiPolicy).tokenizer(tokenizer);
            if (piiMinConfidence != null) {
                ob.piiMinConfidence(piiMinConfidence);
            }
            options = ob.build();
        } catch (BadRequestException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Dataset dataset;
        List<PartSummary> parts;
        if (!keep && !workspace.given()) {
            // one call, nothing written: the check validates and measures the parts an upload would store
            ValidationReport r = DatasetCheck.check(file, Optional.ofNullable(eval), type, options);
            Instant now = Instant.now();
            dataset = Dataset.processing("local", file.getFileName().toString(), type, now).withResult(r.status(),
                    r.outcome().validationError(), r.warnings(), r.datasetParts(), r.outcome().metrics(), r.outcome().pii(), now);
            parts = r.parts();
        } else {
            // --workspace: the dataset is created (and kept) there, as `datasets create` would
            DatasetValidation validation = new DatasetValidation(tokenizer);
            AtomicReference<ValidationReport> report = new AtomicReference<>();
            try (ClientV2 co = workspace.builder(false).validator(job -> {
                ValidationReport r = validation.run(job);
                report.set(r);
                return r.outcome();
            }).build()) {
                DatasetsCreateRequest.OptionalStage rb = DatasetsCreateRequest.builder().name(DatasetsCommand.nameOf(file)).type(type)
                        .skipMalformedInput(skipMalformed).csvDelimiter(csvDelimiter).piiPolicy(piiPolicy);
                if (piiMinConfidence != null) {
                    rb.piiMinConfidence(piiMinConfidence);
                }
                DatasetsCreateRequest req = rb.build();
                DatasetsCreateResponse created = co.datasets().create(file, Optional.ofNullable(eval), req);
                try {
                    dataset = co.wait(created, WaitOptions.timeout(Duration.ofDays(1)).interval(Duration.ofMillis(100)));
                } catch (DatasetValidationException e) {
                    dataset = e.dataset();
                }
                parts = report.get() == null ? List.of() : report.get().parts();
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.prettyWriter().writeValueAsString(dataset));
            out.flush();
        } else {
            Review.print(out, file.toString(), dataset, parts);
        }
        return dataset.validationStatus().equals(ValidationStatus.VALIDATED) ? 0 : 1;
    }
}
