package dev.finetune.datasets;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the pre-storage record filter (PII scanning) found in a dataset: the policy applied and the
 * number of findings per type. Never the values themselves.
 */
public record PiiSummary(Optional<String> policy, Map<String, Long> findingsByType, long recordsChanged, long recordsDropped) {
    public PiiSummary {
        policy = policy == null ? Optional.empty() : policy;
        findingsByType = findingsByType == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(findingsByType));
    }
}
