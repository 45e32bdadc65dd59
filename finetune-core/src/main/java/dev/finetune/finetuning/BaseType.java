package dev.finetune.finetuning;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.finetune.json.WireValue;
import java.util.Map;
import java.util.Objects;

/**
 * The kind of model a fine-tune starts from and produces.
 * Forward-compatible: a value this version does not know is kept as it came ({@link #isKnown()} false)
 * and written back unchanged; {@code toString()} is the wire value.
 */
public final class BaseType extends WireValue {
    public static final BaseType BASE_TYPE_UNSPECIFIED = new BaseType("BASE_TYPE_UNSPECIFIED");
    public static final BaseType BASE_TYPE_GENERATIVE = new BaseType("BASE_TYPE_GENERATIVE");
    public static final BaseType BASE_TYPE_CLASSIFICATION = new BaseType("BASE_TYPE_CLASSIFICATION");
    public static final BaseType BASE_TYPE_RERANK = new BaseType("BASE_TYPE_RERANK");
    public static final BaseType BASE_TYPE_CHAT = new BaseType("BASE_TYPE_CHAT");

    private static final Map<String, BaseType> KNOWN = index(BASE_TYPE_UNSPECIFIED, BASE_TYPE_GENERATIVE, BASE_TYPE_CLASSIFICATION, BASE_TYPE_RERANK, BASE_TYPE_CHAT);

    private static final Map<String, java.util.List<dev.finetune.datasets.DatasetType>> DATASETS = Map.of(
            "BASE_TYPE_CHAT", java.util.List.of(dev.finetune.datasets.DatasetType.CHAT_FINETUNE_INPUT),
            "BASE_TYPE_GENERATIVE", java.util.List.of(dev.finetune.datasets.DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT),
            "BASE_TYPE_RERANK", java.util.List.of(dev.finetune.datasets.DatasetType.RERANKER_FINETUNE_INPUT),
            "BASE_TYPE_CLASSIFICATION", java.util.List.of(dev.finetune.datasets.DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT,
                    dev.finetune.datasets.DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT));

    private BaseType(String value) {
        super(value);
    }

    /** The constant for {@code value}, or a new unknown one that keeps it. */
    @JsonCreator
    public static BaseType valueOf(String value) {
        Objects.requireNonNull(value, "value");
        BaseType known = KNOWN.get(value);
        return known != null ? known : new BaseType(value);
    }

    /** The dataset types a fine-tune of this base type trains on. */
    public java.util.List<dev.finetune.datasets.DatasetType> datasetTypes() {
        return DATASETS.getOrDefault(toString(), java.util.List.of());
    }

    /** Whether a fine-tune of this base type can train on a dataset of {@code type}. */
    public boolean accepts(dev.finetune.datasets.DatasetType type) {
        return datasetTypes().contains(type);
    }

    public boolean isKnown() {
        return KNOWN.containsKey(toString());
    }
}
