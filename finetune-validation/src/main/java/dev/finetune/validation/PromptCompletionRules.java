package dev.finetune.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.datasets.DatasetType;
import dev.finetune.tokenizer.Tokenizer;
import java.util.List;

/** {@code prompt-completion-finetune-input} (legacy Generate): {@code {"prompt", "completion"}} JSONL or CSV; at least 32 examples. */
final class PromptCompletionRules extends Rules {
    static final int MIN_EXAMPLES = 32;

    PromptCompletionRules(Tokenizer tokenizer) {
        super(tokenizer);
    }

    @Override
    DatasetType type() {
        return DatasetType.PROMPT_COMPLETION_FINETUNE_INPUT;
    }

    @Override
    String schema() {
        return "{\"prompt\": \"...\", \"completion\": \"...\"}";
    }

    @Override
    List<String> csvFields() {
        return List.of("prompt", "completion");
    }

    @Override
    int minTrainExamples() {
        return MIN_EXAMPLES;
    }

    @Override
    Example check(JsonNode record, long line, PartStats stats) throws RowError {
        checkObject(record, line, this);
        String prompt = requiredText(record, "prompt", line);
        String completion = requiredText(record, "completion", line);
        if (completion.isEmpty()) {
            throw new RowError(Messages.emptyField("completion", line));
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode().put("prompt", prompt).put("completion", completion);
        return new Example(out, tokenizer.countTokens(prompt) + tokenizer.countTokens(completion), 1);
    }
}
