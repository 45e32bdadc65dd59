package dev.finetune.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.datasets.DatasetType;
import dev.finetune.tokenizer.Tokenizer;
import java.util.List;
import java.util.Optional;

/**
 * The documented rules of one dataset type: the per-record check (which also normalizes the record
 * to the JSONL form stored in the workspace) and the whole-dataset minimums. Stateless apart from the
 * {@link PartStats} passed in; one instance may serve many datasets.
 */
abstract class Rules {
    protected final Tokenizer tokenizer;

    Rules(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    static Optional<Rules> of(DatasetType type, Tokenizer tokenizer) {
        if (type.equals(DatasetType.CHAT_FINETUNE_INPUT)) {
            return Optional.of(new ChatRules(tokenizer));
        }
        if (type.equals(DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT)) {
            return Optional.of(new PromptCompletionRules(tokenizer));
        }
        if (type.equals(DatasetType.RERANKER_FINETUNE_INPUT)) {
            return Optional.of(new RerankerRules(tokenizer));
        }
        if (type.equals(DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT)) {
            return Optional.of(new ClassificationRules(tokenizer, false));
        }
        if (type.equals(DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT)) {
            return Optional.of(new ClassificationRules(tokenizer, true));
        }
        return Optional.empty();
    }

    abstract DatasetType type();

    /** An example record, shown when a file is not this type's JSONL. */
    abstract String schema();

    /** The header a CSV upload must have; empty when the type takes JSONL only. */
    List<String> csvFields() {
        return List.of();
    }

    /**
     * Checks one record and returns its normalized form, or null when it is dropped for a counted
     * reason (too many tokens, a too-long preamble) recorded in {@code stats}.
     */
    abstract Example check(JsonNode record, long line, PartStats stats) throws RowError;

    /**
     * A record that passed: its normalized form, its token and turn counts, and what it adds to the
     * per-type counters once it is kept (after the duplicate check). {@code extra} is a per-example
     * count the type needs per part (reranker: hard negatives; turns holds its relevant passages).
     */
    record Example(ObjectNode node, int tokens, int turns, int extra, java.util.function.Consumer<PartStats> onKeep) {
        Example(ObjectNode node, int tokens, int turns) {
            this(node, tokens, turns, 0, s -> { });
        }
    }

    /** The fewest valid train examples the type needs (before any auto-split). */
    abstract int minTrainExamples();

    /** Dataset-level rules beyond the example count (unique queries, labels); messages go to {@code errors}. */
    void finish(PartStats train, List<String> errors, List<String> warnings) {
    }

    // ---- helpers shared by the types ----

    static JsonNode required(JsonNode record, String field, long line) throws RowError {
        JsonNode v = record.get(field);
        if (v == null || v.isNull()) {
            throw new RowError(Messages.requiredField(field, line));
        }
        return v;
    }

    static String requiredText(JsonNode record, String field, long line) throws RowError {
        JsonNode v = required(record, field, line);
        if (!v.isTextual()) {
            throw new RowError(Messages.wrongType(field, "a string", line));
        }
        return v.textValue();
    }

    /** A label may be written as a string, a number or a boolean; it is stored as text. */
    static String scalarText(JsonNode v, String field, long line) throws RowError {
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isIntegralNumber() || v.isBoolean()) {
            return v.asText();
        }
        throw new RowError(Messages.wrongType(field, "a string", line));
    }

    static void checkObject(JsonNode record, long line, Rules rules) throws RowError {
        if (!record.isObject()) {
            throw new RowError(Messages.notJsonl(line, rules.type().toString(), rules.schema()));
        }
    }
}
