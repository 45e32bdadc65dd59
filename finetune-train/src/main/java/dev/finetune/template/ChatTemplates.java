package dev.finetune.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.FinetuneException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a model folder's own chat template: {@code chat_template.jinja}, else the
 * {@code chat_template} of {@code tokenizer_config.json} (a string, or a list of named templates of
 * which {@code default} is taken), with the config's special tokens ({@code bos_token},
 * {@code eos_token}, {@code pad_token}, {@code unk_token}; a string or an object with {@code content}).
 */
public final class ChatTemplates {
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String CHAT_TEMPLATE_JINJA = "chat_template.jinja";
    private static final ObjectMapper OM = new ObjectMapper();

    private ChatTemplates() {
    }

    /** The template of {@code dir}, or empty when the folder has none (the built-in template applies). */
    public static Optional<JinjaChatTemplate> find(Path dir) {
        JsonNode config = tokenizerConfig(dir);
        Map<String, String> specials = new LinkedHashMap<>();
        for (String k : new String[] {"bos_token", "eos_token", "pad_token", "unk_token"}) {
            tokenText(config.path(k)).ifPresent(v -> specials.put(k, v));
        }
        Path jinja = dir.resolve(CHAT_TEMPLATE_JINJA);
        try {
            if (Files.isRegularFile(jinja)) {
                return Optional.of(new JinjaChatTemplate(Files.readString(jinja, StandardCharsets.UTF_8), specials));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jinja, e);
        }
        JsonNode t = config.path("chat_template");
        if (t.isTextual()) {
            return Optional.of(new JinjaChatTemplate(t.asText(), specials));
        }
        if (t.isArray()) {
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText())) {
                    return Optional.of(new JinjaChatTemplate(named.path("template").asText(), specials));
                }
            }
            throw new FinetuneException(dir.resolve(TOKENIZER_CONFIG) + ": chat_template is a list without a \"default\" template");
        }
        return Optional.empty();
    }

    /** {@code tokenizer_config.json} of {@code dir}, or an empty object when there is none. */
    public static JsonNode tokenizerConfig(Path dir) {
        Path f = dir.resolve(TOKENIZER_CONFIG);
        if (!Files.isRegularFile(f)) {
            return OM.createObjectNode();
        }
        try {
            return OM.readTree(f.toFile());
        } catch (IOException e) {
            throw new FinetuneException(f + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    /** A special token as tokenizer_config.json writes it: a string or {"content": ...}. */
    static Optional<String> tokenText(JsonNode n) {
        if (n.isTextual()) {
            return Optional.of(n.asText());
        }
        if (n.isObject() && n.path("content").isTextual()) {
            return Optional.of(n.get("content").asText());
        }
        return Optional.empty();
    }
}
