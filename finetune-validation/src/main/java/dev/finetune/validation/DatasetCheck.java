package dev.finetune.validation;

import dev.finetune.BadRequestException;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.PiiPolicy;
import dev.finetune.pii.PiiFindings;
import dev.finetune.pii.PiiRecordFilter;
import dev.finetune.pii.PiiRecordFilterFactory;
import dev.finetune.spi.RecordFilterFactory;
import dev.finetune.tokenizer.Tokenizer;
import dev.finetune.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Checks a dataset as an upload would be validated, in one call: the service's documented rules and
 * messages, the PII step, the counts and metrics a {@code Dataset} records. No workspace, no threads,
 * and nothing written anywhere: the files are read once, on the calling thread, and the normalized
 * parts an upload would store are only measured. For test suites (depend on {@code finetune-validation}
 * at test scope) and for {@code finetune validate}.
 *
 * <pre>{@code
 * ValidationReport report = DatasetCheck.check(Path.of("src/test/resources/chats.jsonl"), Optional.empty(),
 *         DatasetType.CHAT_FINETUNE_INPUT, CheckOptions.defaults());
 * assertTrue(report.validated(), report::validationError);
 * }</pre>
 */
public final class DatasetCheck {
    private DatasetCheck() {
    }

    /**
     * Validates {@code train} (and {@code eval}; without it, train is split 80/20 as an upload's is).
     * A dataset that breaks a rule is a report with status {@code failed} and the documented
     * {@code validation_error}, not an exception.
     *
     * @param train   the train data: JSONL, or CSV where the type allows it
     * @param eval    the evaluation data, if any
     * @param type    the dataset type; an unknown one gives a failed report naming the known types, as an upload does
     * @param options the upload flags, PII policy and tokenizer; {@link CheckOptions#defaults()} for an upload's defaults
     * @return status, {@code validation_error}, warnings, per-part counts and metrics, PII findings unless the policy is OFF
     * @throws BadRequestException when an argument is null or a file is missing or not a regular file (the message names it)
     * @throws dev.finetune.FinetuneException when a file cannot be read
     */
    public static ValidationReport check(Path train, Optional<Path> eval, DatasetType type, CheckOptions options) {
        requireFile("train", train);
        if (eval == null) {
            throw new BadRequestException("eval: must not be null (use Optional.empty())");
        }
        eval.ifPresent(e -> requireFile("eval", e));
        if (type == null) {
            throw new BadRequestException("type: must not be null");
        }
        if (options == null) {
            throw new BadRequestException("options: must not be null (use CheckOptions.defaults())");
        }
        Supplier<? extends Tokenizer> tokenizer = options.tokenizer().orElse(Tokenizers::gpt2);
        DatasetValidation validation = new DatasetValidation(tokenizer::get);
        // the upload's own PII step (with OFF it does nothing, and the outcome says so as an upload's does); type tags,
        // since pseudonyms need a workspace's key and a check keeps no data to protect
        PiiRecordFilter pii = new PiiRecordFilterFactory().create(new RecordFilterFactory.Context("check", type,
                options.piiPolicy(), false, null, options.piiCustomPatterns(), options.piiMinConfidence()));
        ValidationReport r = validation.check(type, train, eval, options.skipMalformedInput(), options.csvDelimiter(), pii);
        Optional<PiiFindings> findings = options.piiPolicy() == PiiPolicy.OFF ? Optional.empty() : Optional.of(pii.findings());
        return new ValidationReport(r.outcome(), r.parts(), findings);
    }

    /** {@link #check} with no eval file and an upload's defaults. */
    public static ValidationReport check(Path train, DatasetType type) {
        return check(train, Optional.empty(), type, CheckOptions.defaults());
    }

    private static void requireFile(String field, Path p) {
        if (p == null) {
            throw new BadRequestException(field + ": must not be null");
        }
        if (!Files.exists(p)) {
            throw new BadRequestException(field + ": no such file: " + p);
        }
        if (!Files.isRegularFile(p)) {
            throw new BadRequestException(field + ": not a regular file: " + p);
        }
    }
}
