package dev.finetune.hub;

import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tiny GPT-2 repository as the hub would hold it: {@code config.json} and {@code model.safetensors}
 * written by this project's own checkpoint code (1 layer, 8 channels, GPT-2's 50,257-token vocabulary),
 * GPT-2's tokenizer as {@code tokenizer.json}, the small JSON files, and files a model must not pull
 * ({@code .bin}, {@code .onnx}, {@code .gguf}, a README, GPT-2's {@code encoder.json}).
 */
final class TinyHubModel {
    private static Map<String, byte[]> tokenizer;

    private TinyHubModel() {
    }

    static synchronized Map<String, byte[]> files(long seed) {
        try {
            Path dir = Files.createTempDirectory("tiny-hub-model");
            try {
                GPT2Checkpoint.save(GPT2.randomInit(GPT2Config.of(50257, 32, 8, 1, 2), seed, 0.02f), dir);
                if (tokenizer == null) {
                    BpeFiles.save(Tokenizers.gpt2(), dir);
                    tokenizer = Map.of(BpeFiles.TOKENIZER_JSON, Files.readAllBytes(dir.resolve(BpeFiles.TOKENIZER_JSON)),
                            BpeFiles.ENCODER_JSON, Files.readAllBytes(dir.resolve(BpeFiles.ENCODER_JSON)));
                }
                Map<String, byte[]> f = new LinkedHashMap<>();
                f.put(".gitattributes", "*.safetensors filter=lfs diff=lfs merge=lfs -text\n".getBytes(StandardCharsets.UTF_8));
                f.put("README.md", "# tiny\n".getBytes(StandardCharsets.UTF_8));
                f.put("config.json", Files.readAllBytes(dir.resolve("config.json")));
                f.put("generation_config.json", "{\"bos_token_id\": 50256, \"eos_token_id\": 50256}\n".getBytes(StandardCharsets.UTF_8));
                f.put("model.safetensors", Files.readAllBytes(dir.resolve("model.safetensors")));
                f.put("tokenizer.json", tokenizer.get(BpeFiles.TOKENIZER_JSON));
                f.put("tokenizer_config.json", "{\"model_max_length\": 32}\n".getBytes(StandardCharsets.UTF_8));
                f.put("encoder.json", tokenizer.get(BpeFiles.ENCODER_JSON));
                f.put("pytorch_model.bin", "not wanted".getBytes(StandardCharsets.UTF_8));
                f.put("onnx/model.onnx", "not wanted".getBytes(StandardCharsets.UTF_8));
                f.put("model.gguf", "not wanted".getBytes(StandardCharsets.UTF_8));
                return f;
            } finally {
                HubCache.deleteTree(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The files {@link HubClient} should take from {@link #files}. */
    static final java.util.Set<String> WANTED = java.util.Set.of("config.json", "generation_config.json",
            "model.safetensors", "tokenizer.json", "tokenizer_config.json");
}
