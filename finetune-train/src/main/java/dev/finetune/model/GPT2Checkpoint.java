package dev.finetune.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.finetune.safetensors.AtomicFiles;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.SafetensorsWriter;
import dev.finetune.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and saves GPT-2 models in HuggingFace's folder layout: {@code config.json} (GPT2Config keys)
 * and {@code model.safetensors}.
 *
 * <p>Loading accepts tensor names with the {@code transformer.} prefix (as {@code GPT2LMHeadModel}
 * saves them) or without it (as the hub's {@code gpt2} checkpoint has them), F32, F16 or BF16; skips the
 * {@code attn.bias} / {@code attn.masked_bias} mask buffers older checkpoints carry; and accepts a stored
 * {@code lm_head.weight} only when it equals {@code wte.weight} (the head is tied). Saving writes what
 * {@code GPT2LMHeadModel.save_pretrained} writes: F32 tensors named {@code transformer.*}, no head,
 * {@code __metadata__ {"format": "pt"}}, and a {@code config.json} with {@code model_type} gpt2.
 */
public final class GPT2Checkpoint {
    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    private static final String PREFIX = "transformer.";
    private static final Pattern MASK_BUFFER = Pattern.compile("h\\.\\d+\\.attn\\.(bias|masked_bias)");
    private static final Set<String> ACTIVATIONS = Set.of("gelu_new", "gelu_pytorch_tanh");
    private static final Logger LOG = LoggerFactory.getLogger(GPT2Checkpoint.class);

    private GPT2Checkpoint() {
    }

    /** Reads {@code dir/config.json} and {@code dir/model.safetensors}. */
    public static GPT2 load(Path dir) {
        GPT2Config config = readConfig(dir.resolve(CONFIG_FILE));
        GPT2 model = new GPT2(config);
        Path file = dir.resolve(WEIGHTS_FILE);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            Map<String, String> fileNameOf = new HashMap<>();
            String lmHead = null;
            for (TensorInfo t : reader.tensors()) {
                String name = t.name().startsWith(PREFIX) ? t.name().substring(PREFIX.length()) : t.name();
                if (MASK_BUFFER.matcher(name).matches()) {
                    continue;
                }
                if (name.equals("lm_head.weight")) {
                    lmHead = t.name();
                    continue;
                }
                TensorView v = model.tensors().stream().filter(x -> x.name().equals(name)).findFirst()
                        .orElseThrow(() -> new ModelFormatException(file + ": tensor \"" + t.name()
                                + "\" is not part of a GPT-2 with " + config.layers() + " layers (config.json)"));
                String previous = fileNameOf.put(name, t.name());
                if (previous != null) {
                    throw new ModelFormatException(file + ": tensor \"" + name + "\" is stored twice, as \"" + previous
                            + "\" and \"" + t.name() + "\"");
                }
                if (!Arrays.equals(t.shape(), v.longShape())) {
                    throw new ModelFormatException(file + ": tensor \"" + t.name() + "\" has shape " + t.shapeText()
                            + " but config.json implies " + Arrays.toString(v.shape()));
                }
                if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
                    throw new ModelFormatException(file + ": tensor \"" + t.name() + "\" is " + t.dtype()
                            + "; weights must be F32, F16 or BF16");
                }
                reader.readFloats(t.name(), model.parameters(), v.offset());
            }
            for (TensorView v : model.tensors()) {
                if (!fileNameOf.containsKey(v.name())) {
                    throw new ModelFormatException(file + ": tensor \"" + v.name() + "\" (or \"" + PREFIX + v.name()
                            + "\") is missing");
                }
            }
            if (lmHead != null) {
                checkTiedHead(file, reader, lmHead, model);
            }
        }
        LOG.debug("loaded {} ({} weights) from {}", config, config.parameterCount(), dir);
        return model;
    }

    private static void checkTiedHead(Path file, SafetensorsReader reader, String name, GPT2 model) {
        TensorView wte = model.tensor("wte.weight");
        TensorInfo t = reader.tensor(name);
        if (!Arrays.equals(t.shape(), wte.longShape())) {
            throw new ModelFormatException(file + ": tensor \"" + name + "\" has shape " + t.shapeText()
                    + "; an lm_head must be tied to wte.weight " + Arrays.toString(wte.shape()));
        }
        float[] head = reader.readFloats(name);
        float[] p = model.parameters();
        for (int i = 0; i < head.length; i++) {
            if (Float.floatToIntBits(head[i]) != Float.floatToIntBits(p[wte.offset() + i])) {
                throw new ModelFormatException(file + ": tensor \"" + name + "\" differs from wte.weight (element " + i
                        + "); only GPT-2 models whose output head is tied to the token embedding are supported");
            }
        }
    }

    /** Parses a HuggingFace GPT2Config, applying its defaults for absent keys and rejecting what this model does not compute. */
    public static GPT2Config readConfig(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": no such file (a GPT-2 model folder needs config.json)");
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + ": not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ")", e);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file + ": not a JSON object");
        }
        String modelType = text(file, root, "model_type", "gpt2");
        if (!modelType.equals("gpt2")) {
            throw new ModelFormatException(file + ": model_type \"" + modelType + "\" is not supported (only gpt2)");
        }
        String activation = text(file, root, "activation_function", "gelu_new");
        if (!ACTIVATIONS.contains(activation)) {
            throw new ModelFormatException(file + ": activation_function \"" + activation
                    + "\" is not supported (only gelu_new / gelu_pytorch_tanh, GELU with the tanh approximation)");
        }
        int nEmbd = integer(file, root, "n_embd", 768);
        JsonNode inner = root.get("n_inner");
        if (inner != null && !inner.isNull() && (!inner.canConvertToExactIntegral() || inner.asInt() != 4 * nEmbd)) {
            throw new ModelFormatException(file + ": n_inner " + inner + " is not supported (only null or 4 * n_embd = "
                    + 4 * nEmbd + ")");
        }
        requireFlag(file, root, "scale_attn_weights", true);
        requireFlag(file, root, "scale_attn_by_inverse_layer_idx", false);
        requireFlag(file, root, "tie_word_embeddings", true);
        requireFlag(file, root, "add_cross_attention", false);
        int positions = root.has("n_positions") ? integer(file, root, "n_positions", 1024) : integer(file, root, "n_ctx", 1024);
        double eps = number(file, root, "layer_norm_epsilon", 1e-5);
        try {
            return new GPT2Config(integer(file, root, "vocab_size", 50257), positions, nEmbd,
                    integer(file, root, "n_layer", 12), integer(file, root, "n_head", 12), (float) eps);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    private static String text(Path file, JsonNode root, String key, String dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw new ModelFormatException(file + ": " + key + " must be a string, got " + n);
        }
        return n.asText();
    }

    private static int integer(Path file, JsonNode root, String key, int dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.canConvertToExactIntegral() || !n.canConvertToInt()) {
            throw new ModelFormatException(file + ": " + key + " must be an integer, got " + n);
        }
        return n.asInt();
    }

    private static double number(Path file, JsonNode root, String key, double dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw new ModelFormatException(file + ": " + key + " must be a number, got " + n);
        }
        return n.asDouble();
    }

    private static void requireFlag(Path file, JsonNode root, String key, boolean supported) {
        JsonNode n = root.get(key);
        if (n != null && !n.isNull() && (!n.isBoolean() || n.asBoolean() != supported)) {
            throw new ModelFormatException(file + ": " + key + " " + n + " is not supported (only " + supported + ")");
        }
    }

    /** Writes {@code dir/model.safetensors} and {@code dir/config.json}, each atomically, creating {@code dir}. */
    public static void save(GPT2 model, Path dir) {
        save(model, dir, DType.F32);
    }

    /** As {@link #save(GPT2, Path)}, with the weights rounded to {@code dtype} (F32, F16 or BF16; nearest, ties to even). */
    public static void save(GPT2 model, Path dir, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("weights are saved as F32, F16 or BF16, not " + dtype);
        }
        SafetensorsWriter w = new SafetensorsWriter();
        for (TensorView v : model.tensors()) {
            w.addFloats(PREFIX + v.name(), dtype, v.longShape(), model.parameters(), v.offset());
        }
        w.write(dir.resolve(WEIGHTS_FILE));
        Path configFile = dir.resolve(CONFIG_FILE);
        try {
            AtomicFiles.write(configFile, configJson(model.config()).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ModelFormatException(configFile + ": cannot write: " + e.getMessage(), e);
        }
        LOG.debug("saved {} to {}", model.config(), dir);
    }

    /** The config.json text {@code GPT2LMHeadModel.save_pretrained} writes for {@code config} (keys sorted). */
    public static String configJson(GPT2Config c) {
        Map<String, Object> m = new TreeMap<>();
        m.put("activation_function", "gelu_new");
        m.put("architectures", List.of("GPT2LMHeadModel"));
        m.put("attn_pdrop", 0.1);
        m.put("embd_pdrop", 0.1);
        m.put("initializer_range", 0.02);
        m.put("layer_norm_epsilon", Double.parseDouble(Float.toString(c.layerNormEpsilon())));
        m.put("model_type", "gpt2");
        m.put("n_ctx", c.maxSeqLen());
        m.put("n_embd", c.channels());
        m.put("n_head", c.heads());
        m.put("n_inner", null);
        m.put("n_layer", c.layers());
        m.put("n_positions", c.maxSeqLen());
        m.put("reorder_and_upcast_attn", false);
        m.put("resid_pdrop", 0.1);
        m.put("scale_attn_by_inverse_layer_idx", false);
        m.put("scale_attn_weights", true);
        m.put("tie_word_embeddings", true);
        m.put("torch_dtype", "float32");
        m.put("use_cache", true);
        m.put("vocab_size", c.vocabSize());
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
