package dev.finetune.model;

import dev.finetune.kernel.Gemm;
import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.StepProfile;
import dev.finetune.kernel.StepProfile.Phase;
import dev.finetune.optim.AdamW;
import dev.finetune.safetensors.HalfFloats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The Llama family ({@code LlamaForCausalLM}: Llama 3.x, SmolLM2; {@code Qwen2ForCausalLM}) on
 * {@code float[]}, assembled from {@link Layers} as transformers' {@code modeling_llama.py} assembles
 * its modules, block by block:
 * <pre>
 *   h = input_layernorm(x)                              RMSNorm
 *   q, k, v = q_proj(h), k_proj(h), v_proj(h)           nn.Linear [out, in], biases for Qwen2
 *   q, k = rope(q), rope(k)                             rotate_half layout, rope_theta (+ llama3 scaling)
 *   x = x + o_proj(attention(q, k, v))                  causal, grouped-query (kv head h / (NH/KVH))
 *   h = post_attention_layernorm(x)
 *   x = x + down_proj(silu(gate_proj(h)) * up_proj(h))  SwiGLU
 *   logits = norm(x) · lm_headᵀ                         or · embed_tokensᵀ when tied
 * </pre>
 * Tensor names are HuggingFace's ({@code model.embed_tokens.weight}, {@code model.layers.0.self_attn.q_proj.weight},
 * ..., {@code model.norm.weight}, {@code lm_head.weight} unless tied). Same contract as {@link GPT2}:
 * one flat parameter buffer and one gradient buffer, activations allocated once per (B, T), frozen
 * tensors skipped in backward. The gradient buffer is allocated only when a base tensor trains, so a
 * LoRA run on a frozen base holds the weights once (4 bytes each, or 2 a matrix weight when the base is
 * held in BF16: {@link #frozenBf16}) plus activations.
 *
 * <p>Memory: weights 4·P bytes (P = {@link LlamaConfig#parameterCount()}), the same again for
 * gradients under full fine-tuning, and activations of about
 * {@code 4·(L·(5C + 2Q + 2KV + 3I + 2 + NH·T)·B·T + B·T·(V + 5C))} bytes (see {@link #activationBytes}).
 */
public final class Llama implements CausalLM {
    private final LlamaConfig config;
    private final Gemm gemm;
    private final float[] params;
    /**
     * The frozen 16-bit mode's matrices (embedding, the seven linears, an untied head) as BF16 bits at
     * their offsets; null in the ordinary mode. See {@link #frozenBf16}.
     */
    private final short[] params16;
    private float[] grads;
    private final List<TensorView> tensors;
    private final Map<String, Integer> indexByName;
    private final boolean[] trainable;
    private final List<LinearLayer> linears;
    private Adapter adapter;
    /** RoPE tables (maxSeqLen, headDim/2). */
    final float[] cos;
    final float[] sin;

    // parameter offsets; -1 when absent (biases)
    final int embed;
    final int head; // == embed when tied
    final int normf;
    final int[] ln1;
    final int[] wq;
    final int[] wk;
    final int[] wv;
    final int[] bq;
    final int[] bk;
    final int[] bv;
    final int[] wo;
    final int[] bo;
    final int[] ln2;
    final int[] wg;
    final int[] wu;
    final int[] wd;
    private final int[][] tensorOfLayer; // per layer: indices of its tensors
    private int lowestNeeded;

    private Acts acts;
    private int batch;
    private int seqLen;
    private boolean hasTargets;
    /** Whether the last pass ran packed rows (its positions in acts.positions). */
    private boolean packed;
    private boolean logitsValid;
    private boolean hiddenValid;
    private int validTargets;
    private float loss = Float.NaN;

    /** Linear layer {@code 7l + i} of block l, in forward order. */
    static final String[] MODULES = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
    private static final int Q = 0;
    private static final int K = 1;
    private static final int VP = 2;
    private static final int O = 3;
    private static final int G = 4;
    private static final int U = 5;
    private static final int D = 6;

    /** A model with every weight zero (fill it with {@link #parameters()} or {@link LlamaCheckpoint}). */
    public Llama(LlamaConfig config) {
        this(config, Kernels.gemm());
    }

    public Llama(LlamaConfig config, Gemm gemm) {
        this(config, gemm, true, false);
    }

    /**
     * A model whose matrices are frozen and held in BF16, 2 bytes a weight (fill them through
     * {@link #parameters16()}, the norms and biases, in float, through {@link #parameters()}): for LoRA on
     * a BF16 base, which then trains in half the memory of its float copy and computes, bit for bit, what
     * the float model holding the same (widened) weights computes; the products widen B as they pack it.
     * Its matrices cannot be made trainable. In this mode the layout puts the norms and biases first, in
     * {@code [0, }{@link #parameters()}{@code .length)}, and the matrices after them, so a matrix's
     * {@link TensorView#offset()} indexes {@link #parameters16()} and a norm's or bias's the float array.
     */
    public static Llama frozenBf16(LlamaConfig config) {
        return new Llama(config, Kernels.gemm(), true, true);
    }

    /**
     * Every tensor of a Llama-family model of this shape, in HuggingFace order, with its offset in the
     * flat buffer (no weights allocated: for loaders that keep the weights elsewhere).
     */
    public static List<TensorView> layout(LlamaConfig config) {
        return new Llama(config, null, false, false).tensors;
    }

    private Llama(LlamaConfig config, Gemm gemm, boolean allocate, boolean bf16Matrices) {
        this.config = config;
        this.gemm = gemm;
        long count = config.parameterCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a model of " + count + " weights does not fit one Java array (limit "
                    + (Integer.MAX_VALUE - 8) + "); the largest this build loads is about 2.1 billion weights");
        }
        int L = config.layers();
        int C = config.hiddenSize();
        int Qd = config.qDim();
        int KV = config.kvDim();
        int I = config.intermediateSize();
        List<TensorView> list = new ArrayList<>();
        // next[0] places vectors (norms, biases), next[1] matrices: one sequence in HF order, or, with the
        // matrices in BF16, the vectors first and the matrices after them
        long vectors = (long) L * 2 * C + C + (config.qkvBias() ? (long) L * (Qd + 2 * KV) : 0)
                + (config.oBias() ? (long) L * C : 0);
        int[] next = {0, (int) vectors};
        java.util.function.BiFunction<String, int[], Integer> add = (name, shape) -> {
            int slot = bf16Matrices && shape.length == 2 ? 1 : 0;
            TensorView v = new TensorView(name, next[slot], shape);
            list.add(v);
            next[slot] += v.size();
            if (!bf16Matrices) {
                next[1] = next[0];
            }
            return v.offset();
        };
        embed = add.apply("model.embed_tokens.weight", new int[] {config.vocabSize(), C});
        ln1 = new int[L];
        wq = new int[L];
        wk = new int[L];
        wv = new int[L];
        bq = new int[L];
        bk = new int[L];
        bv = new int[L];
        wo = new int[L];
        bo = new int[L];
        ln2 = new int[L];
        wg = new int[L];
        wu = new int[L];
        wd = new int[L];
        tensorOfLayer = new int[L][];
        List<LinearLayer> lin = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            int first = list.size();
            ln1[l] = add.apply(p + "input_layernorm.weight", new int[] {C});
            wq[l] = add.apply(p + "self_attn.q_proj.weight", new int[] {Qd, C});
            bq[l] = config.qkvBias() ? add.apply(p + "self_attn.q_proj.bias", new int[] {Qd}) : -1;
            wk[l] = add.apply(p + "self_attn.k_proj.weight", new int[] {KV, C});
            bk[l] = config.qkvBias() ? add.apply(p + "self_attn.k_proj.bias", new int[] {KV}) : -1;
            wv[l] = add.apply(p + "self_attn.v_proj.weight", new int[] {KV, C});
            bv[l] = config.qkvBias() ? add.apply(p + "self_attn.v_proj.bias", new int[] {KV}) : -1;
            wo[l] = add.apply(p + "self_attn.o_proj.weight", new int[] {C, Qd});
            bo[l] = config.oBias() ? add.apply(p + "self_attn.o_proj.bias", new int[] {C}) : -1;
            ln2[l] = add.apply(p + "post_attention_layernorm.weight", new int[] {C});
            wg[l] = add.apply(p + "mlp.gate_proj.weight", new int[] {I, C});
            wu[l] = add.apply(p + "mlp.up_proj.weight", new int[] {I, C});
            wd[l] = add.apply(p + "mlp.down_proj.weight", new int[] {C, I});
            tensorOfLayer[l] = java.util.stream.IntStream.range(first, list.size()).toArray();
            int[][] shapes = {{C, Qd}, {C, KV}, {C, KV}, {Qd, C}, {C, I}, {C, I}, {I, C}};
            for (int i = 0; i < MODULES.length; i++) {
                lin.add(new LinearLayer(lin.size(), p + MODULES[i], p + MODULES[i] + ".weight", l, shapes[i][0],
                        shapes[i][1], false));
            }
        }
        normf = add.apply("model.norm.weight", new int[] {C});
        head = config.tiedEmbeddings() ? embed : add.apply("lm_head.weight", new int[] {config.vocabSize(), C});
        if (next[1] != count || bf16Matrices && next[0] != vectors) {
            throw new IllegalStateException("layout holds " + next[1] + " weights (" + next[0] + " in vectors), config says "
                    + count + " (" + vectors + ")");
        }
        tensors = Collections.unmodifiableList(list);
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            byName.put(list.get(i).name(), i);
        }
        indexByName = Collections.unmodifiableMap(byName);
        linears = Collections.unmodifiableList(lin);
        params = allocate ? new float[bf16Matrices ? (int) vectors : (int) count] : null;
        params16 = allocate && bf16Matrices ? new short[(int) count] : null;
        trainable = new boolean[list.size()];
        // a frozen-BF16 model starts with nothing trainable (its matrices never are); the ordinary one all
        Arrays.fill(trainable, !bf16Matrices);
        float[][] rope = ropeTables(config);
        cos = rope[0];
        sin = rope[1];
        updateLowestNeeded();
    }

    /** The rotary tables {cos, sin}, each (positions, head_dim/2): angles in double, stored as float. */
    static float[][] ropeTables(LlamaConfig config) {
        int half = config.headDim() / 2;
        double[] f = config.inverseFrequencies();
        float[] cos = new float[config.maxSeqLen() * half];
        float[] sin = new float[config.maxSeqLen() * half];
        for (int t = 0; t < config.maxSeqLen(); t++) {
            for (int i = 0; i < half; i++) {
                double a = t * f[i];
                cos[t * half + i] = (float) Math.cos(a);
                sin[t * half + i] = (float) Math.sin(a);
            }
        }
        return new float[][] {cos, sin};
    }

    /**
     * A freshly initialised model, deterministic in {@code seed}: matrices normal with standard
     * deviation {@code std}, norms 1, biases 0.
     */
    public static Llama randomInit(LlamaConfig config, long seed, float std) {
        Llama m = new Llama(config);
        Random rnd = new Random(seed);
        for (TensorView v : m.tensors) {
            if (v.name().endsWith("norm.weight")) {
                Arrays.fill(m.params, v.offset(), v.offset() + v.size(), 1f);
            } else if (v.rank() == 2) {
                for (int i = 0; i < v.size(); i++) {
                    m.params[v.offset() + i] = (float) (rnd.nextGaussian() * std);
                }
            }
        }
        return m;
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public float[] parameters() {
        return params;
    }

    /** 4 bytes a weight, or, held frozen in BF16, 4 a norm or bias weight and 2 a matrix weight. */
    @Override
    public long weightBytes() {
        return params16 == null ? 4L * params.length : 4L * params.length + 2L * (params16.length - params.length);
    }

    /** Whether the matrices are frozen and held in BF16 ({@link #frozenBf16}). */
    public boolean isFrozenBf16() {
        return params16 != null;
    }

    /**
     * The BF16 bits of the matrices of a {@link #frozenBf16} model, at their tensors' offsets (the slots
     * below {@link #parameters()}{@code .length} unused). Fill them before the first pass; after it, the
     * model reads them as they are.
     */
    public short[] parameters16() {
        if (params16 == null) {
            throw new IllegalStateException("this model holds its weights in float: parameters() (parameters16() is "
                    + "for a model made by Llama.frozenBf16)");
        }
        return params16;
    }

    /**
     * This model with its matrices frozen in BF16 (rounded to nearest even, exact for weights that came from
     * a BF16 checkpoint) and its norms and biases copied; nothing of it trainable. The adapter is not carried.
     */
    public Llama toFrozenBf16() {
        return params16 != null ? this : convertInto(frozenBf16(config));
    }

    /** This model with its weights in float (a frozen-BF16 one widened, exactly; trainability as after construction). */
    public Llama toFloat() {
        return params16 == null ? this : convertInto(new Llama(config, gemm));
    }

    /**
     * Copies this model's weights into {@code m}, a model of the same config in the other storage: matrices
     * rounded to BF16 (to nearest even) or widened from it (exact), norms and biases copied. Returns m.
     */
    private Llama convertInto(Llama m) {
        for (int i = 0; i < tensors.size(); i++) {
            TensorView v = tensors.get(i);
            int from = v.offset();
            int to = m.tensors.get(i).offset();
            if (v.rank() != 2) {
                System.arraycopy(params, from, m.params, to, v.size());
            } else if (m.params16 != null) {
                for (int j = 0; j < v.size(); j++) {
                    m.params16[to + j] = (short) HalfFloats.floatToBf16(params[from + j]);
                }
            } else {
                for (int j = 0; j < v.size(); j++) {
                    m.params[to + j] = HalfFloats.bf16ToFloat(params16[from + j]);
                }
            }
        }
        return m;
    }

    @Override
    public float[] gradients() {
        ensureGrads();
        return grads;
    }

    @Override
    public List<TensorView> tensors() {
        return tensors;
    }

    @Override
    public TensorView tensor(String name) {
        return tensors.get(index(name));
    }

    private int index(String name) {
        Integer i = indexByName.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no tensor \"" + name + "\" in a " + config.family() + " model with "
                    + config.layers() + " layers");
        }
        return i;
    }

    @Override
    public TensorView tokenEmbedding() {
        return tensors.get(0);
    }

    @Override
    public TensorView outputHead() {
        return config.tiedEmbeddings() ? tensors.get(0) : tensor("lm_head.weight");
    }

    @Override
    public List<LinearLayer> linearLayers() {
        return linears;
    }

    @Override
    public boolean isTrainable(String name) {
        return trainable[index(name)];
    }

    @Override
    public void setTrainable(String name, boolean value) {
        int i = index(name);
        if (value && params16 != null && tensors.get(i).rank() == 2) {
            throw new IllegalStateException("\"" + name + "\" is held frozen in BF16 (Llama.frozenBf16) and cannot train; "
                    + "load the model in float (LlamaCheckpoint.load) to train its matrices");
        }
        trainable[i] = value;
        if (!value && grads != null) {
            TensorView v = tensors.get(i);
            Arrays.fill(grads, v.offset(), v.offset() + v.size(), 0f);
        }
        updateLowestNeeded();
    }

    @Override
    public void setAllTrainable(boolean value) {
        if (value && params16 != null) {
            throw new IllegalStateException("the matrices of this model are held frozen in BF16 (Llama.frozenBf16) and "
                    + "cannot train; load the model in float (LlamaCheckpoint.load) for full fine-tuning");
        }
        Arrays.fill(trainable, value);
        if (!value && grads != null) {
            Arrays.fill(grads, 0f);
        }
        updateLowestNeeded();
    }

    @Override
    public void setAdapter(Adapter adapter) {
        this.adapter = adapter;
        updateLowestNeeded();
    }

    private boolean anyTrainable() {
        for (boolean b : trainable) {
            if (b) {
                return true;
            }
        }
        return false;
    }

    private void updateLowestNeeded() {
        if (trainable[0]) {
            lowestNeeded = -1;
            return;
        }
        int L = config.layers();
        lowestNeeded = adapter != null ? Math.min(L, adapter.lowestLayer()) : L;
        for (int l = L - 1; l >= 0; l--) {
            for (int i : tensorOfLayer[l]) {
                if (trainable[i]) {
                    lowestNeeded = Math.min(lowestNeeded, l);
                }
            }
        }
    }

    /** Gradient offset of the tensor at params offset {@code off}, or -1 when it is absent or frozen. */
    private int g(int off) {
        if (off < 0) {
            return -1;
        }
        int[][] table = offsets();
        int i = Arrays.binarySearch(table[0], off);
        return i >= 0 && trainable[table[1][i]] ? off : -1;
    }

    /** {sorted offsets, the tensor index at each}: the frozen-BF16 layout is not in tensor order. */
    private int[][] offsetTable;

    private int[][] offsets() {
        if (offsetTable == null) {
            Integer[] order = new Integer[tensors.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, java.util.Comparator.comparingInt(i -> tensors.get(i).offset()));
            int[][] t = new int[2][order.length];
            for (int i = 0; i < order.length; i++) {
                t[0][i] = tensors.get(order[i]).offset();
                t[1][i] = order[i];
            }
            offsetTable = t;
        }
        return offsetTable;
    }

    // ---------------------------------------------------------------------------------------------

    @Override
    public void forward(int[] tokens, int B, int T) {
        forward(tokens, null, B, T);
    }

    @Override
    public float forward(int[] tokens, int[] targets, int B, int T) {
        return forward(tokens, targets, null, B, T);
    }

    /** {@inheritDoc} RoPE rotates each token by the angle of its position in its own sequence. */
    @Override
    public float forward(int[] tokens, int[] targets, int[] positions, int B, int T) {
        int V = config.vocabSize();
        int C = config.hiddenSize();
        int valid = checkInputs(tokens, targets, B, T, positions != null);
        CausalLM.checkPositions(positions, B, T, config.maxSeqLen());
        int BT = B * T;
        trunk(tokens, positions, B, T);
        Acts a = acts;
        if (targets != null) {
            System.arraycopy(targets, 0, a.targets, 0, BT);
        }
        if (a.logits == null) {
            a.logits = new float[Math.multiplyExact(a.capBT, V)];
        }
        // logits (BT,V) = normf (BT,C) · headᵀ, head (V,C)
        long th = StepProfile.start();
        if (params16 != null) {
            gemm.gemm(false, true, BT, V, C, a.lnf, 0, C, params16, head, C, a.logits, 0, V, false);
        } else {
            gemm.gemm(false, true, BT, V, C, a.lnf, 0, C, params, head, C, a.logits, 0, V, false);
        }
        StepProfile.stop(Phase.HEAD_FORWARD, th, 2.0 * BT * V * C);
        logitsValid = true;
        hiddenValid = false;
        hasTargets = targets != null;
        validTargets = valid;
        if (targets == null) {
            loss = Float.NaN;
        } else {
            double total = Layers.crossEntropyForward(a.lse, a.rowLoss, a.logits, a.targets, IGNORE_INDEX, BT, V);
            loss = valid == 0 ? 0f : (float) (total / valid);
        }
        return loss;
    }

    /** Shape (a packed row may be longer than the context: its positions are checked instead) and ids; the valid targets. */
    private int checkInputs(int[] tokens, int[] targets, int B, int T, boolean packed) {
        if (B <= 0 || T <= 0 || T > config.maxSeqLen() && !packed) {
            throw new IllegalArgumentException("batch " + B + " x " + T + ": need B >= 1 and 1 <= T <= max_position_embeddings "
                    + config.maxSeqLen());
        }
        int V = config.vocabSize();
        int BT = B * T;
        if (tokens.length < BT || targets != null && targets.length < BT) {
            throw new IllegalArgumentException("tokens/targets hold fewer than B*T = " + BT + " entries");
        }
        int valid = 0;
        for (int i = 0; i < BT; i++) {
            if (tokens[i] < 0 || tokens[i] >= V) {
                throw new IllegalArgumentException("token " + tokens[i] + " at position " + i + " is outside [0, " + V + ")");
            }
            if (targets != null) {
                int t = targets[i];
                if (t != IGNORE_INDEX && (t < 0 || t >= V)) {
                    throw new IllegalArgumentException("target " + t + " at position " + i + " is neither "
                            + IGNORE_INDEX + " nor in [0, " + V + ")");
                }
                if (t != IGNORE_INDEX) {
                    valid++;
                }
            }
        }
        return valid;
    }

    @Override
    public void forwardHidden(int[] tokens, int B, int T) {
        forwardHidden(tokens, null, B, T);
    }

    @Override
    public void forwardHidden(int[] tokens, int[] positions, int B, int T) {
        checkInputs(tokens, null, B, T, positions != null);
        CausalLM.checkPositions(positions, B, T, config.maxSeqLen());
        trunk(tokens, positions, B, T);
        logitsValid = false;
        hasTargets = false;
        hiddenValid = true;
        validTargets = 0;
        loss = Float.NaN;
    }

    @Override
    public float[] hidden() {
        if (!hiddenValid && !logitsValid) {
            throw new IllegalStateException("no hidden states: run forwardHidden() or forward() first");
        }
        return acts.lnf;
    }

    @Override
    public int hiddenOffset(int b, int t) {
        checkPosition(b, t);
        return (b * seqLen + t) * config.hiddenSize();
    }

    private void checkPosition(int b, int t) {
        if (b < 0 || b >= batch || t < 0 || t >= seqLen) {
            throw new IndexOutOfBoundsException("position (" + b + ", " + t + ") outside the last batch " + batch + " x " + seqLen);
        }
    }

    @Override
    public void backwardHidden(float[] dhidden) {
        if (!hiddenValid) {
            throw new IllegalStateException("backwardHidden() needs a forwardHidden() since the last backward pass");
        }
        int BTC = batch * seqLen * config.hiddenSize();
        if (dhidden.length < BTC) {
            throw new IllegalArgumentException("dhidden holds fewer than B*T*C = " + BTC + " entries");
        }
        hiddenValid = false;
        System.arraycopy(dhidden, 0, acts.dC, 0, BTC);
        backwardTrunk(gradsOrEmpty());
    }

    /**
     * Embedding, the blocks and the final norm over tokens (B,T), packed when {@code positions} is not
     * null: leaves the hidden states in acts.lnf.
     */
    private void trunk(int[] tokens, int[] positions, int B, int T) {
        int C = config.hiddenSize();
        int L = config.layers();
        int NH = config.heads();
        int KVH = config.kvHeads();
        int hd = config.headDim();
        int Qd = config.qDim();
        int KV = config.kvDim();
        int I = config.intermediateSize();
        float eps = config.rmsNormEps();
        int BT = B * T;
        ensureActivations(B, T);
        Acts a = acts;
        System.arraycopy(tokens, 0, a.tokens, 0, BT);
        packed = positions != null;
        if (packed) {
            System.arraycopy(positions, 0, a.positions, 0, BT);
        }
        int[] pos = packed ? a.positions : null;
        batch = B;
        seqLen = T;
        if (params16 != null) {
            Layers.embeddingForward(a.encoded, a.tokens, params16, embed, BT, C);
        } else {
            Layers.embeddingForward(a.encoded, a.tokens, params, embed, BT, C);
        }
        float[] x = a.encoded;
        for (int l = 0; l < L; l++) {
            Layers.rmsnormForward(a.ln1[l], a.rstd1[l], x, params, ln1[l], BT, C, eps);
            linear(7 * l + Q, a.q[l], a.ln1[l], wq[l], bq[l], BT, C, Qd);
            linear(7 * l + K, a.k[l], a.ln1[l], wk[l], bk[l], BT, C, KV);
            linear(7 * l + VP, a.v[l], a.ln1[l], wv[l], bv[l], BT, C, KV);
            Layers.ropeForward(a.q[l], BT, T, 0, pos, NH, hd, cos, sin);
            Layers.ropeForward(a.k[l], BT, T, 0, pos, KVH, hd, cos, sin);
            long ta = StepProfile.start();
            Layers.attentionForward(a.atty[l], a.att[l], a.q[l], Qd, 0, a.k[l], KV, 0, a.v[l], KV, 0, pos, B, T, NH, KVH, hd);
            StepProfile.stop(Phase.ATTENTION, ta);
            linear(7 * l + O, a.proj, a.atty[l], wo[l], bo[l], BT, Qd, C);
            Layers.residualForward(a.res2[l], x, a.proj, BT * C);
            Layers.rmsnormForward(a.ln2[l], a.rstd2[l], a.res2[l], params, ln2[l], BT, C, eps);
            linear(7 * l + G, a.gate[l], a.ln2[l], wg[l], -1, BT, C, I);
            linear(7 * l + U, a.up[l], a.ln2[l], wu[l], -1, BT, C, I);
            Layers.swigluForward(a.mlp[l], a.gate[l], a.up[l], BT * I);
            linear(7 * l + D, a.proj, a.mlp[l], wd[l], -1, BT, I, C);
            Layers.residualForward(a.res3[l], a.res2[l], a.proj, BT * C);
            x = a.res3[l];
        }
        Layers.rmsnormForward(a.lnf, a.rstdf, x, params, normf, BT, C, eps);
    }

    private void linear(int index, float[] out, float[] inp, int w, int b, int N, int in, int outDim) {
        if (params16 != null) {
            Layers.linearForward(gemm, out, inp, params16, w, params, b, N, in, outDim);
        } else {
            Layers.linearForward(gemm, out, inp, params, w, b, N, in, outDim);
        }
        if (adapter != null) {
            long t0 = StepProfile.start();
            adapter.forward(index, out, inp, N);
            StepProfile.stop(Phase.LORA, t0);
        }
    }

    /** The linear layer's backward (dinp overwritten unless {@code accumulate}; null skips it), then the adapter's. */
    private void linearBack(int index, float[] gr, float[] dinp, boolean accumulate, float[] dout, float[] inp, int w, int b,
                            int N, int in, int outDim) {
        if (params16 != null) {
            Layers.linearBackward(gemm, dinp, accumulate, gr, g(b), dout, params16, w, N, in, outDim);
        } else {
            Layers.linearBackward(gemm, dinp, accumulate, gr, g(w), g(b), dout, inp, params, w, N, in, outDim);
        }
        if (adapter != null) {
            long t0 = StepProfile.start();
            adapter.backward(index, dinp, dout, inp, N);
            StepProfile.stop(Phase.LORA, t0);
        }
    }

    @Override
    public void zeroGrad() {
        if (grads == null && !anyTrainable()) {
            return; // nothing of the base trains (LoRA on a frozen base): no gradient buffer at all
        }
        ensureGrads();
        long t0 = StepProfile.start();
        Layers.zeroTrainable(grads, tensors, trainable);
        StepProfile.stop(Phase.ZERO_GRAD, t0);
    }

    private static final float[] NO_GRADS = new float[0];

    private float[] gradsOrEmpty() {
        if (grads == null && !anyTrainable()) {
            return NO_GRADS; // every g() is -1: nothing is written
        }
        ensureGrads();
        return grads;
    }

    @Override
    public void backward() {
        backward(validTargets);
    }

    @Override
    public void backward(int normalizeBy) {
        if (!logitsValid || !hasTargets) {
            throw new IllegalStateException("backward() needs a forward pass with targets since the last backward()");
        }
        float[] gr = gradsOrEmpty();
        Acts a = acts;
        int BT = batch * seqLen;
        int C = config.hiddenSize();
        int V = config.vocabSize();
        logitsValid = false;
        hiddenValid = false;
        float scale = validTargets == 0 || normalizeBy <= 0 ? 0f : 1f / normalizeBy;
        float[] dlogits = a.logits;
        Layers.crossEntropyBackward(dlogits, a.logits, a.lse, a.targets, IGNORE_INDEX, scale, BT, V);
        // dlnf (BT,C) = dlogits (BT,V) · head (V,C); dhead (V,C) += dlogitsᵀ · lnf
        long t0 = StepProfile.start();
        if (params16 != null) {
            gemm.gemm(false, false, BT, C, V, dlogits, 0, V, params16, head, C, a.dC, 0, C, false);
        } else {
            gemm.gemm(false, false, BT, C, V, dlogits, 0, V, params, head, C, a.dC, 0, C, false);
        }
        StepProfile.stop(Phase.HEAD_BACKWARD_INPUT, t0, 2.0 * BT * V * C);
        int dh = g(head);
        if (dh >= 0) {
            t0 = StepProfile.start();
            gemm.gemm(true, false, V, C, BT, dlogits, 0, V, a.lnf, 0, C, gr, dh, C, true);
            StepProfile.stop(Phase.HEAD_BACKWARD_WEIGHT, t0, 2.0 * BT * V * C);
        }
        backwardTrunk(gr);
    }

    /** From d(final norm output) in acts.dC down through the blocks and (when it trains) the embedding. */
    private void backwardTrunk(float[] gr) {
        Acts a = acts;
        int B = batch;
        int T = seqLen;
        int BT = B * T;
        int C = config.hiddenSize();
        int L = config.layers();
        int NH = config.heads();
        int KVH = config.kvHeads();
        int hd = config.headDim();
        int Qd = config.qDim();
        int KV = config.kvDim();
        int I = config.intermediateSize();
        int[] pos = packed ? a.positions : null;
        // each buffer's first writer overwrites it (no zero-fill), the rest accumulate
        Layers.rmsnormBackward(a.dRes, false, gr, g(normf), a.dC, a.res3[L - 1], params, normf, a.rstdf, BT, C);
        for (int l = L - 1; l >= 0 && l >= lowestNeeded; l--) {
            float[] x = l == 0 ? a.encoded : a.res3[l - 1];
            // MLP: res3 = res2 + down(swiglu(gate(ln2), up(ln2))); dRes is d res3
            linearBack(7 * l + D, gr, a.dMlp, false, a.dRes, a.mlp[l], wd[l], -1, BT, I, C);
            Layers.swigluBackward(a.dGate, a.dUp, a.dMlp, a.gate[l], a.up[l], BT * I, false);
            linearBack(7 * l + G, gr, a.dC, false, a.dGate, a.ln2[l], wg[l], -1, BT, C, I);
            linearBack(7 * l + U, gr, a.dC, true, a.dUp, a.ln2[l], wu[l], -1, BT, C, I);
            Layers.rmsnormBackward(a.dRes, gr, g(ln2[l]), a.dC, a.res2[l], params, ln2[l], a.rstd2[l], BT, C);
            // attention: res2 = x + o(attn(rope(q(ln1)), rope(k(ln1)), v(ln1))); dRes is now d res2
            linearBack(7 * l + O, gr, a.dAtty, false, a.dRes, a.atty[l], wo[l], bo[l], BT, Qd, C);
            long t0 = StepProfile.start();
            Arrays.fill(a.dq, 0, BT * Qd, 0f);
            Arrays.fill(a.dk, 0, BT * KV, 0f);
            Arrays.fill(a.dv, 0, BT * KV, 0f);
            StepProfile.stop(Phase.COPIES, t0);
            t0 = StepProfile.start();
            Layers.attentionBackward(a.dq, a.dk, a.dv, a.dAtt, a.dAtty, a.att[l], a.q[l], Qd, 0, a.k[l], KV, 0, a.v[l], KV, 0,
                    pos, B, T, NH, KVH, hd);
            StepProfile.stop(Phase.ATTENTION, t0);
            Layers.ropeBackward(a.dq, BT, T, 0, pos, NH, hd, cos, sin);
            Layers.ropeBackward(a.dk, BT, T, 0, pos, KVH, hd, cos, sin);
            // the gradient of ln1's output is needed by ln1's weight and by the blocks below
            int dln1 = g(ln1[l]);
            boolean needDln1 = l - 1 >= lowestNeeded || dln1 >= 0;
            float[] dln = needDln1 ? a.dC : null;
            linearBack(7 * l + Q, gr, dln, false, a.dq, a.ln1[l], wq[l], bq[l], BT, C, Qd);
            linearBack(7 * l + K, gr, dln, true, a.dk, a.ln1[l], wk[l], bk[l], BT, C, KV);
            linearBack(7 * l + VP, gr, dln, true, a.dv, a.ln1[l], wv[l], bv[l], BT, C, KV);
            if (needDln1) {
                Layers.rmsnormBackward(a.dRes, gr, dln1, a.dC, x, params, ln1[l], a.rstd1[l], BT, C);
            }
        }
        if (lowestNeeded < 0) {
            Layers.embeddingBackward(gr, g(embed), a.dRes, a.tokens, BT, C);
        }
    }

    @Override
    public float[] logits() {
        if (!logitsValid) {
            throw new IllegalStateException("no logits: run forward() (backward() consumes them)");
        }
        return acts.logits;
    }

    @Override
    public int logitsOffset(int b, int t) {
        checkPosition(b, t);
        return (b * seqLen + t) * config.vocabSize();
    }

    @Override
    public float loss() {
        return loss;
    }

    @Override
    public int validTargets() {
        return validTargets;
    }

    @Override
    public List<AdamW.Slice> optimizerSlices(Predicate<TensorView> decay) {
        List<AdamW.Slice> out = new ArrayList<>();
        if (!anyTrainable()) {
            return out;
        }
        ensureGrads();
        for (int i = 0; i < tensors.size(); i++) {
            if (trainable[i]) {
                TensorView v = tensors.get(i);
                out.add(new AdamW.Slice(v.name(), params, grads, v.offset(), v.size(), decay.test(v)));
            }
        }
        return out;
    }

    @Override
    public long activationBytes(int B, int T) {
        return 4 * Acts.floats(config, B, T);
    }

    @Override
    public Decoder newDecoder(int capacity) {
        if (params16 != null) {
            throw new IllegalStateException("the KV-cached decoder of a training model needs the weights in float; this model "
                    + "holds its matrices frozen in BF16 (Llama.frozenBf16): load the checkpoint with LlamaCheckpoint.load for it");
        }
        if (adapter != null) {
            throw new IllegalStateException("the KV-cached decoder reads the base weights only: merge the adapter first");
        }
        return new LlamaDecoder(LlamaDecoder.Weights.view(this), capacity);
    }

    @Override
    public Llama withVocabSize(int vocabSize) {
        if (params16 != null) {
            if (vocabSize == config.vocabSize()) {
                Llama m = frozenBf16(config); // a copy, as below, still in BF16
                System.arraycopy(params, 0, m.params, 0, params.length);
                System.arraycopy(params16, 0, m.params16, 0, params16.length);
                return m;
            }
            // the new rows are means in float, as the float model makes them: grow a float copy
            return toFloat().withVocabSize(vocabSize);
        }
        LlamaConfig c = config;
        if (vocabSize < c.vocabSize()) {
            throw new IllegalArgumentException("cannot shrink the vocabulary from " + c.vocabSize() + " to " + vocabSize);
        }
        Llama m = new Llama(new LlamaConfig(c.family(), vocabSize, c.hiddenSize(), c.intermediateSize(), c.layers(),
                c.heads(), c.kvHeads(), c.headDim(), c.maxSeqLen(), c.rmsNormEps(), c.ropeTheta(), c.ropeScaling(),
                c.qkvBias(), c.oBias(), c.tiedEmbeddings(), c.dtype(), c.bosTokenId(), c.eosTokenId()), gemm);
        int C = c.hiddenSize();
        int oldV = c.vocabSize();
        for (TensorView v : tensors) {
            TensorView w = m.tensor(v.name());
            System.arraycopy(params, v.offset(), m.params, w.offset(), v.size());
            if (v.name().equals("model.embed_tokens.weight") || v.name().equals("lm_head.weight")) {
                double[] mean = new double[C];
                for (int r = 0; r < oldV; r++) {
                    for (int i = 0; i < C; i++) {
                        mean[i] += params[v.offset() + r * C + i];
                    }
                }
                for (int r = oldV; r < vocabSize; r++) {
                    for (int i = 0; i < C; i++) {
                        m.params[w.offset() + r * C + i] = (float) (mean[i] / oldV);
                    }
                }
            }
        }
        return m;
    }

    private void ensureActivations(int B, int T) {
        if (acts == null || !acts.fits(B, T)) {
            int bt = Math.max(Math.multiplyExact(B, T), acts == null ? 0 : acts.capBT);
            long btt = Math.max((long) B * T * T, acts == null ? 0 : acts.capBTT);
            acts = null;
            acts = new Acts(config, bt, btt);
        }
    }

    private void ensureGrads() {
        if (grads == null) {
            grads = new float[params.length];
        }
    }

    /** Every buffer a forward and backward pass needs, for at most capBT tokens and capBTT = B·T·T. */
    static final class Acts {
        final int capBT;
        final long capBTT;
        final int[] tokens;
        final int[] targets;
        final int[] positions;   // (BT) positions within each packed sequence, when the pass is packed
        final float[] encoded;   // (BT,C) embedding rows, the input of layer 0
        final float[][] ln1;     // L × (BT,C)
        final float[][] rstd1;   // L × (BT)
        final float[][] q;       // L × (BT,Q) after RoPE
        final float[][] k;       // L × (BT,KV) after RoPE
        final float[][] v;       // L × (BT,KV)
        final float[][] att;     // L × (B,NH,T,T)
        final float[][] atty;    // L × (BT,Q)
        final float[][] res2;    // L × (BT,C)
        final float[][] ln2;     // L × (BT,C)
        final float[][] rstd2;   // L × (BT)
        final float[][] gate;    // L × (BT,I)
        final float[][] up;      // L × (BT,I)
        final float[][] mlp;     // L × (BT,I) silu(gate)·up
        final float[][] res3;    // L × (BT,C)
        final float[] proj;      // (BT,C) scratch
        final float[] lnf;       // (BT,C)
        final float[] rstdf;     // (BT)
        float[] logits;          // (BT,V), allocated by the first pass that needs it
        final float[] lse;
        final float[] rowLoss;
        final float[] dRes;      // (BT,C)
        final float[] dC;        // (BT,C)
        final float[] dAtty;     // (BT,Q)
        final float[] dq;        // (BT,Q)
        final float[] dk;        // (BT,KV)
        final float[] dv;        // (BT,KV)
        final float[] dMlp;      // (BT,I)
        final float[] dGate;     // (BT,I)
        final float[] dUp;       // (BT,I)
        final float[] dAtt;      // (B,NH,T,T) scratch

        Acts(LlamaConfig c, int capBT, long capBTT) {
            this.capBT = capBT;
            this.capBTT = capBTT;
            int L = c.layers();
            int BT = capBT;
            int BTC = Math.multiplyExact(BT, c.hiddenSize());
            int BTQ = Math.multiplyExact(BT, c.qDim());
            int BTK = Math.multiplyExact(BT, c.kvDim());
            int BTI = Math.multiplyExact(BT, c.intermediateSize());
            tokens = new int[BT];
            targets = new int[BT];
            positions = new int[BT];
            encoded = new float[BTC];
            ln1 = new float[L][BTC];
            rstd1 = new float[L][BT];
            q = new float[L][BTQ];
            k = new float[L][BTK];
            v = new float[L][BTK];
            att = new float[L][Math.toIntExact(Math.multiplyExact(capBTT, (long) c.heads()))];
            atty = new float[L][BTQ];
            res2 = new float[L][BTC];
            ln2 = new float[L][BTC];
            rstd2 = new float[L][BT];
            gate = new float[L][BTI];
            up = new float[L][BTI];
            mlp = new float[L][BTI];
            res3 = new float[L][BTC];
            proj = new float[BTC];
            lnf = new float[BTC];
            rstdf = new float[BT];
            lse = new float[BT];
            rowLoss = new float[BT];
            dRes = new float[BTC];
            dC = new float[BTC];
            dAtty = new float[BTQ];
            dq = new float[BTQ];
            dk = new float[BTK];
            dv = new float[BTK];
            dMlp = new float[BTI];
            dGate = new float[BTI];
            dUp = new float[BTI];
            dAtt = new float[Math.toIntExact(Math.multiplyExact(capBTT, (long) c.heads()))];
        }

        boolean fits(int B, int T) {
            return (long) B * T <= capBT && (long) B * T * T <= capBTT;
        }

        static long floats(LlamaConfig c, int B, int T) {
            long bt = (long) B * T;
            long C = c.hiddenSize();
            long perLayer = bt * (5 * C + 2 * c.qDim() + 2 * c.kvDim() + 3L * c.intermediateSize() + 2)
                    + bt * c.heads() * T;
            long scratch = bt * (4 * C + 2 * c.qDim() + 2 * c.kvDim() + 3L * c.intermediateSize() + 6) + bt * c.heads() * T;
            return c.layers() * perLayer + scratch + bt * c.vocabSize();
        }
    }
}
