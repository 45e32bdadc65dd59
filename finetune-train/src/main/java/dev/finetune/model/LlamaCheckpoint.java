package dev.finetune.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.safetensors.AtomicFiles;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.HalfFloats;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.SafetensorsWriter;
import dev.finetune.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and saves Llama-family models in HuggingFace's folder layout: {@code config.json} and either
 * {@code model.safetensors} or shards named by {@code model.safetensors.index.json}'s {@code weight_map};
 * F32, BF16 or F16 weights, converted to float as they are read.
 *
 * <p>Memory: loading allocates the model's one float buffer (4 bytes per weight) and reads each tensor
 * from its file through a 1 MB buffer straight into it, so a BF16 0.5B checkpoint (1 GB on disk)
 * takes 2 GB of heap, never the file's bytes and the floats at once. Saving streams the same way.
 */
public final class LlamaCheckpoint {
    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** Buffers older checkpoints carry that are recomputed here (the rotary inverse frequencies). */
    private static final Pattern SKIPPED = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");
    private static final Logger LOG = LoggerFactory.getLogger(LlamaCheckpoint.class);

    private LlamaCheckpoint() {
    }

    /** Reads {@code dir/config.json} and the weights (single file or sharded). */
    public static Llama load(Path dir) {
        return load(dir, false);
    }

    /**
     * Reads a BF16 checkpoint with its matrices kept in BF16 and frozen ({@link Llama#frozenBf16}: for LoRA,
     * half the memory of {@link #load}, the same results bit for bit); norms and biases in float. A matrix
     * stored in another dtype fails with its name (widening F16 or rounding F32 would not be the checkpoint).
     */
    public static Llama loadFrozenBf16(Path dir) {
        return load(dir, true);
    }

    /**
     * Whether every matrix (rank-2 tensor) of the folder's weights is stored as BF16, so that
     * {@link #loadFrozenBf16} can hold them as they are; reads the files' headers only.
     */
    public static boolean matricesAreBf16(Path dir) {
        boolean any = false;
        for (Path file : new LinkedHashSet<>(weightFiles(dir).values())) {
            try (SafetensorsReader reader = SafetensorsReader.open(file)) {
                for (TensorInfo t : reader.tensors()) {
                    if (t.shape().length == 2 && !SKIPPED.matcher(t.name()).matches()) {
                        if (t.dtype() != DType.BF16) {
                            return false;
                        }
                        any = true;
                    }
                }
            }
        }
        return any;
    }

