package dev.finetune.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.finetune.kernel.Gemm;
import dev.finetune.kernel.Kernels;
import dev.finetune.model.CausalLM;
import dev.finetune.model.CausalLM.LinearLayer;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.model.ModelFormatException;
import dev.finetune.model.TensorView;
import dev.finetune.optim.AdamW;
import dev.finetune.safetensors.AtomicFiles;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.SafetensorsWriter;
import dev.finetune.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * LoRA on a {@link CausalLM}'s named linear layers, in PEFT's terms: for every adapted module,
 * {@code out += (alpha/r) · (inp · Aᵀ) · Bᵀ} with A {@code [r, in]} and B {@code [out, r]}, the layouts
 * PEFT stores. A starts uniform in ±1/sqrt(in) (PEFT's kaiming-uniform bound for a = sqrt(5)), B at 0,
 * so a fresh adapter leaves the model unchanged.
 *
 * <p>Modules are chosen by PEFT's {@code target_modules} rule: a module matches a target when its full
 * name equals it or ends with {@code "." + target} ({@code q_proj} matches
 * {@code model.layers.3.self_attn.q_proj}; {@code attn.c_proj} matches GPT-2's attention projection but
 * not {@code mlp.c_proj}). The service's presets map as:
 * <ul>
 *   <li>Llama family: QV = [q_proj, v_proj]; QKVO = + [k_proj, o_proj]; QKVO_FFN = + [gate_proj, up_proj, down_proj].</li>
 *   <li>GPT-2 (whose q, k and v are one Conv1D, {@code c_attn}, that PEFT can only adapt whole):
 *       QV = [c_attn]; QKVO = [c_attn, attn.c_proj]; QKVO_FFN = [c_attn, c_proj, c_fc].</li>
 * </ul>
 *
 * <p>All adapter weights live in one flat buffer (and one gradient buffer), A then B per module in
 * forward order, with a {@link TensorView} per PEFT tensor. Files: {@code adapter_model.safetensors}
 * with {@code base_model.model.<module>.lora_A.weight} / {@code .lora_B.weight}, and
 * {@code adapter_config.json}; {@link #savePeft} and {@link #loadPeft} read and write exactly that.
 */
public final class LoraAdapter implements CausalLM.Adapter {
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String CONFIG_FILE = "adapter_config.json";
    private static final String PEFT_PREFIX = "base_model.model.";

    /** The service's LORA_TARGET_MODULES presets. */
    public enum Targets {
        QV, QKVO, QKVO_FFN;

        /** PEFT target_modules of this preset for a model family ({@code gpt2}, {@code llama}, {@code qwen2}). */
        public List<String> modules(String family) {
            if (family.equals("gpt2")) {
                return switch (this) {
                    case QV -> List.of("c_attn");
                    case QKVO -> List.of("c_attn", "attn.c_proj");
                    case QKVO_FFN -> List.of("c_attn", "c_proj", "c_fc");
                };
            }
            return switch (this) {
                case QV -> List.of("q_proj", "v_proj");
                case QKVO -> List.of("q_proj", "k_proj", "v_proj", "o_proj");
                case QKVO_FFN -> List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
            };
        }
    }

    /** One adapted module: A (r, in) at {@code a}, B (out, r) at {@code b}. */
    private static final class Piece {
        final LinearLayer layer;
        final int a;
        final int b;
        float[] h = new float[0];  // (N, r) scaled by alpha/r, kept for backward
        float[] dh = new float[0];

        Piece(LinearLayer layer, int a, int b) {
            this.layer = layer;
            this.a = a;
            this.b = b;
        }
    }

    private final String family;
    private final int rank;
    private final double alpha;
    private final float scale;
    private final Targets preset;
    private final List<String> targetModules;
    private final List<Piece> pieces = new ArrayList<>();
    private final Piece[] byLinear;
    private final List<TensorView> tensors;
    private final float[] params;
    private final float[] grads;
    private final int lowest;
    private final Gemm gemm = Kernels.gemm();

    /** An adapter on {@code model}'s modules matching {@code targetModules} (PEFT names), rank r, scale alpha/r. */
    public LoraAdapter(CausalLM model, int rank, double alpha, List<String> targetModules, long seed) {
        this(model.config().family(), model.linearLayers(), rank, alpha, null, targetModules, seed);
    }

    /** An adapter on one of the service's presets. */
    public LoraAdapter(CausalLM model, int rank, int alpha, Targets targets, long seed) {
        this(model.config().family(), model.linearLayers(), rank, alpha, targets, targets.modules(model.config().family()), seed);
    }

    /** A GPT-2 adapter from the shape alone (what the trainer builds before it has the model at hand). */
    public LoraAdapter(GPT2Config cfg, int rank, int alpha, Targets targets, long seed) {
        this(cfg.family(), GPT2.linearLayers(cfg), rank, alpha, targets, targets.modules(cfg.family()), seed);
    }

    private LoraAdapter(String family, List<LinearLayer> linears, int rank, double alpha, Targets preset,
                        List<String> targetModules, long seed) {
        if (rank < 1 || !(alpha > 0)) {
            throw new IllegalArgumentException("LoRA rank and alpha must be positive, got " + rank + ", " + alpha);
        }
        this.family = family;
        this.rank = rank;
        this.alpha = alpha;
        this.scale = (float) (alpha / rank);
        this.preset = preset;
        this.targetModules = List.copyOf(targetModules);
        this.byLinear = new Piece[linears.size()];
        List<TensorView> views = new ArrayList<>();
        int off = 0;
        int low = Integer.MAX_VALUE;
        for (LinearLayer l : linears) {
            if (!matches(l.module(), targetModules)) {
                continue;
            }
            int a = off;
            off += rank * l.in();
            int b = off;
            off += l.out() * rank;
            Piece p = new Piece(l, a, b);
            pieces.add(p);
            byLinear[l.index()] = p;
            views.add(new TensorView(PEFT_PREFIX + l.module() + ".lora_A.weight", a, new int[] {rank, l.in()}));
            views.add(new TensorView(PEFT_PREFIX + l.module() + ".lora_B.weight", b, new int[] {l.out(), rank}));
            low = Math.min(low, l.layer());
        }
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException("target_modules " + targetModules + " match no linear layer of this " + family
                    + " model (its modules end in " + shortNames(linears) + ")");
        }
        this.lowest = low;
        this.tensors = Collections.unmodifiableList(views);
        params = new float[off];
        grads = new float[off];
        Random rnd = new Random(seed);
        for (Piece p : pieces) {
            float bound = (float) (1.0 / Math.sqrt(p.layer.in()));
            for (int i = 0; i < rank * p.layer.in(); i++) {
                params[p.a + i] = (rnd.nextFloat() * 2 - 1) * bound;
            }
        }
    }

    /** PEFT's match: the module's name equals a target or ends with "." + target; a single string target is a regex. */
    static boolean matches(String module, List<String> targets) {
        for (String t : targets) {
            if (module.equals(t) || module.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> shortNames(List<LinearLayer> linears) {
        Set<String> s = new LinkedHashSet<>();
        linears.forEach(l -> s.add(l.shortName()));
        return s;
    }

    public float[] parameters() {
        return params;
    }

    public float[] gradients() {
        return grads;
    }

    /** One view per PEFT tensor ({@code base_model.model.<module>.lora_A.weight} [r, in], {@code .lora_B.weight} [out, r]). */
    public List<TensorView> tensors() {
        return tensors;
    }

    public int rank() {
        return rank;
    }

    public double alpha() {
        return alpha;
    }

    /** The preset this adapter was built from, or null when built from explicit module names. */
    public Targets targets() {
        return preset;
    }

    /** The PEFT target_modules. */
    public List<String> targetModules() {
        return targetModules;
    }

    public void zeroGrad() {
        java.util.Arrays.fill(grads, 0f);
    }

    /** The optimizer slice of every adapter weight (no weight decay). */
    public AdamW.Slice slice() {
        return slice(false);
    }

    /** The optimizer slice of every adapter weight, with or without weight decay. */
    public AdamW.Slice slice(boolean decay) {
        return new AdamW.Slice("lora", params, grads, 0, params.length, decay);
    }

    @Override
    public int lowestLayer() {
        return lowest;
    }

    @Override
    public void forward(int linear, float[] out, float[] inp, int N) {
        Piece p = byLinear[linear];
        if (p == null) {
            return;
        }
        int in = p.layer.in();
        int oc = p.layer.out();
        if (p.h.length < N * rank) {
            p.h = new float[N * rank];
            p.dh = new float[N * rank];
        }
        // h (N,r) = scale · inp (N,in) · Aᵀ, A (r,in)
        gemm.gemm(false, true, N, rank, in, inp, 0, in, params, p.a, in, p.h, 0, rank, false);
        for (int i = 0; i < N * rank; i++) {
            p.h[i] *= scale;
        }
        // out (N,out) += h (N,r) · Bᵀ, B (out,r)
        gemm.gemm(false, true, N, oc, rank, p.h, 0, rank, params, p.b, rank, out, 0, oc, true);
    }

    @Override
    public void backward(int linear, float[] dinp, float[] dout, float[] inp, int N) {
        Piece p = byLinear[linear];
        if (p == null) {
            return;
        }
        int in = p.layer.in();
        int oc = p.layer.out();
        // dB (out,r) += doutᵀ · h
        gemm.gemm(true, false, oc, rank, N, dout, 0, oc, p.h, 0, rank, grads, p.b, rank, true);
        // dh (N,r) = scale · dout (N,out) · B (out,r)
        gemm.gemm(false, false, N, rank, oc, dout, 0, oc, params, p.b, rank, p.dh, 0, rank, false);
        for (int i = 0; i < N * rank; i++) {
            p.dh[i] *= scale;
        }
        // dA (r,in) += dhᵀ · inp ; dinp (N,in) += dh · A
        gemm.gemm(true, false, rank, in, N, p.dh, 0, rank, inp, 0, in, grads, p.a, in, true);
        if (dinp != null) {
            gemm.gemm(false, false, N, in, rank, p.dh, 0, rank, params, p.a, in, dinp, 0, in, true);
        }
    }

    /** Adds {@code scale · B·A} into the base weights, after which the model alone equals model + adapter. */
    public void mergeInto(CausalLM model) {
        if (model instanceof dev.finetune.model.Llama llama && llama.isFrozenBf16()) {
            throw new IllegalStateException("cannot merge into a model whose matrices are held frozen in BF16 "
                    + "(Llama.frozenBf16): merge into the base loaded in float (LlamaCheckpoint.load)");
        }
        float[] w = model.parameters();
        for (Piece p : pieces) {
            LinearLayer l = p.layer;
            int wOff = model.tensor(l.weight()).offset();
            float[] scaledB = new float[l.out() * rank];
            for (int i = 0; i < scaledB.length; i++) {
                scaledB[i] = params[p.b + i] * scale;
            }
            if (l.fanInFanOut()) {
                // W (in,out) += Aᵀ (in,r) · scaledBᵀ (r,out)
                gemm.gemm(true, true, l.in(), l.out(), rank, params, p.a, l.in(), scaledB, 0, rank, w, wOff, l.out(), true);
            } else {
                // W (out,in) += scaledB (out,r) · A (r,in)
                gemm.gemm(false, false, l.out(), l.in(), rank, scaledB, 0, rank, params, p.a, l.in(), w, wOff, l.in(), true);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // PEFT files

    /** Writes the adapter weights (F32, PEFT names) to {@code file}; {@code alpha} is recorded in the metadata. */
    public void save(Path file, int alpha) {
        SafetensorsWriter w = new SafetensorsWriter();
        for (TensorView v : tensors) {
            w.addFloats(v.name(), DType.F32, v.longShape(), params, v.offset());
        }
        w.write(file);
    }

    /**
     * Writes {@code dir/adapter_model.safetensors} and {@code dir/adapter_config.json} as PEFT's
     * {@code save_pretrained} does, so the result opens with {@code PeftModel.from_pretrained}.
     */
    public void savePeft(Path dir, String baseModelNameOrPath) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot create: " + e.getMessage(), e);
        }
        save(dir.resolve(WEIGHTS_FILE), 0);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("r", rank);
        c.put("lora_alpha", alpha == Math.rint(alpha) ? (Object) (int) alpha : (Object) alpha);
        c.put("lora_dropout", 0.0);
        c.put("bias", "none");
        c.put("target_modules", targetModules);
        c.put("fan_in_fan_out", family.equals("gpt2"));
        c.put("base_model_name_or_path", baseModelNameOrPath);
        c.put("inference_mode", true);
        c.put("modules_to_save", null);
        Path file = dir.resolve(CONFIG_FILE);
        try {
            String json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(c) + "\n";
            AtomicFiles.write(file, json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Reads weights written by {@link #save} (PEFT names) into this adapter; every tensor must be there, with its shape. */
    public void load(Path file) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            Set<String> expected = new LinkedHashSet<>();
            for (TensorView v : tensors) {
                expected.add(v.name());
                TensorInfo t = r.find(v.name()).orElseThrow(() -> new ModelFormatException(file + ": tensor \"" + v.name()
                        + "\" is missing (the adapter config targets " + targetModules + ")"));
                if (!java.util.Arrays.equals(t.shape(), v.longShape())) {
                    throw new ModelFormatException(file + ": tensor \"" + v.name() + "\" has shape " + t.shapeText()
                            + ", the model needs " + java.util.Arrays.toString(v.shape()) + " (rank " + rank + ")");
                }
                r.readFloats(v.name(), params, v.offset());
            }
            for (TensorInfo t : r.tensors()) {
                if (!expected.contains(t.name())) {
                    throw new ModelFormatException(file + ": tensor \"" + t.name() + "\" is not a LoRA weight of a module in "
                            + targetModules + " of this model");
                }
            }
        }
    }

    /**
     * Opens a PEFT LoRA folder ({@code adapter_config.json} + {@code adapter_model.safetensors}) for
     * {@code model}. Fails naming the key for what this build does not compute (another peft_type, DoRA,
     * rank/alpha patterns, bias training, rsLoRA).
     */
    public static LoraAdapter loadPeft(CausalLM model, Path dir) {
        Path file = dir.resolve(CONFIG_FILE);
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (c == null || !c.isObject()) {
            throw new ModelFormatException(file + ": not a JSON object");
        }
        String type = c.path("peft_type").asText("LORA");
        if (!type.equals("LORA")) {
            throw new ModelFormatException(file + ": peft_type \"" + type + "\" is not supported (only LORA)");
        }
        if (!c.path("r").canConvertToInt() || c.path("r").asInt() < 1) {
            throw new ModelFormatException(file + ": r must be a positive integer, got " + c.get("r"));
        }
        if (!c.path("lora_alpha").isNumber()) {
            throw new ModelFormatException(file + ": lora_alpha must be a number, got " + c.get("lora_alpha"));
        }
        for (String flag : List.of("use_dora", "use_rslora")) {
            if (c.path(flag).asBoolean(false)) {
                throw new ModelFormatException(file + ": " + flag + " true is not supported");
            }
        }
        for (String pattern : List.of("rank_pattern", "alpha_pattern")) {
            JsonNode n = c.get(pattern);
            if (n != null && !n.isNull() && n.size() > 0) {
                throw new ModelFormatException(file + ": " + pattern + " " + n + " is not supported (one r and lora_alpha for all modules)");
            }
        }
        String bias = c.path("bias").asText("none");
        if (!bias.equals("none")) {
            throw new ModelFormatException(file + ": bias \"" + bias + "\" is not supported (only none)");
        }
        JsonNode tm = c.get("target_modules");
        List<String> targets = new ArrayList<>();
        if (tm != null && tm.isArray()) {
            tm.forEach(t -> targets.add(t.asText()));
        } else if (tm != null && tm.isTextual()) {
            String s = tm.asText();
            Pattern re = Pattern.compile(s.equals("all-linear") ? ".*" : s);
            for (LinearLayer l : model.linearLayers()) {
                if (re.matcher(l.module()).matches()) {
                    targets.add(l.module());
                }
            }
        } else {
            throw new ModelFormatException(file + ": target_modules must be a list of module names or a regex, got " + tm);
        }
        LoraAdapter a;
        try {
            a = new LoraAdapter(model.config().family(), model.linearLayers(), c.get("r").asInt(), c.get("lora_alpha").asDouble(),
                    null, targets, 0);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
        a.load(dir.resolve(WEIGHTS_FILE));
        return a;
    }
}
