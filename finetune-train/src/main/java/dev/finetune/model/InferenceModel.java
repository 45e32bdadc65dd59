package dev.finetune.model;

import dev.finetune.kernel.WeightMatrix;
import dev.finetune.kernel.WeightType;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A causal LM's weights packed read-only for KV-cached decoding, each matrix a {@link WeightMatrix} in
 * the dtype it was stored in (a BF16 or F16 checkpoint stays at 2 bytes a weight, widened in registers;
 * F32 stays F32) or in a {@link WeightType} the caller asks for ({@code BF16}, {@code F16}, or the
 * weight-only int8 {@code Q8_0}). Norms, biases and GPT-2's position embedding stay float. Decoders
 * are the family's own ({@code GPT2Decoder}, {@code LlamaDecoder}), so they compute what the trainable
 * model's decoder computes, on other storage.
 *
 * <p>{@link #load} reads a HuggingFace folder (GPT-2, or the Llama family, single or sharded) straight
 * into that storage without building the float model: 16-bit tensors are read as raw bits, conversions
 * go a few rows at a time (GPT-2's Conv1D weights, stored [in, out], are transposed one tensor at a
 * time), so the heap holds the packed weights plus at most one tensor in transit. The checks are the
 * checkpoint loaders' ({@link GPT2Checkpoint}, {@link LlamaCheckpoint}): every tensor present once with
 * the shape config.json implies, float dtypes only, a stored head equal to a tied embedding.
 *
 * <p>Thread-safe: decoders only read the weights; many may run at once.
 */
public final class InferenceModel implements Decodable {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceModel.class);
    private static final Pattern GPT2_MASK = Pattern.compile("h\\.\\d+\\.attn\\.(bias|masked_bias)");
    private static final Pattern LLAMA_SKIPPED = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");
    private static final String GPT2_PREFIX = "transformer.";
    /** Floats converted per read when a tensor changes dtype (4 MB). */
    private static final int CHUNK_FLOATS = 1 << 20;

    private final ModelConfig config;
    private final GPT2Decoder.Weights gpt2;
    private final LlamaDecoder.Weights llama;
    private final String types;

    private InferenceModel(ModelConfig config, GPT2Decoder.Weights gpt2, LlamaDecoder.Weights llama, String types) {
        this.config = config;
        this.gpt2 = gpt2;
        this.llama = llama;
        this.types = types;
    }

    /**
     * The weights of {@code model} for decoding in {@code type}: for F32 views of its own parameters
     * (no copy: training the model later shows through), otherwise a packed copy (rounded to nearest
     * for BF16/F16, quantized for Q8_0) independent of the model.
     */
    public static InferenceModel of(CausalLM model, WeightType type) {
        if (model instanceof GPT2 g) {
            return new InferenceModel(g.config(), type == WeightType.F32 ? GPT2Decoder.Weights.view(g)
                    : GPT2Decoder.Weights.pack(g, type), null, type.optionName());
        }
        if (model instanceof Llama l) {
            return new InferenceModel(l.config(), null, type == WeightType.F32 ? LlamaDecoder.Weights.view(l)
                    : LlamaDecoder.Weights.pack(l, type), type.optionName());
        }
        throw new IllegalArgumentException("no inference packing for " + model.getClass().getName());
    }

    /** Loads the folder with every matrix in the dtype it is stored in. */
    public static InferenceModel load(Path dir) {
        return load(dir, null);
    }

    /**
     * Loads the folder ({@code config.json} + safetensors) for decoding, every matrix in {@code type}, or
     * in its stored dtype when {@code type} is null. Throws {@link ModelFormatException} naming the file,
     * the tensor and the rule for a folder the checkpoint loaders would refuse.
     */
    public static InferenceModel load(Path dir, WeightType type) {
        String family = CausalLMs.family(dir);
        InferenceModel m = family.equals("gpt2") ? loadGpt2(dir, type) : loadLlama(dir, type);
        LOG.debug("loaded {} for inference from {}: {} MB of weights ({})", m.config, dir, m.weightBytes() >> 20, m.types);
        return m;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public CausalLM.Decoder newDecoder(int capacity) {
        return gpt2 != null ? new GPT2Decoder(gpt2, capacity) : new LlamaDecoder(llama, capacity);
    }

    @Override
    public long weightBytes() {
        return gpt2 != null ? gpt2.bytes() : llama.bytes();
    }

    /**
     * Bytes one decode step reads from the weight matrices (every matrix once, the head included; not an
     * untied embedding, of which a step reads one row): tokens/s times this is the weight bandwidth reached.
     */
    public long streamedBytesPerToken() {
        return gpt2 != null ? gpt2.matrixBytes() : llama.streamedBytes();
    }

    /** The matrix that holds tensor {@code name} (HF name, no {@code transformer.} prefix), for tests. */
    WeightMatrix matrix(String name) {
        WeightMatrix m = gpt2 != null ? gpt2.byName.get(name) : llama.byName.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no matrix " + name);
        }
        return m;
    }

    /** The matrices' storage types, e.g. {@code bf16}, or {@code f32+bf16} for a checkpoint that mixes them. */
    public String types() {
        return types;
    }

    @Override
    public String toString() {
        return config + " for inference (" + types + ", " + (weightBytes() >> 20) + " MB)";
    }

    // ---------------------------------------------------------------------------------------------
    // loading

    /** A tensor as found: where it is stored and what the header says. */
    private record Found(SafetensorsReader reader, String stored, TensorInfo info) {
    }

    private static InferenceModel loadGpt2(Path dir, WeightType type) {
        GPT2Config config = GPT2Checkpoint.readConfig(dir.resolve(GPT2Checkpoint.CONFIG_FILE));
        Path file = dir.resolve(GPT2Checkpoint.WEIGHTS_FILE);
        List<TensorView> layout = GPT2.layout(config);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            Map<String, TensorView> expected = byName(layout);
            Map<String, Found> found = new LinkedHashMap<>();
            String lmHead = null;
            for (TensorInfo t : reader.tensors()) {
                String name = t.name().startsWith(GPT2_PREFIX) ? t.name().substring(GPT2_PREFIX.length()) : t.name();
                if (GPT2_MASK.matcher(name).matches()) {
                    continue;
                }
                if (name.equals("lm_head.weight")) {
                    lmHead = t.name();
                    continue;
                }
                TensorView v = expected.get(name);
                if (v == null) {
                    throw new ModelFormatException(file + ": tensor \"" + t.name() + "\" is not part of a GPT-2 with "
                            + config.layers() + " layers (config.json)");
                }
                Found previous = found.put(name, new Found(reader, t.name(), t));
                if (previous != null) {
                    throw new ModelFormatException(file + ": tensor \"" + name + "\" is stored twice, as \"" + previous.stored()
                            + "\" and \"" + t.name() + "\"");
                }
                checkTensor(file, t, v);
            }
            for (TensorView v : layout) {
                if (!found.containsKey(v.name())) {
                    throw new ModelFormatException(file + ": tensor \"" + v.name() + "\" (or \"" + GPT2_PREFIX + v.name()
                            + "\") is missing");
                }
            }
            if (lmHead != null) {
                Found wte = found.get("wte.weight");
                TensorInfo h = reader.tensor(lmHead);
                if (!Arrays.equals(h.shape(), wte.info().shape())) {
                    throw new ModelFormatException(file + ": tensor \"" + lmHead + "\" has shape " + h.shapeText()
                            + "; an lm_head must be tied to wte.weight " + wte.info().shapeText());
                }
                checkEqual(file, new Found(reader, lmHead, h), wte, "only GPT-2 models whose output head is tied to the "
                        + "token embedding are supported", "wte.weight");
            }
            Small small = Small.of(layout, GPT2Decoder.Weights::isMatrix, found);
            Set<String> kinds = new LinkedHashSet<>();
            GPT2Decoder.Weights w = new GPT2Decoder.Weights(config, small.p, small.offsets::get, name -> {
                Found f = found.get(name);
                long[] s = f.info().shape();
                WeightMatrix m = name.equals("wte.weight") ? matrix(f, (int) s[0], (int) s[1], false, type)
                        : matrix(f, (int) s[1], (int) s[0], true, type);
                kinds.add(m.type().optionName());
                return m;
            });
            return new InferenceModel(config, w, null, String.join("+", kinds));
        }
    }

    private static InferenceModel loadLlama(Path dir, WeightType type) {
        Map<String, Path> fileOf = LlamaCheckpoint.weightFiles(dir);
        boolean oBias = fileOf.containsKey("model.layers.0.self_attn.o_proj.bias");
        LlamaConfig config = LlamaConfig.read(dir.resolve(LlamaCheckpoint.CONFIG_FILE), oBias);
        List<TensorView> layout = Llama.layout(config);
        Map<String, TensorView> expected = byName(layout);
        Map<Path, SafetensorsReader> readers = new LinkedHashMap<>();
        try {
            Map<String, Found> found = new LinkedHashMap<>();
            Found storedHead = null;
            for (Path file : new LinkedHashSet<>(fileOf.values())) {
                SafetensorsReader reader = SafetensorsReader.open(file);
                readers.put(file, reader);
                for (TensorInfo t : reader.tensors()) {
                    String name = t.name();
                    if (LLAMA_SKIPPED.matcher(name).matches()) {
                        continue;
                    }
                    if (name.equals("lm_head.weight") && config.tiedEmbeddings()) {
                        storedHead = new Found(reader, name, t);
                        continue;
                    }
                    TensorView v = expected.get(name);
                    if (v == null) {
                        throw new ModelFormatException(file + ": tensor \"" + name + "\" is not part of a " + config.family()
                                + " model as config.json describes it (" + config.layers() + " layers"
                                + (config.qkvBias() ? "" : ", no q/k/v biases") + (config.tiedEmbeddings() ? ", tied head" : "") + ")");
                    }
                    if (found.put(name, new Found(reader, name, t)) != null) {
                        throw new ModelFormatException(file + ": tensor \"" + name + "\" is stored twice");
                    }
                    checkTensor(file, t, v);
                }
            }
            for (TensorView v : layout) {
                if (!found.containsKey(v.name())) {
                    throw new ModelFormatException(dir + ": tensor \"" + v.name() + "\" is missing from the weights");
                }
            }
            if (storedHead != null) {
                Found emb = found.get("model.embed_tokens.weight");
                if (!Arrays.equals(storedHead.info().shape(), emb.info().shape())) {
                    throw new ModelFormatException(storedHead.reader().file() + ": tensor \"lm_head.weight\" has shape "
                            + storedHead.info().shapeText() + "; with tie_word_embeddings true it must equal "
                            + "model.embed_tokens.weight " + emb.info().shapeText());
                }
                checkEqual(storedHead.reader().file(), storedHead, emb, "although config.json says tie_word_embeddings true",
                        "model.embed_tokens.weight");
            }
            Small small = Small.of(layout, LlamaDecoder.Weights::isMatrix, found);
            Set<String> kinds = new LinkedHashSet<>();
            LlamaDecoder.Weights w = new LlamaDecoder.Weights(config, small.p, small.offsets::get, name -> {
                Found f = found.get(name);
                long[] s = f.info().shape();
                WeightMatrix m = matrix(f, (int) s[0], (int) s[1], false, type);
                kinds.add(m.type().optionName());
                return m;
            });
            return new InferenceModel(config, null, w, String.join("+", kinds));
        } finally {
            for (SafetensorsReader r : readers.values()) {
                r.close();
            }
        }
    }

    private static Map<String, TensorView> byName(List<TensorView> layout) {
        Map<String, TensorView> m = new HashMap<>();
        for (TensorView v : layout) {
            m.put(v.name(), v);
        }
        return m;
    }

    private static void checkTensor(Path file, TensorInfo t, TensorView v) {
        if (!Arrays.equals(t.shape(), v.longShape())) {
            throw new ModelFormatException(file + ": tensor \"" + t.name() + "\" has shape " + t.shapeText()
                    + " but config.json implies " + Arrays.toString(v.shape()));
        }
        if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
            throw new ModelFormatException(file + ": tensor \"" + t.name() + "\" is " + t.dtype() + "; weights must be F32, F16 or BF16");
        }
    }

    /** A stored head must equal the embedding it is tied to, element by element (compared a chunk at a time). */
    private static void checkEqual(Path file, Found head, Found emb, String rule, String embName) {
        long n = head.info().numel();
        float[] a = new float[(int) Math.min(n, CHUNK_FLOATS)];
        float[] b = new float[a.length];
        for (long from = 0; from < n; from += a.length) {
            int count = (int) Math.min(a.length, n - from);
            head.reader().readFloats(head.stored(), from, count, a, 0);
            emb.reader().readFloats(emb.stored(), from, count, b, 0);
            for (int i = 0; i < count; i++) {
                if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                    throw new ModelFormatException(file + ": tensor \"" + head.stored() + "\" differs from " + embName
                            + " (element " + (from + i) + ") " + rule);
                }
            }
        }
    }

    /** Norms, biases (and GPT-2's wpe) read into one float array, each at its offset. */
    private record Small(float[] p, Map<String, Integer> offsets) {
        static Small of(List<TensorView> layout, java.util.function.Predicate<String> isMatrix, Map<String, Found> found) {
            Map<String, Integer> offsets = new HashMap<>();
            int n = 0;
            for (TensorView v : layout) {
                if (!isMatrix.test(v.name())) {
                    offsets.put(v.name(), n);
                    n += v.size();
                }
            }
            float[] p = new float[n];
            for (TensorView v : layout) {
                if (!isMatrix.test(v.name())) {
                    Found f = found.get(v.name());
                    f.reader().readFloats(f.stored(), p, offsets.get(v.name()));
                }
            }
            return new Small(p, offsets);
        }
    }

    /**
     * The tensor as a (rows, cols) matrix in {@code type} (null: its stored dtype). {@code conv1d}: stored
     * [cols, rows] (GPT-2's Conv1D), transposed here.
     */
    private static WeightMatrix matrix(Found f, int rows, int cols, boolean conv1d, WeightType type) {
        DType stored = f.info().dtype();
        WeightType target = type != null ? type : switch (stored) {
            case BF16 -> WeightType.BF16;
            case F16 -> WeightType.F16;
            default -> WeightType.F32;
        };
        int n = rows * cols;
        boolean sameHalf = target == WeightType.BF16 && stored == DType.BF16 || target == WeightType.F16 && stored == DType.F16;
        try {
            if (sameHalf) {
                short[] bits = new short[n];
                f.reader().readShorts(f.stored(), bits, 0);
                if (conv1d) {
                    short[] t = new short[n];
                    for (int i = 0; i < cols; i++) {
                        for (int r = 0; r < rows; r++) {
                            t[r * cols + i] = bits[i * rows + r];
                        }
                    }
                    bits = t;
                }
                return target == WeightType.BF16 ? WeightMatrix.bf16(bits, rows, cols) : WeightMatrix.f16(bits, rows, cols);
            }
            if (conv1d) {
                float[] a = new float[n];
                f.reader().readFloats(f.stored(), a, 0);
                return WeightMatrix.packTransposed(target, a, 0, cols, rows);
            }
            if (target == WeightType.F32) {
                float[] a = new float[n];
                f.reader().readFloats(f.stored(), a, 0);
                return WeightMatrix.f32(a, 0, rows, cols);
            }
            WeightMatrix m = WeightMatrix.allocate(target, rows, cols);
            int chunkRows = Math.max(1, CHUNK_FLOATS / Math.max(1, cols));
            float[] buf = new float[Math.min(rows, chunkRows) * cols];
            for (int r0 = 0; r0 < rows; r0 += chunkRows) {
                int k = Math.min(chunkRows, rows - r0);
                f.reader().readFloats(f.stored(), (long) r0 * cols, k * cols, buf, 0);
                m.setRows(r0, buf, 0, k);
            }
            return m;
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(f.reader().file() + ": tensor \"" + f.stored() + "\": " + e.getMessage(), e);
        }
    }
}
