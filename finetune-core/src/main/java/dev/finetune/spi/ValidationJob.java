package dev.finetune.spi;

import dev.finetune.datasets.DatasetType;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One dataset to validate: the uploaded files, the request's flags, where the normalized parts go,
 * and the pre-storage step every parsed record passes through.
 */
public record ValidationJob(DatasetType type, Path trainFile, Optional<Path> evalFile, boolean skipMalformedInput,
        char csvDelimiter, Path outputDir, RecordFilter recordFilter) {
    public static final String TRAIN_PART = "train.jsonl";
    public static final String EVAL_PART = "eval.jsonl";

    public ValidationJob {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(trainFile, "trainFile");
        evalFile = evalFile == null ? Optional.empty() : evalFile;
        Objects.requireNonNull(outputDir, "outputDir");
        recordFilter = recordFilter == null ? RecordFilter.NONE : recordFilter;
    }
}
