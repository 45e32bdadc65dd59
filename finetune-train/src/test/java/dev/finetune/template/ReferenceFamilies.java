package dev.finetune.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reference tokenizer families, from finetune-core's test resources (one copy in the repository;
 * Maven runs tests in the module folder, so the path is relative to it).
 */
public final class ReferenceFamilies {
    public static final List<String> NAMES = List.of("smollm2", "qwen2.5", "llama3.2");
    private static final Map<String, ByteLevelBpe> LOADED = new ConcurrentHashMap<>();

    private ReferenceFamilies() {
    }

    public static Path dir(String family) {
        Path p = Path.of("..", "finetune-core", "src", "test", "resources", "dev", "finetune", "tokenizer", "families", family);
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("reference tokenizer folder missing: " + p.toAbsolutePath());
        }
        return p;
    }

    public static ByteLevelBpe tokenizer(String family) {
        return LOADED.computeIfAbsent(family, f -> BpeFiles.load(dir(f)));
    }

    public static List<JsonNode> jsonl(String family, String file) {
        ObjectMapper om = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(dir(family).resolve(file))) {
                if (!line.isBlank()) {
                    out.add(om.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
