package dev.finetune.heads;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.finetune.FinetuneException;
import dev.finetune.json.Json;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The task head of a rerank or classify fine-tune, saved beside the backbone as {@code head.safetensors}:
 * tensors {@code head.weight} (C, K) and {@code head.bias} (K), and metadata naming the task, the labels
 * (classify), whether labels are independent (multi-label), the input limit and the separator token.
 * A rerank head has one output (the relevance score); a classify head one per label.
 *
 * @param maxTokens the longest input sequence, separator and end token included
 * @param endToken  the token that separates query and passage and ends every input ({@code <|endoftext|>})
 */
public record TaskHead(Kind kind, List<String> labels, boolean multiLabel, int maxTokens, int endToken, LinearHead linear) {
    public static final String FILE = "head.safetensors";

    /** What the head was trained for. */
    public enum Kind { RERANK, CLASSIFY }

    public TaskHead {
        labels = List.copyOf(labels);
        int expected = kind == Kind.RERANK ? 1 : labels.size();
        if (linear.outputs() != expected) {
            throw new IllegalArgumentException(kind + " head with " + labels.size() + " labels needs " + expected
                    + " outputs, has " + linear.outputs());
        }
    }

    public static TaskHead rerank(int channels, int maxTokens, int endToken, long seed) {
        return new TaskHead(Kind.RERANK, List.of(), false, maxTokens, endToken, new LinearHead(channels, 1, seed, 0.02f));
    }

    public static TaskHead classify(int channels, List<String> labels, boolean multiLabel, int maxTokens, int endToken,
                                    long seed) {
        return new TaskHead(Kind.CLASSIFY, labels, multiLabel, maxTokens, endToken,
                new LinearHead(channels, labels.size(), seed, 0.02f));
    }

    /** Writes {@code dir/head.safetensors} (atomically). */
    public void save(Path dir) {
        int C = linear.channels();
        int K = linear.outputs();
        try {
            new SafetensorsWriter()
                    .addFloats("head.weight", DType.F32, new long[] {C, K}, linear.parameters(), 0)
                    .addFloats("head.bias", DType.F32, new long[] {K}, linear.parameters(), C * K)
                    .metadata(Map.of("task", kind.name().toLowerCase(java.util.Locale.ROOT),
                            "labels", Json.writer().writeValueAsString(labels),
                            "multi_label", Boolean.toString(multiLabel),
                            "max_tokens", Integer.toString(maxTokens),
                            "end_token", Integer.toString(endToken)))
                    .write(dir.resolve(FILE));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The head saved in {@code dir}, if it has one. */
    public static Optional<TaskHead> load(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            Map<String, String> meta = r.metadata();
            Kind kind = Kind.valueOf(require(meta, "task", f).toUpperCase(java.util.Locale.ROOT));
            List<String> labels = Json.readValue(require(meta, "labels", f), new TypeReference<List<String>>() { });
            long[] shape = r.tensor("head.weight").shape();
            if (shape.length != 2) {
                throw new FinetuneException(f + ": head.weight must be a matrix (C, K)");
            }
            LinearHead linear = new LinearHead((int) shape[0], (int) shape[1], 0, 0f);
            r.readFloats("head.weight", linear.parameters(), 0);
            r.readFloats("head.bias", linear.parameters(), (int) (shape[0] * shape[1]));
            return Optional.of(new TaskHead(kind, labels, Boolean.parseBoolean(meta.get("multi_label")),
                    Integer.parseInt(require(meta, "max_tokens", f)), Integer.parseInt(require(meta, "end_token", f)), linear));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new FinetuneException(f + ": not a readable task head (" + e.getMessage() + ")", e);
        }
    }

    private static String require(Map<String, String> meta, String key, Path f) {
        String v = meta.get(key);
        if (v == null) {
            throw new FinetuneException(f + ": metadata \"" + key + "\" is missing");
        }
        return v;
    }
}
