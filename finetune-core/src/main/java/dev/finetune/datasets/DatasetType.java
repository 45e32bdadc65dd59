package dev.finetune.datasets;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.finetune.json.WireValue;
import java.util.List;
import java.util.Objects;

/**
 * The kind of a fine-tuning dataset, by its wire name ({@code chat-finetune-input}). Forward
 * compatible: an unknown wire value is kept (and rejected only where a known type is needed), and
 * {@link #toString()} is the wire value.
 */
public final class DatasetType extends WireValue {
    public static final DatasetType CHAT_FINETUNE_INPUT = new DatasetType("chat-finetune-input");
    /** The legacy Generate type: {@code {"prompt", "completion"}} JSONL or CSV. */
    public static final DatasetType PROMPT_COMPLETION_FINETUNE_INPUT = new DatasetType("prompt-completion-finetune-input");
    public static final DatasetType RERANKER_FINETUNE_INPUT = new DatasetType("reranker-finetune-input");
    public static final DatasetType SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT =
            new DatasetType("single-label-classification-finetune-input");
    public static final DatasetType MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT =
            new DatasetType("multi-label-classification-finetune-input");

    private static final List<DatasetType> KNOWN = List.of(CHAT_FINETUNE_INPUT, PROMPT_COMPLETION_FINETUNE_INPUT,
            RERANKER_FINETUNE_INPUT, SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT, MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT);

    private DatasetType(String value) {
        super(value);
    }

    /** The type with this wire name; an unknown name gives a type for which {@link #isKnown()} is false. */
    @JsonCreator
    public static DatasetType valueOf(String value) {
        Objects.requireNonNull(value, "dataset type");
        for (DatasetType t : KNOWN) {
            if (t.toString().equals(value)) {
                return t;
            }
        }
        return new DatasetType(value);
    }

    /** The fine-tuning types this library validates and trains, in documentation order. */
    public static List<DatasetType> known() {
        return KNOWN;
    }

    public boolean isKnown() {
        return KNOWN.contains(this);
    }
}