    private static Llama load(Path dir, boolean frozenBf16) {
        Map<String, Path> fileOf = weightFiles(dir);
        boolean oBias = fileOf.containsKey("model.layers.0.self_attn.o_proj.bias");
        LlamaConfig config = LlamaConfig.read(dir.resolve(CONFIG_FILE), oBias);
        Llama model = frozenBf16 ? Llama.frozenBf16(config) : new Llama(config);
        Set<String> seen = new LinkedHashSet<>();
        String storedHead = null;
        Path headFile = null;
        for (Path file : new LinkedHashSet<>(fileOf.values())) {
            try (SafetensorsReader reader = SafetensorsReader.open(file)) {
                for (TensorInfo t : reader.tensors()) {
                    String name = t.name();
                    if (SKIPPED.matcher(name).matches()) {
                        continue;
                    }
                    if (name.equals("lm_head.weight") && config.tiedEmbeddings()) {
                        storedHead = name;
                        headFile = file;
                        continue;
                    }
                    TensorView v;
                    try {
                        v = model.tensor(name);
                    } catch (IllegalArgumentException e) {
                        throw new ModelFormatException(file + ": tensor \"" + name + "\" is not part of a " + config.family()
                                + " model as config.json describes it (" + config.layers() + " layers"
                                + (config.qkvBias() ? "" : ", no q/k/v biases") + (config.tiedEmbeddings() ? ", tied head" : "") + ")");
                    }
                    if (!seen.add(name)) {
                        throw new ModelFormatException(file + ": tensor \"" + name + "\" is stored twice");
                    }
                    if (!Arrays.equals(t.shape(), v.longShape())) {
                        throw new ModelFormatException(file + ": tensor \"" + name + "\" has shape " + t.shapeText()
                                + " but config.json implies " + Arrays.toString(v.shape()));
                    }
                    if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
                        throw new ModelFormatException(file + ": tensor \"" + name + "\" is " + t.dtype()
                                + "; weights must be F32, F16 or BF16");
                    }
                    if (frozenBf16 && v.rank() == 2) {
                        if (t.dtype() != DType.BF16) {
                            throw new ModelFormatException(file + ": tensor \"" + name + "\" is " + t.dtype()
                                    + "; keeping a base frozen in BF16 needs its matrices stored as BF16 (load it in float instead)");
                        }
                        reader.readShorts(name, model.parameters16(), v.offset());
                    } else {
                        reader.readFloats(name, model.parameters(), v.offset());
                    }
                }
            }
        }
        for (TensorView v : model.tensors()) {
            if (!seen.contains(v.name())) {
                throw new ModelFormatException(dir + ": tensor \"" + v.name() + "\" is missing from the weights");
            }
        }
        if (storedHead != null) {
            checkTiedHead(headFile, storedHead, model);
        }
        LOG.debug("loaded {} ({} weights) from {}", config, config.parameterCount(), dir);
        return model;
    }

    /** Whether {@code dir} holds a Llama-family folder's weights (config.json plus model.safetensors or an index). */
    public static boolean hasWeights(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG_FILE))
                && (Files.isRegularFile(dir.resolve(WEIGHTS_FILE)) || Files.isRegularFile(dir.resolve(INDEX_FILE)));
    }

    /** Tensor name -> the file holding it: the index's weight_map, or every tensor of model.safetensors. */
    static Map<String, Path> weightFiles(Path dir) {
        Map<String, Path> out = new LinkedHashMap<>();
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            JsonNode root = LlamaConfig.readJson(index);
            JsonNode map = root.get("weight_map");
            if (map == null || !map.isObject() || map.isEmpty()) {
                throw new ModelFormatException(index + ": weight_map is missing or empty");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual() || e.getValue().asText().contains("/") || e.getValue().asText().contains("\\")) {
                    throw new ModelFormatException(index + ": weight_map[\"" + e.getKey() + "\"] must be a file name in the folder, got "
                            + e.getValue());
                }
                Path shard = dir.resolve(e.getValue().asText());
                if (!Files.isRegularFile(shard)) {
                    throw new ModelFormatException(index + ": weight_map[\"" + e.getKey() + "\"] names " + shard.getFileName()
                            + ", which is not in the folder");
                }
                out.put(e.getKey(), shard);
            }
            return out;
        }
        Path file = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(dir + ": neither " + WEIGHTS_FILE + " nor " + INDEX_FILE + " is there");
        }
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (TensorInfo t : r.tensors()) {
                out.put(t.name(), file);
            }
        }
        return out;
    }

    private static void checkTiedHead(Path file, String name, Llama model) {
        TensorView emb = model.tensor("model.embed_tokens.weight");
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            TensorInfo t = reader.tensor(name);
            if (!Arrays.equals(t.shape(), emb.longShape())) {
                throw new ModelFormatException(file + ": tensor \"" + name + "\" has shape " + t.shapeText()
                        + "; with tie_word_embeddings true it must equal model.embed_tokens.weight " + Arrays.toString(emb.shape()));
            }
            long n = t.numel();
            float[] all = reader.readFloats(name);
            for (int i = 0; i < n; i++) {
                float stored = model.isFrozenBf16() ? HalfFloats.bf16ToFloat(model.parameters16()[emb.offset() + i])
                        : model.parameters()[emb.offset() + i];
                if (Float.floatToIntBits(all[i]) != Float.floatToIntBits(stored)) {
                    throw new ModelFormatException(file + ": tensor \"" + name + "\" differs from model.embed_tokens.weight (element "
                            + i + ") although config.json says tie_word_embeddings true");
                }
            }
        }
    }

    /**
     * Writes {@code dir/model.safetensors} (every tensor in {@code dtype}: F32, BF16 or F16) and
     * {@code dir/config.json} (with {@code torch_dtype} saying so), each atomically. A model held frozen in
     * BF16 is written from its exact float widening (so saving it as BF16 writes its bits back unchanged).
     */
    public static void save(Llama model, Path dir, DType dtype) {
        model = model.toFloat();
        LlamaConfig c = model.config();
        String torch = switch (dtype) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("weights are saved as F32, BF16 or F16, not " + dtype);
        };
        SafetensorsWriter w = new SafetensorsWriter();
        for (TensorView v : model.tensors()) {
            w.addFloats(v.name(), dtype, v.longShape(), model.parameters(), v.offset());
        }
        w.write(dir.resolve(WEIGHTS_FILE));
        LlamaConfig out = new LlamaConfig(c.family(), c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.layers(),
                c.heads(), c.kvHeads(), c.headDim(), c.maxSeqLen(), c.rmsNormEps(), c.ropeTheta(), c.ropeScaling(),
                c.qkvBias(), c.oBias(), c.tiedEmbeddings(), torch, c.bosTokenId(), c.eosTokenId());
        Path configFile = dir.resolve(CONFIG_FILE);
        try {
            AtomicFiles.write(configFile, out.toJson().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ModelFormatException(configFile + ": cannot write: " + e.getMessage(), e);
        }
        LOG.debug("saved {} to {} as {}", c, dir, dtype);
    }

    /** Saves in the dtype the model was loaded with ({@code torch_dtype} of its config). */
    public static void save(Llama model, Path dir) {
        save(model, dir, dtypeOf(model.config()));
    }

    static DType dtypeOf(LlamaConfig c) {
        return switch (c.dtype()) {
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> DType.F32;
        };
    }
}
