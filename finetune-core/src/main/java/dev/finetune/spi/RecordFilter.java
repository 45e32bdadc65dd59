package dev.finetune.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.datasets.PiiSummary;
import java.util.Objects;
import java.util.Optional;

/**
 * The pre-storage step: every record that passed validation goes through here before it is written
 * to a normalized part (the seam for PII scanning and redaction). One instance per dataset, called
 * from one thread, in file order (train part first, then eval).
 */
public interface RecordFilter {

    /** Stores every record unchanged and reports nothing. */
    RecordFilter NONE = (part, line, record) -> Decision.keep(record);

    /**
     * Decides what to store for one record.
     *
     * @param part   {@code "train"} or {@code "eval"}
     * @param line   1-based line of the record in its uploaded file
     * @param record the parsed record; do not modify it, return a changed copy instead
     */
    Decision apply(String part, long line, JsonNode record);

    /**
     * After the last record: a reason to fail the whole dataset (it becomes {@code validation_error},
     * replacing the message of any {@link Decision#fail} returned on the way), or empty.
     */
    default Optional<String> failure() {
        return Optional.empty();
    }

    /** After the last record: lines for {@code validation_warnings}. */
    default java.util.List<String> warnings() {
        return java.util.List.of();
    }

    /** What the filter found over the whole dataset, asked once after the last record. */
    default Optional<PiiSummary> summary() {
        return Optional.empty();
    }

    /**
     * Keep (the original or a redacted copy), drop (the record is left out, with a warning), or fail
     * (the dataset fails with this message as its {@code validation_error}).
     */
    record Decision(Kind kind, JsonNode record, String message) {
        public enum Kind { KEEP, DROP, FAIL }

        public Decision {
            Objects.requireNonNull(kind, "kind");
        }

        public static Decision keep(JsonNode record) {
            return new Decision(Kind.KEEP, Objects.requireNonNull(record, "record"), null);
        }

        public static Decision drop(String message) {
            return new Decision(Kind.DROP, null, message);
        }

        public static Decision fail(String message) {
            return new Decision(Kind.FAIL, null, Objects.requireNonNull(message, "message"));
        }
    }
}
