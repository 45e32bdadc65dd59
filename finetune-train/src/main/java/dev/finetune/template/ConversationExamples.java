package dev.finetune.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.FinetuneException;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRole;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The training examples of a chat dataset part ({@code {"messages": [{"role", "content"}]}} per line,
 * Cohere's roles) through a model's own template: one per Chatbot turn, as {@link ModelTemplate#examples}
 * makes them, and how many the context policy cut.
 */
public final class ConversationExamples {
    private static final ObjectMapper OM = new ObjectMapper();

    private ConversationExamples() {
    }

    /** The conversation of one JSONL record; {@code where} names the file and line in errors. */
    public static List<ChatMessage> conversation(JsonNode record, String where) {
        JsonNode msgs = record.get("messages");
        if (msgs == null || !msgs.isArray()) {
            throw new FinetuneException(where + ": expected a \"messages\" array");
        }
        List<ChatMessage> conv = new ArrayList<>();
        int i = 0;
        for (JsonNode m : msgs) {
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new FinetuneException(where + ": messages[" + i + "] needs a \"role\" and a \"content\" string");
            }
            try {
                conv.add(new ChatMessage(ChatRole.of(m.get("role").asText()), m.get("content").asText()));
            } catch (IllegalArgumentException e) {
                throw new FinetuneException(where + ": messages[" + i + "].role: " + e.getMessage());
            }
            i++;
        }
        return conv;
    }

    /** Every example of {@code part} (the first {@code limit} when limit > 0), each at most {@code maxTokens} ids. */
    public static ModelTemplate.Examples read(Path part, ModelTemplate template, int maxTokens, int limit) {
        List<ChatTemplate.Example> out = new ArrayList<>();
        int truncated = 0;
        try (BufferedReader r = Files.newBufferedReader(part, StandardCharsets.UTF_8)) {
            String s;
            long line = 0;
            while ((s = r.readLine()) != null && (limit <= 0 || out.size() < limit)) {
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
                ModelTemplate.Examples ex = template.examples(conversation(n, part + " line " + line), maxTokens);
                out.addAll(ex.examples());
                truncated += ex.truncated();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + part, e);
        }
        if (limit > 0 && out.size() > limit) {
            out = new ArrayList<>(out.subList(0, limit));
        }
        return new ModelTemplate.Examples(out, truncated);
    }

    /** The files beside a model's weights that carry its template and end-of-sequence ids. */
    public static final List<String> TEMPLATE_FILES = List.of(ChatTemplates.TOKENIZER_CONFIG, ChatTemplates.CHAT_TEMPLATE_JINJA,
            "generation_config.json", "special_tokens_map.json");
}
