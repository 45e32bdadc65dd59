package dev.finetune.datasets;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One stored part of a dataset ({@code train} or {@code evaluation}): its row count, its size in bytes
 * on disk (normalized JSONL) and a few sample rows as JSON text.
 */
public record DatasetPart(String id, String name, Optional<Long> numRows, Optional<Long> sizeBytes, List<String> samples) {
    public DatasetPart {
        Objects.requireNonNull(name, "name");
        id = id == null ? name : id;
        numRows = numRows == null ? Optional.empty() : numRows;
        sizeBytes = sizeBytes == null ? Optional.empty() : sizeBytes;
        samples = samples == null ? List.of() : List.copyOf(samples);
    }

    public static DatasetPart of(String name, long numRows, long sizeBytes, List<String> samples) {
        return new DatasetPart(name, name, Optional.of(numRows), Optional.of(sizeBytes), samples);
    }
}
