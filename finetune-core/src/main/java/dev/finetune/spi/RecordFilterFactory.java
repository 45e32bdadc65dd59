package dev.finetune.spi;

import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.PiiPolicy;
import java.nio.file.Path;

/**
 * Makes the pre-storage {@link RecordFilter} of one dataset from what its upload asked for. Found
 * through {@link java.util.ServiceLoader} ({@code finetune-validation} registers the PII one).
 */
public interface RecordFilterFactory {

    /**
     * @param datasetId     the dataset being validated
     * @param type          its type (which fields hold text)
     * @param policy        the upload's PII policy
     * @param pseudonyms    redact with keyed pseudonyms instead of tags
     * @param workspaceRoot where a per-workspace secret may be kept
     * @param customPatterns user-supplied patterns by name (reported as {@code CUSTOM_name})
     * @param minConfidence  the upload's confidence threshold; empty: the filter's default
     */
    record Context(String datasetId, DatasetType type, PiiPolicy policy, boolean pseudonyms, Path workspaceRoot,
                   java.util.Map<String, String> customPatterns, java.util.Optional<Double> minConfidence) {
        public Context {
            customPatterns = customPatterns == null ? java.util.Map.of() : java.util.Map.copyOf(customPatterns);
            minConfidence = minConfidence == null ? java.util.Optional.empty() : minConfidence;
        }

        public Context(String datasetId, DatasetType type, PiiPolicy policy, boolean pseudonyms, Path workspaceRoot,
                       java.util.Map<String, String> customPatterns) {
            this(datasetId, type, policy, pseudonyms, workspaceRoot, customPatterns, java.util.Optional.empty());
        }

        public Context(String datasetId, DatasetType type, PiiPolicy policy, boolean pseudonyms, Path workspaceRoot) {
            this(datasetId, type, policy, pseudonyms, workspaceRoot, java.util.Map.of(), java.util.Optional.empty());
        }
    }

    RecordFilter create(Context context);
}
