package dev.finetune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The three reference tokenizer families in the test resources (see families/README.md), loaded once. */
final class Families {
    static final List<String> NAMES = List.of("smollm2", "qwen2.5", "llama3.2");
    private static final Map<String, ByteLevelBpe> LOADED = new ConcurrentHashMap<>();

    private Families() {
    }

    static Path dir(String family) {
        try {
            return Path.of(Families.class.getResource("/dev/finetune/tokenizer/families/" + family).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static ByteLevelBpe tokenizer(String family) {
        return LOADED.computeIfAbsent(family, f -> BpeFiles.loadTokenizerJson(dir(f).resolve("tokenizer.json")));
    }

    static List<JsonNode> jsonl(String family, String file) {
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

    static boolean cleanUp(String family) {
        try {
            return new ObjectMapper().readTree(dir(family).resolve("tokenizer_config.json").toFile())
                    .path("clean_up_tokenization_spaces").asBoolean(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
