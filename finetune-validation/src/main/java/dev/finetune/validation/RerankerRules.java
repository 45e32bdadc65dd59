package dev.finetune.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.datasets.DatasetType;
import dev.finetune.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code reranker-finetune-input}: {@code {"query", "relevant_passages": [..≥1], "hard_negatives": [..]}}.
 * At least 256 unique queries; a passage may not be both relevant and a hard negative; empty and
 * duplicate hard negatives are removed; query+passage pairs over 510 tokens are counted (they will be
 * truncated in training).
 */
final class RerankerRules extends Rules {
    static final int MIN_UNIQUE_QUERIES = 256;
    static final int MAX_PAIR_TOKENS = 510;

    RerankerRules(Tokenizer tokenizer) {
        super(tokenizer);
    }

    @Override
    DatasetType type() {
        return DatasetType.RERANKER_FINETUNE_INPUT;
    }

    @Override
    String schema() {
        return "{\"query\": \"...\", \"relevant_passages\": [\"...\"], \"hard_negatives\": [\"...\"]}";
    }

    @Override
    int minTrainExamples() {
        return 1;
    }

    @Override
    Example check(JsonNode record, long line, PartStats stats) throws RowError {
        checkObject(record, line, this);
        String query = requiredText(record, "query", line);
        if (query.isBlank()) {
            throw new RowError(Messages.emptyField("query", line));
        }
        List<String> relevant = strings(required(record, "relevant_passages", line), "relevant_passages", line);
        if (relevant.isEmpty()) {
            throw new RowError(Messages.emptyField("relevant_passages", line));
        }
        Set<String> negatives = new LinkedHashSet<>();
        long removed = 0;
        JsonNode hn = record.get("hard_negatives");
        if (hn != null && !hn.isNull()) {
            for (String s : strings(hn, "hard_negatives", line)) {
                if (s.isBlank() || !negatives.add(s)) {
                    removed++;
                }
            }
        }
        for (String r : relevant) {
            if (negatives.contains(r)) {
                throw new RowError(Messages.passageBothRelevantAndNegative(line));
            }
        }
        int q = tokenizer.countTokens(query);
        int tokens = q;
        long over = 0;
        for (String p : relevant) {
            int t = tokenizer.countTokens(p);
            tokens += t;
            over += q + t > MAX_PAIR_TOKENS ? 1 : 0;
        }
        for (String p : negatives) {
            int t = tokenizer.countTokens(p);
            tokens += t;
            over += q + t > MAX_PAIR_TOKENS ? 1 : 0;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode().put("query", query);
        ArrayNode rel = out.putArray("relevant_passages");
        relevant.forEach(rel::add);
        ArrayNode neg = out.putArray("hard_negatives");
        negatives.forEach(neg::add);
        long queryHash = Hashes.fnv64(query);
        long overLimit = over;
        long removedNegatives = removed;
        return new Example(out, tokens, relevant.size(), negatives.size(), s -> {
            s.queries.add(queryHash);
            s.hardNegativesRemoved += removedNegatives;
            s.pairsOverLimit += overLimit;
        });
    }

    private static List<String> strings(JsonNode v, String field, long line) throws RowError {
        if (!v.isArray()) {
            throw new RowError(Messages.wrongType(field, "a list of strings", line));
        }
        List<String> out = new ArrayList<>(v.size());
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new RowError(Messages.wrongType(field, "a list of strings", line));
            }
            out.add(e.textValue());
        }
        return out;
    }

    @Override
    void finish(PartStats train, List<String> errors, List<String> warnings) {
        if (train.queries.size() < MIN_UNIQUE_QUERIES) {
            errors.add(Messages.notEnoughQueries(train.queries.size(), MIN_UNIQUE_QUERIES));
        }
    }
}
