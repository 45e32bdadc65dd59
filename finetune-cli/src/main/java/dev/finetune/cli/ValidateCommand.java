package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetValidationException;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.DatasetsCreateResponse;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.json.Json;
import dev.finetune.spi.ValidationJob;
import dev.finetune.tokenizer.Tokenizer;
import dev.finetune.tokenizer.Tokenizers;
import dev.finetune.validation.DatasetValidation;
import dev.finetune.validation.PartSummary;
import dev.finetune.validation.ValidationReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code finetune validate --type TYPE [--eval FILE] [--json] [--workspace DIR] FILE}: checks a dataset
 * against the documented rules. Exit 0 when validated, 1 when it failed, 2 on a usage error. Keeps
 * nothing unless {@code --workspace} is given (then the dataset is created there).
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

    @Option(names = "--workspace", paramLabel = "DIR", description = "Keep the dataset in this workspace.")
    Path workspace;

    @Option(names = "--pii-policy", defaultValue = "REDACT",
            description = "Personal data found: REDACT (default; samples show tags), REJECT (fail), WARN (report) or OFF.")
    dev.finetune.datasets.PiiPolicy piiPolicy;

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
        DatasetValidation validation = new DatasetValidation(tokenizer);
        Dataset dataset;
        List<PartSummary> parts;
        if (workspace == null) {
            Path out = Files.createTempDirectory("finetune-validate");
            try {
                ValidationReport r = validation.run(new ValidationJob(type, file, Optional.ofNullable(eval), skipMalformed,
                        csvDelimiter, out, new dev.finetune.pii.PiiRecordFilterFactory().create(
                                new dev.finetune.spi.RecordFilterFactory.Context("local", type, piiPolicy, false, out))));
                Instant now = Instant.now();
                dataset = Dataset.processing("local", file.getFileName().toString(), type, now).withResult(r.outcome().status(),
                        r.outcome().validationError(), r.outcome().validationWarnings(), r.outcome().parts(), r.outcome().metrics(),
                        r.outcome().pii(), now);
                parts = r.parts();
            } finally {
                deleteTree(out);
            }
        } else {
            AtomicReference<ValidationReport> report = new AtomicReference<>();
            try (ClientV2 co = ClientV2.builder().workspace(workspace).validator(job -> {
                ValidationReport r = validation.run(job);
                report.set(r);
                return r.outcome();
            }).build()) {
                DatasetsCreateRequest req = DatasetsCreateRequest.builder().name(DatasetsCommand.nameOf(file)).type(type)
                        .skipMalformedInput(skipMalformed).csvDelimiter(csvDelimiter).piiPolicy(piiPolicy).build();
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

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(x);
            }
        }
    }
}
