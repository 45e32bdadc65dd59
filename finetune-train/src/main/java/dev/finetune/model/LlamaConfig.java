package dev.finetune.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a Llama-family model in HuggingFace {@code LlamaConfig} / {@code Qwen2Config} terms:
 * RMSNorm, rotary embeddings in the rotate_half layout, grouped-query attention, a SwiGLU MLP, and an
 * output head that is either {@code lm_head} or the token embedding.
 *
 * @param family            {@code "llama"} (LlamaForCausalLM: Llama 3.x, SmolLM2) or {@code "qwen2"}
 * @param vocabSize         {@code vocab_size}
 * @param hiddenSize        {@code hidden_size}, C
 * @param intermediateSize  {@code intermediate_size}, I (the MLP width)
 * @param layers            {@code num_hidden_layers}
 * @param heads             {@code num_attention_heads}, NH
 * @param kvHeads           {@code num_key_value_heads}, KVH (divides NH)
 * @param headDim           {@code head_dim} (default C / NH; need not be that)
 * @param maxSeqLen         {@code max_position_embeddings}
 * @param rmsNormEps        {@code rms_norm_eps}
 * @param ropeTheta         {@code rope_theta} (or {@code rope_parameters.rope_theta})
 * @param ropeScaling       {@code rope_scaling} of type llama3, or null for none
 * @param qkvBias           q/k/v projections have biases (Qwen2; Llama's {@code attention_bias})
 * @param oBias             o_proj has a bias (Llama's {@code attention_bias})
 * @param tiedEmbeddings    {@code tie_word_embeddings}: the head is the token embedding
 * @param dtype             {@code torch_dtype} / {@code dtype}: float32, bfloat16 or float16 (what saving writes)
 * @param bosTokenId        {@code bos_token_id} or -1
 * @param eosTokenId        {@code eos_token_id} (the first, when a list) or -1
 */
public record LlamaConfig(String family, int vocabSize, int hiddenSize, int intermediateSize, int layers, int heads,
                          int kvHeads, int headDim, int maxSeqLen, float rmsNormEps, double ropeTheta,
                          RopeScaling ropeScaling, boolean qkvBias, boolean oBias, boolean tiedEmbeddings, String dtype,
                          int bosTokenId, int eosTokenId) implements ModelConfig {

    /** {@code rope_scaling} / {@code rope_parameters} of {@code rope_type} llama3. */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    }

    public LlamaConfig {
        if (!family.equals("llama") && !family.equals("qwen2")) {
            throw new IllegalArgumentException("model_type \"" + family + "\" is not a Llama-family type (llama, qwen2)");
        }
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", layers);
        positive("num_attention_heads", heads);
        positive("num_key_value_heads", kvHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxSeqLen);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " is odd (rotary embeddings rotate pairs)");
        }
        if (!(rmsNormEps > 0) || Float.isInfinite(rmsNormEps)) {
            throw new IllegalArgumentException("rms_norm_eps must be a positive number, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
            throw new IllegalArgumentException("rope_theta must be a positive number, got " + ropeTheta);
        }
        if (!List.of("float32", "bfloat16", "float16").contains(dtype)) {
            throw new IllegalArgumentException("torch_dtype \"" + dtype + "\" is not supported (float32, bfloat16, float16)");
        }
    }

    /** A Llama config for benchmarks and tests: head_dim C/NH, theta 10000 (SmolLM2 uses 100000), eps 1e-5, tied, F32. */
    public static LlamaConfig of(int vocab, int ctx, int hidden, int intermediate, int layers, int heads, int kvHeads) {
        return new LlamaConfig("llama", vocab, hidden, intermediate, layers, heads, kvHeads, hidden / heads, ctx, 1e-5f,
                10000.0, null, false, false, true, "float32", -1, -1);
    }

    @Override
    public String family() {
        return family;
    }

    /** NH · head_dim, the width of q and of o_proj's input. */
    public int qDim() {
        return heads * headDim;
    }

    /** KVH · head_dim, the width of k and v. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    @Override
    public long parameterCount() {
        long c = hiddenSize;
        long q = qDim();
        long kv = kvDim();
        long perLayer = c                                 // input_layernorm
                + q * c + 2 * kv * c + c * q              // q, k, v, o
                + (qkvBias ? q + 2 * kv : 0) + (oBias ? c : 0)
                + c                                       // post_attention_layernorm
                + 3 * c * intermediateSize;               // gate, up, down
        return (long) vocabSize * c * (tiedEmbeddings ? 1 : 2) + layers * perLayer + c;
    }

    /**
     * The inverse frequencies (head_dim/2) of the rotary embedding: theta^(-2i/head_dim), rescaled as
     * transformers' {@code _compute_llama3_parameters} does when {@link #ropeScaling} is set.
     */
    public double[] inverseFrequencies() {
        int half = headDim / 2;
        double[] f = new double[half];
        for (int i = 0; i < half; i++) {
            f[i] = 1.0 / Math.pow(ropeTheta, 2.0 * i / headDim);
        }
        if (ropeScaling != null) {
            RopeScaling s = ropeScaling;
            double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
            double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
            for (int i = 0; i < half; i++) {
                double wavelen = 2 * Math.PI / f[i];
                double scaled = wavelen > lowWavelen ? f[i] / s.factor() : f[i];
                if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                    double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor())
                            / (s.highFreqFactor() - s.lowFreqFactor());
                    scaled = (1 - smooth) * scaled / s.factor() + smooth * scaled;
                }
                f[i] = scaled;
            }
        }
        return f;
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // config.json

    /**
     * Parses a HuggingFace {@code config.json} of model_type llama or qwen2, applying transformers'
     * defaults for absent keys; a key whose value this build does not compute fails naming the key.
     * {@code oBiasStored} says whether the weights carry {@code o_proj.bias} (only read for Llama's
     * {@code attention_bias}).
     */
    public static LlamaConfig read(Path file, boolean oBiasStored) {
        return parse(file.toString(), readJson(file), oBiasStored);
    }

    static JsonNode readJson(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": no such file (a model folder needs config.json)");
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file + ": not a JSON object");
        }
        return root;
    }

    static LlamaConfig parse(String where, JsonNode root, boolean oBiasStored) {
        String type = text(where, root, "model_type", null);
        if (type == null) {
            throw new ModelFormatException(where + ": model_type is missing");
        }
        if (!type.equals("llama") && !type.equals("qwen2")) {
            throw new ModelFormatException(where + ": model_type \"" + type + "\" is not supported by the Llama family (llama, qwen2)");
        }
        boolean qwen = type.equals("qwen2");
        String act = text(where, root, "hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(where + ": hidden_act \"" + act + "\" is not supported (only silu)");
        }
        if (bool(where, root, "mlp_bias", false)) {
            throw new ModelFormatException(where + ": mlp_bias true is not supported (only false)");
        }
        if (root.has("quantization_config") && !root.get("quantization_config").isNull()) {
            throw new ModelFormatException(where + ": quantization_config is not supported (float weights only)");
        }
        if (qwen && bool(where, root, "use_sliding_window", false)) {
            throw new ModelFormatException(where + ": use_sliding_window true is not supported (full causal attention only)");
        }
        int tp = integer(where, root, "pretraining_tp", 1);
        if (tp < 1) {
            throw new ModelFormatException(where + ": pretraining_tp " + tp + " must be at least 1");
        }
        int hidden = integer(where, root, "hidden_size", 4096);
        int heads = integer(where, root, "num_attention_heads", 32);
        int kv = integer(where, root, "num_key_value_heads", heads);
        int headDim = root.hasNonNull("head_dim") ? integer(where, root, "head_dim", 0) : heads > 0 ? hidden / heads : 0;
        if (!root.hasNonNull("head_dim") && heads > 0 && hidden % heads != 0) {
            throw new ModelFormatException(where + ": hidden_size " + hidden + " is not a multiple of num_attention_heads "
                    + heads + " and head_dim is not given");
        }
        // rope: transformers 4 (rope_theta + rope_scaling) or 5 (rope_parameters)
        double theta = number(where, root, "rope_theta", 10000.0);
        JsonNode scaling = root.get("rope_scaling");
        String scalingKey = "rope_scaling";
        JsonNode params = root.get("rope_parameters");
        if (params != null && !params.isNull()) {
            if (!params.isObject()) {
                throw new ModelFormatException(where + ": rope_parameters must be an object, got " + params);
            }
            if (params.has("rope_theta")) {
                theta = number(where + " rope_parameters", params, "rope_theta", theta);
            }
            scaling = params;
            scalingKey = "rope_parameters";
        }
        RopeScaling rs = null;
        if (scaling != null && !scaling.isNull()) {
            if (!scaling.isObject()) {
                throw new ModelFormatException(where + ": " + scalingKey + " must be an object or null, got " + scaling);
            }
            String rt = scaling.hasNonNull("rope_type") ? scaling.get("rope_type").asText()
                    : scaling.hasNonNull("type") ? scaling.get("type").asText() : "default";
            if (rt.equals("llama3")) {
                String w = where + " " + scalingKey;
                rs = new RopeScaling(number(w, scaling, "factor", 8.0), number(w, scaling, "low_freq_factor", 1.0),
                        number(w, scaling, "high_freq_factor", 4.0),
                        integer(w, scaling, "original_max_position_embeddings", 8192));
                if (!(rs.factor() > 0) || !(rs.highFreqFactor() > rs.lowFreqFactor()) || rs.originalMaxPositions() <= 0) {
                    throw new ModelFormatException(where + ": " + scalingKey + " " + scaling
                            + " is not a valid llama3 scaling (factor > 0, high_freq_factor > low_freq_factor)");
                }
            } else if (!rt.equals("default")) {
                throw new ModelFormatException(where + ": " + scalingKey + ".rope_type \"" + rt
                        + "\" is not supported (only default and llama3)");
            }
        }
        String dtype = root.hasNonNull("torch_dtype") ? text(where, root, "torch_dtype", "float32")
                : text(where, root, "dtype", "float32");
        boolean attBias = bool(where, root, "attention_bias", false);
        boolean qkvBias = qwen || attBias;
        boolean oBias = !qwen && attBias && oBiasStored;
        boolean tied = bool(where, root, "tie_word_embeddings", false);
        int eos = -1;
        JsonNode e = root.get("eos_token_id");
        if (e != null && e.isArray() && e.size() > 0) {
            eos = e.get(0).asInt();
        } else if (e != null && e.canConvertToInt()) {
            eos = e.asInt();
        }
        try {
            return new LlamaConfig(type, integer(where, root, "vocab_size", 32000), hidden,
                    integer(where, root, "intermediate_size", 11008), integer(where, root, "num_hidden_layers", 32), heads, kv,
                    headDim, integer(where, root, "max_position_embeddings", qwen ? 32768 : 2048),
                    (float) number(where, root, "rms_norm_eps", 1e-6), theta, rs, qkvBias, oBias, tied, dtype,
                    root.hasNonNull("bos_token_id") && root.get("bos_token_id").canConvertToInt()
                            ? root.get("bos_token_id").asInt() : -1, eos);
        } catch (IllegalArgumentException ex) {
            throw new ModelFormatException(where + ": " + ex.getMessage(), ex);
        }
    }

    /** The config.json text for this shape (transformers 4 keys), as save_pretrained would write it. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(family.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
        m.put("model_type", family);
        if (family.equals("llama")) {
            m.put("attention_bias", qkvBias);
        }
        m.put("bos_token_id", bosTokenId >= 0 ? bosTokenId : null);
        m.put("eos_token_id", eosTokenId >= 0 ? eosTokenId : null);
        m.put("head_dim", headDim);
        m.put("hidden_act", "silu");
        m.put("hidden_size", hiddenSize);
        m.put("intermediate_size", intermediateSize);
        m.put("max_position_embeddings", maxSeqLen);
        m.put("mlp_bias", false);
        m.put("num_attention_heads", heads);
        m.put("num_hidden_layers", layers);
        m.put("num_key_value_heads", kvHeads);
        m.put("rms_norm_eps", Double.parseDouble(Float.toString(rmsNormEps)));
        m.put("rope_scaling", ropeScaling == null ? null : Map.of("rope_type", "llama3", "factor", ropeScaling.factor(),
                "low_freq_factor", ropeScaling.lowFreqFactor(), "high_freq_factor", ropeScaling.highFreqFactor(),
                "original_max_position_embeddings", ropeScaling.originalMaxPositions()));
        m.put("rope_theta", ropeTheta);
        m.put("tie_word_embeddings", tiedEmbeddings);
        m.put("torch_dtype", dtype);
        m.put("vocab_size", vocabSize);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m) + "\n";
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String text(String where, JsonNode root, String key, String dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw new ModelFormatException(where + ": " + key + " must be a string, got " + n);
        }
        return n.asText();
    }

    private static int integer(String where, JsonNode root, String key, int dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.canConvertToExactIntegral() || !n.canConvertToInt()) {
            throw new ModelFormatException(where + ": " + key + " must be an integer, got " + n);
        }
        return n.asInt();
    }

    private static double number(String where, JsonNode root, String key, double dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw new ModelFormatException(where + ": " + key + " must be a number, got " + n);
        }
        return n.asDouble();
    }

    private static boolean bool(String where, JsonNode root, String key, boolean dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new ModelFormatException(where + ": " + key + " must be true or false, got " + n);
        }
        return n.asBoolean();
    }
}
