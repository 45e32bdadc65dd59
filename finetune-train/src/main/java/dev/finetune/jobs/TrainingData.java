package dev.finetune.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.FinetuneException;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRole;
import dev.finetune.template.ChatTemplate;
import dev.finetune.template.PromptCompletionTemplate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a validated dataset part (the normalized {@code train.jsonl} / {@code eval.jsonl} the
 * validator writes) into token examples for training: chat records
 * ({@code {"messages": [{"role", "content"}]}}) give one example per Chatbot turn through the
 * {@link ChatTemplate}; prompt-completion records ({@code {"prompt", "completion"}}) one example each
 * through the {@link PromptCompletionTemplate}.
 */
public final class TrainingData {
    private static final ObjectMapper OM = new ObjectMapper();

    private TrainingData() {
    }

    /** Chat examples of every conversation in {@code part}, each at most {@code maxTokens} tokens. */
    public static List<ChatTemplate.Example> chat(Path part, ChatTemplate template, int maxTokens) {
        List<ChatTemplate.Example> out = new ArrayList<>();
        forEachRecord(part, (n, line) -> {
            JsonNode msgs = n.get("messages");
            if (msgs == null || !msgs.isArray()) {
                throw new FinetuneException(part + " line " + line + ": expected a \"messages\" array");
            }
            List<ChatMessage> conv = new ArrayList<>();
            for (JsonNode m : msgs) {
                conv.add(new ChatMessage(ChatRole.of(m.path("role").asText()), m.path("content").asText()));
            }
            out.addAll(template.examples(conv, maxTokens));
        });
        return out;
    }

    /** Prompt-completion examples of every record in {@code part}. */
    public static List<ChatTemplate.Example> promptCompletion(Path part, PromptCompletionTemplate template, int maxTokens) {
        List<ChatTemplate.Example> out = new ArrayList<>();
        forEachRecord(part, (n, line) -> {
            JsonNode p = n.get("prompt");
            JsonNode c = n.get("completion");
            if (p == null || c == null) {
                throw new FinetuneException(part + " line " + line + ": expected \"prompt\" and \"completion\"");
            }
            out.add(template.example(p.asText(), c.asText(), maxTokens));
        });
        return out;
    }

    /** A record and its 1-based line number. */
    @FunctionalInterface
    public interface RecordConsumer {
        void accept(JsonNode record, long line);
    }

    /** Streams the JSON records of a JSONL file, skipping blank lines. */
    public static void forEachRecord(Path part, RecordConsumer consumer) {
        try (BufferedReader r = Files.newBufferedReader(part, StandardCharsets.UTF_8)) {
            String s;
            long line = 0;
            while ((s = r.readLine()) != null) {
                line++;
                if (s.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = OM.readTree(s);
                } catch (IOException e) {
                    throw new FinetuneException(part + " line " + line + ": not valid JSON", e);
                }
                consumer.accept(n, line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + part, e);
        }
    }
}
