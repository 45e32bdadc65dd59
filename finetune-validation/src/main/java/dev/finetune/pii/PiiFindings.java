package dev.finetune.pii;

import dev.finetune.datasets.PiiPolicy;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the PII step found in one dataset: the policy it ran under, the number of findings per type
 * ({@code EMAIL_ADDRESS}, ..., {@code CUSTOM_name}), how many records it redacted, and where the first
 * findings are. Types, counts and offsets only: never a value, not even a masked one.
 *
 * @param policy         the policy applied
 * @param countsByType   findings per label, sorted by label; every finding is counted
 * @param recordsChanged records stored redacted ({@link PiiPolicy#REDACT})
 * @param locations      the first {@link #MAX_LOCATIONS} findings in file order (train, then eval)
 */
public record PiiFindings(PiiPolicy policy, Map<String, Long> countsByType, long recordsChanged, List<Location> locations) {
    /** How many locations are kept; the counts cover every finding. */
    public static final int MAX_LOCATIONS = 1000;

    public PiiFindings {
        Objects.requireNonNull(policy, "policy");
        countsByType = Collections.unmodifiableMap(new TreeMap<>(countsByType));
        locations = List.copyOf(locations);
    }

    /**
     * One finding's place: its label, the part ({@code train} or {@code eval}), the 1-based line in that
     * uploaded file, the JSON field path ({@code messages[1].content}) and the character offsets
     * {@code [start, end)} in that field's value.
     */
    public record Location(String type, String part, long line, Optional<String> field, int start, int end) {
        public Location {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(part, "part");
            field = field == null ? Optional.empty() : field;
        }

        @Override
        public String toString() {
            return type + " at " + part + " line " + line + field.map(f -> " " + f).orElse("") + " [" + start + ", " + end + ")";
        }
    }

    /** Findings of {@code label} ({@code "EMAIL_ADDRESS"}, {@code "CUSTOM_ACCOUNT"}); 0 when none. */
    public long count(String label) {
        return countsByType.getOrDefault(label, 0L);
    }

    /** Findings of a built-in type; for {@link PiiType#CUSTOM}, of every user pattern together. */
    public long count(PiiType type) {
        if (type == PiiType.CUSTOM) {
            return countsByType.entrySet().stream().filter(e -> e.getKey().startsWith("CUSTOM_")).mapToLong(Map.Entry::getValue).sum();
        }
        return count(type.name());
    }

    /** All findings, every type. */
    public long total() {
        return countsByType.values().stream().mapToLong(Long::longValue).sum();
    }

    public boolean isEmpty() {
        return countsByType.isEmpty();
    }
}
