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
import java.util.Map;
import java.util.Set;

/**
 * Single-label ({@code text}, {@code label}; CSV or JSONL) and multi-label ({@code text}, {@code label}
 * a list; JSONL) classification: at least 40 examples, at least 2 labels, at least 5 examples per label.
 */
final class ClassificationRules extends Rules {
    static final int MIN_EXAMPLES = 40;
    static final int MIN_PER_LABEL = 5;
    private final boolean multi;

    ClassificationRules(Tokenizer tokenizer, boolean multi) {
        super(tokenizer);
        this.multi = multi;
    }

    @Override
    DatasetType type() {
        return multi ? DatasetType.MULTI_LABEL_CLASSIFICATION_FINETUNE_INPUT : DatasetType.SINGLE_LABEL_CLASSIFICATION_FINETUNE_INPUT;
    }

    @Override
    String schema() {
        return multi ? "{\"text\": \"...\", \"label\": [\"...\", \"...\"]}" : "{\"text\": \"...\", \"label\": \"...\"}";
    }

    @Override
    List<String> csvFields() {
        return multi ? List.of() : List.of("text", "label");
    }

    @Override
    int minTrainExamples() {
        return MIN_EXAMPLES;
    }

    @Override
    Example check(JsonNode record, long line, PartStats stats) throws RowError {
        checkObject(record, line, this);
        String text = requiredText(record, "text", line);
        if (text.isBlank()) {
            throw new RowError(Messages.emptyField("text", line));
        }
        JsonNode label = required(record, "label", line);
        ObjectNode out = JsonNodeFactory.instance.objectNode().put("text", text);
        if (multi) {
            if (!label.isArray()) {
                throw new RowError(Messages.wrongType("label", "a list of labels", line));
            }
            Set<String> labels = new LinkedHashSet<>();
            for (JsonNode l : label) {
                String s = scalarText(l, "label", line).trim();
                if (s.isEmpty()) {
                    throw new RowError(Messages.emptyField("label", line));
                }
                labels.add(s);
            }
            ArrayNode arr = out.putArray("label");
            labels.forEach(arr::add);
            return new Example(out, tokenizer.countTokens(text), 1, 0, st -> labels.forEach(l -> st.addLabel(l, text)));
        } else {
            String s = scalarText(label, "label", line).trim();
            if (s.isEmpty()) {
                throw new RowError(Messages.emptyField("label", line));
            }
            out.put("label", s);
            return new Example(out, tokenizer.countTokens(text), 1, 0, st -> st.addLabel(s, text));
        }
    }

    @Override
    void finish(PartStats train, List<String> errors, List<String> warnings) {
        if (train.labelCounts.size() < 2) {
            errors.add(Messages.notEnoughLabels(train.labelCounts.size()));
        }
        List<String> few = new ArrayList<>();
        for (Map.Entry<String, long[]> e : train.labelCounts.entrySet()) {
            if (e.getValue()[0] < MIN_PER_LABEL) {
                few.add(e.getKey() + " (" + e.getValue()[0] + ")");
            }
        }
        if (!few.isEmpty()) {
            errors.add(Messages.tooFewPerLabel(String.join(", ", few.subList(0, Math.min(20, few.size())))
                    + (few.size() > 20 ? ", ..." : ""), MIN_PER_LABEL));
        }
    }
}
