package dev.finetune.model;

import dev.finetune.kernel.Gemm;
import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.StepProfile;
import dev.finetune.kernel.StepProfile.Phase;
import dev.finetune.optim.AdamW;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * A GPT-2 model on {@code float[]}, in llm.c's shape: one flat parameter buffer and one flat gradient
 * buffer with a {@link TensorView} per HuggingFace tensor, activations allocated once per (B, T) and
 * reused, and a training step that allocates nothing:
 * <pre>
 *   float loss = model.forward(tokens, targets, B, T);   // logits (B,T,V) and the mean loss
 *   model.zeroGrad();
 *   model.backward();                                    // gradients += d loss / d weights
 *   optimizer.step(lr);
 * </pre>
 * The loss is the mean cross-entropy over positions whose target is not {@link #IGNORE_INDEX} (-100),
 * as torch's {@code cross_entropy(ignore_index=-100)}; ignored positions contribute neither loss nor
 * gradient. When every position is ignored the loss is 0 and the gradients stay 0 (torch returns NaN
 * there; a batch with nothing to learn should not poison the weights).
 *
 * <p>Memory: the parameters and gradients take 4 bytes each per weight; the activations about
 * {@code 4·(L·(16·C + NH·T)·B·T + B·T·V)} bytes, of which the logits (B·T·V floats) dominate for GPT-2's
 * V = 50257 (B 8, T 128: 206 MB). {@link #backward()} reuses the logits buffer for their gradient, so
 * {@link #logits()} is valid from a forward pass until the next backward pass.
 *
 * <p>Tensors can be frozen ({@link #setTrainable}); backward then skips their weight gradients (and
 * the blocks below the lowest trainable tensor), and {@link #optimizerSlices} leaves them out.
 * Not thread-safe: one thread drives a model; the kernels parallelise inside each layer.
 */
public final class GPT2 implements CausalLM {
    /** Target value of a position that the loss ignores (torch's default {@code ignore_index}). */
    public static final int IGNORE_INDEX = -100;

    private CausalLM.Adapter adapter;
    private final List<LinearLayer> linears;

    private final GPT2Config config;
    private final Gemm gemm;
    private final float[] params;
    private float[] grads;
    private final List<TensorView> tensors;
    private final Map<String, Integer> indexByName;
    /** Each tensor's offset, ascending (tensors are laid out in order): {@link #g} searches it. */
    private final int[] offsetTable;
    private final boolean[] trainable;

    // offsets into params / grads
    private final int wte;
    private final int wpe;
    private final int lnfw;
    private final int lnfb;
    private final int[] ln1w;
    private final int[] ln1b;
    private final int[] qkvw;
    private final int[] qkvb;
    private final int[] attprojw;
    private final int[] attprojb;
    private final int[] ln2w;
    private final int[] ln2b;
    private final int[] fcw;
    private final int[] fcb;
    private final int[] fcprojw;
    private final int[] fcprojb;
    /** lowestNeeded: the lowest layer whose backward is needed (L when none; -1 when the embeddings train). */
    private int lowestNeeded;

    private Activations acts;
    private int batch;
    private int seqLen;
    private boolean hasTargets;
    /** Whether the last pass ran packed rows (its positions in acts.positions). */
    private boolean packed;
    private boolean logitsValid;
    private boolean hiddenValid;
    private int validTargets;
    private float loss = Float.NaN;

    /** A model with every weight zero (fill it with {@link #parameters()} or {@link GPT2Checkpoint}). */
    public GPT2(GPT2Config config) {
        this(config, Kernels.gemm());
    }

    /** A model with every weight zero that multiplies with {@code gemm}. */
    public GPT2(GPT2Config config, Gemm gemm) {
        this.config = config;
        this.gemm = gemm;
        long count = config.parameterCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a model of " + count + " weights does not fit one Java array (limit "
                    + (Integer.MAX_VALUE - 8) + ")");
        }
        int L = config.layers();
        List<TensorView> list = layout(config);
        Map<String, Integer> at = new java.util.HashMap<>();
        for (TensorView v : list) {
            at.put(v.name(), v.offset());
        }
        wte = at.get("wte.weight");
        wpe = at.get("wpe.weight");
        ln1w = new int[L];
        ln1b = new int[L];
        qkvw = new int[L];
        qkvb = new int[L];
        attprojw = new int[L];
        attprojb = new int[L];
        ln2w = new int[L];
        ln2b = new int[L];
        fcw = new int[L];
        fcb = new int[L];
        fcprojw = new int[L];
        fcprojb = new int[L];
        for (int l = 0; l < L; l++) {
            String p = "h." + l + ".";
            ln1w[l] = at.get(p + "ln_1.weight");
            ln1b[l] = at.get(p + "ln_1.bias");
            qkvw[l] = at.get(p + "attn.c_attn.weight");
            qkvb[l] = at.get(p + "attn.c_attn.bias");
            attprojw[l] = at.get(p + "attn.c_proj.weight");
            attprojb[l] = at.get(p + "attn.c_proj.bias");
            ln2w[l] = at.get(p + "ln_2.weight");
            ln2b[l] = at.get(p + "ln_2.bias");
            fcw[l] = at.get(p + "mlp.c_fc.weight");
            fcb[l] = at.get(p + "mlp.c_fc.bias");
            fcprojw[l] = at.get(p + "mlp.c_proj.weight");
            fcprojb[l] = at.get(p + "mlp.c_proj.bias");
        }
        lnfw = at.get("ln_f.weight");
        lnfb = at.get("ln_f.bias");
        this.tensors = Collections.unmodifiableList(list);
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            byName.put(list.get(i).name(), i);
        }
        this.indexByName = Collections.unmodifiableMap(byName);
        this.offsetTable = list.stream().mapToInt(TensorView::offset).toArray();
        this.linears = linearLayers(config);
        this.params = new float[(int) count];
        this.trainable = new boolean[list.size()];
        Arrays.fill(trainable, true);
        updateLowestNeeded();
    }

    /** Every tensor of a GPT-2 of this shape, in HuggingFace order, with its offset in the flat buffer. */
    public static List<TensorView> layout(GPT2Config config) {
        int L = config.layers();
        int C = config.channels();
        List<TensorView> list = new ArrayList<>();
        int[] next = {0};
        java.util.function.BiConsumer<String, int[]> add = (name, shape) -> {
            TensorView v = new TensorView(name, next[0], shape);
            list.add(v);
            next[0] += v.size();
        };
        add.accept("wte.weight", new int[] {config.vocabSize(), C});
        add.accept("wpe.weight", new int[] {config.maxSeqLen(), C});
        for (int l = 0; l < L; l++) {
            String p = "h." + l + ".";
            add.accept(p + "ln_1.weight", new int[] {C});
            add.accept(p + "ln_1.bias", new int[] {C});
            add.accept(p + "attn.c_attn.weight", new int[] {C, 3 * C});
            add.accept(p + "attn.c_attn.bias", new int[] {3 * C});
            add.accept(p + "attn.c_proj.weight", new int[] {C, C});
            add.accept(p + "attn.c_proj.bias", new int[] {C});
            add.accept(p + "ln_2.weight", new int[] {C});
            add.accept(p + "ln_2.bias", new int[] {C});
            add.accept(p + "mlp.c_fc.weight", new int[] {C, 4 * C});
            add.accept(p + "mlp.c_fc.bias", new int[] {4 * C});
            add.accept(p + "mlp.c_proj.weight", new int[] {4 * C, C});
            add.accept(p + "mlp.c_proj.bias", new int[] {C});
        }
        add.accept("ln_f.weight", new int[] {C});
        add.accept("ln_f.bias", new int[] {C});
        if (next[0] != config.parameterCount()) {
            throw new IllegalStateException("layout holds " + next[0] + " weights, config says " + config.parameterCount());
        }
        return Collections.unmodifiableList(list);
    }

    /**
     * A freshly initialised model, deterministic in {@code seed}: matrices and embeddings normal with
     * standard deviation {@code std}, the two residual projections per block {@code std/sqrt(2L)} (as
     * GPT-2 does), LayerNorm weights 1, biases 0.
     */
    public static GPT2 randomInit(GPT2Config config, long seed, float std) {
        GPT2 m = new GPT2(config);
        Random rnd = new Random(seed);
        float projStd = (float) (std / Math.sqrt(2.0 * config.layers()));
        for (TensorView v : m.tensors) {
            String n = v.name();
            if (n.endsWith("ln_1.weight") || n.endsWith("ln_2.weight") || n.equals("ln_f.weight")) {
                Arrays.fill(m.params, v.offset(), v.offset() + v.size(), 1f);
            } else if (v.rank() == 2) {
                float s = n.endsWith("c_proj.weight") ? projStd : std;
                for (int i = 0; i < v.size(); i++) {
                    m.params[v.offset() + i] = (float) (rnd.nextGaussian() * s);
                }
            }
        }
        return m;
    }

    @Override
    public GPT2Config config() {
        return config;
    }

    /** Linear layer {@code 4l + i} of block l: i = 0 c_attn, 1 attn.c_proj, 2 c_fc, 3 mlp.c_proj. */
    private static final int QKV = 0;
    private static final int ATTN_PROJ = 1;
    private static final int FC = 2;
    private static final int FC_PROJ = 3;

    /**
     * GPT-2's adaptable layers with their HF module names ({@code transformer.h.<l>.attn.c_attn},
     * {@code .attn.c_proj}, {@code .mlp.c_fc}, {@code .mlp.c_proj}); Conv1D weights, stored [in, out].
     */
    public static List<LinearLayer> linearLayers(GPT2Config config) {
        int C = config.channels();
        List<LinearLayer> out = new ArrayList<>();
        for (int l = 0; l < config.layers(); l++) {
            String p = "h." + l + ".";
            out.add(new LinearLayer(out.size(), PREFIX + p + "attn.c_attn", p + "attn.c_attn.weight", l, C, 3 * C, true));
            out.add(new LinearLayer(out.size(), PREFIX + p + "attn.c_proj", p + "attn.c_proj.weight", l, C, C, true));
            out.add(new LinearLayer(out.size(), PREFIX + p + "mlp.c_fc", p + "mlp.c_fc.weight", l, C, 4 * C, true));
            out.add(new LinearLayer(out.size(), PREFIX + p + "mlp.c_proj", p + "mlp.c_proj.weight", l, 4 * C, C, true));
        }
        return Collections.unmodifiableList(out);
    }

    private static final String PREFIX = "transformer.";

    @Override
    public TensorView tokenEmbedding() {
        return tensor("wte.weight");
    }

    @Override
    public TensorView outputHead() {
        return tensor("wte.weight");
    }

    @Override
    public List<LinearLayer> linearLayers() {
        return linears;
    }

    @Override
    public CausalLM.Decoder newDecoder(int capacity) {
        if (adapter != null) {
            throw new IllegalStateException("the KV-cached decoder reads the base weights only: merge the adapter first");
        }
        return new GPT2Decoder(GPT2Decoder.Weights.view(this), capacity);
    }

    /**
     * A copy with {@code vocabSize} token rows (at least the current number): every weight copied, each
     * new embedding row set to the mean of the existing rows (a neutral start for added special tokens).
     */
    @Override
    public GPT2 withVocabSize(int vocabSize) {
        if (vocabSize < config.vocabSize()) {
            throw new IllegalArgumentException("cannot shrink the vocabulary from " + config.vocabSize() + " to " + vocabSize);
        }
        GPT2 g = new GPT2(new GPT2Config(vocabSize, config.maxSeqLen(), config.channels(), config.layers(), config.heads(),
                config.layerNormEpsilon()), gemm);
        for (TensorView v : tensors) {
            TensorView w = g.tensor(v.name());
            System.arraycopy(params, v.offset(), g.params, w.offset(), v.size());
        }
        int C = config.channels();
        int oldV = config.vocabSize();
        double[] mean = new double[C];
        for (int r = 0; r < oldV; r++) {
            for (int c = 0; c < C; c++) {
                mean[c] += params[wte + r * C + c];
            }
        }
        int gw = g.tensor("wte.weight").offset();
        for (int r = oldV; r < vocabSize; r++) {
            for (int c = 0; c < C; c++) {
                g.params[gw + r * C + c] = (float) (mean[c] / oldV);
            }
        }
        return g;
    }

    /** The flat parameter buffer; tensors are {@link #tensors()} views into it. Writes change the model. */
    @Override
    public float[] parameters() {
        return params;
    }

    /** The flat gradient buffer (same views as the parameters), allocated by the first {@link #zeroGrad()}. */
    @Override
    public float[] gradients() {
        ensureGrads();
        return grads;
    }

    /** Every tensor in HuggingFace order: wte, wpe, h.0 ... h.{L-1}, ln_f. */
    @Override
    public List<TensorView> tensors() {
        return tensors;
    }

    /** The view called {@code name} (HuggingFace name without the {@code transformer.} prefix). */
    @Override
    public TensorView tensor(String name) {
        return tensors.get(index(name));
    }

    /** A copy of tensor {@code name}'s weights. */
    public float[] copyOf(String name) {
        TensorView v = tensor(name);
        return Arrays.copyOfRange(params, v.offset(), v.offset() + v.size());
    }

    private int index(String name) {
        Integer i = indexByName.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no tensor \"" + name + "\" in a GPT-2 with " + config.layers() + " layers");
        }
        return i;
    }

    @Override
    public boolean isTrainable(String name) {
        return trainable[index(name)];
    }

    /** Freezes or unfreezes one tensor; a frozen tensor's gradient stays zero. */
    @Override
    public void setTrainable(String name, boolean value) {
        int i = index(name);
        trainable[i] = value;
        if (!value && grads != null) {
            TensorView v = tensors.get(i);
            Arrays.fill(grads, v.offset(), v.offset() + v.size(), 0f);
        }
        updateLowestNeeded();
    }

    /** Adds (or with null removes) an adapter to the linear layers. */
    @Override
    public void setAdapter(CausalLM.Adapter adapter) {
        this.adapter = adapter;
        updateLowestNeeded();
    }

    /** Freezes or unfreezes every tensor. */
    @Override
    public void setAllTrainable(boolean value) {
        for (TensorView v : tensors) {
            setTrainable(v.name(), value);
        }
    }

    private void updateLowestNeeded() {
        if (trainable[index("wte.weight")] || trainable[index("wpe.weight")]) {
            lowestNeeded = -1;
            return;
        }
        if (adapter != null) {
            lowestNeeded = Math.min(config.layers(), adapter.lowestLayer());
            for (int l = config.layers() - 1; l >= 0; l--) {
                String p = "h." + l + ".";
                for (TensorView v : tensors) {
                    if (v.name().startsWith(p) && trainable[indexByName.get(v.name())]) {
                        lowestNeeded = Math.min(lowestNeeded, l);
                    }
                }
            }
            return;
        }
        lowestNeeded = config.layers();
        for (int l = config.layers() - 1; l >= 0; l--) {
            String p = "h." + l + ".";
            for (TensorView v : tensors) {
                if (v.name().startsWith(p) && trainable[indexByName.get(v.name())]) {
                    lowestNeeded = l;
                }
            }
        }
    }

    /**
     * Gradient offset of the tensor at params offset {@code off}, or -1 when it is frozen: a search in the
     * tensors' offsets (no names built or hashed in the step).
     */
    private int g(int off) {
        int i = Arrays.binarySearch(offsetTable, off);
        return i >= 0 && trainable[i] ? off : -1;
    }

    // ---------------------------------------------------------------------------------------------

    /** Logits only (no loss): fills {@link #logits()} for {@code tokens} (B,T). */
    @Override
    public void forward(int[] tokens, int B, int T) {
        forward(tokens, null, B, T);
    }

    /**
     * Forward pass over {@code tokens} (B,T) row-major; with {@code targets} (B,T) also the mean
     * cross-entropy, returned (NaN without targets). Activations are (re)allocated only when (B, T)
     * exceeds every earlier pass.
     */
    @Override
    public float forward(int[] tokens, int[] targets, int B, int T) {
        return forward(tokens, targets, null, B, T);
    }

    /** {@inheritDoc} GPT-2's learned position embedding row is the token's position in its own sequence. */
    @Override
    public float forward(int[] tokens, int[] targets, int[] positions, int B, int T) {
        int V = config.vocabSize();
        int C = config.channels();
        checkShape(B, T, positions != null);
        CausalLM.checkPositions(positions, B, T, config.maxSeqLen());
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
        trunk(tokens, positions, B, T);
        Activations a = acts;
        if (targets != null) {
            System.arraycopy(targets, 0, a.targets, 0, BT);
        }
        if (a.logits == null) {
            a.logits = new float[Math.multiplyExact(a.capBT, V)];
        }
        // logits (BT,V) = lnf (BT,C) · wteᵀ, the head tied to the token embedding
        long th = StepProfile.start();
        gemm.gemm(false, true, BT, V, C, a.lnf, 0, C, params, wte, C, a.logits, 0, V, false);
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

    /**
     * Forward pass that stops at the final LayerNorm (no logits, so no B·T·V buffer): fills
     * {@link #hidden()} with the (B,T,C) hidden states a task head reads. {@link #backwardHidden} then
     * takes the gradient with respect to them.
     */
    @Override
    public void forwardHidden(int[] tokens, int B, int T) {
        forwardHidden(tokens, null, B, T);
    }

    @Override
    public void forwardHidden(int[] tokens, int[] positions, int B, int T) {
        checkShape(B, T, positions != null);
        CausalLM.checkPositions(positions, B, T, config.maxSeqLen());
        int V = config.vocabSize();
        int BT = B * T;
        if (tokens.length < BT) {
            throw new IllegalArgumentException("tokens hold fewer than B*T = " + BT + " entries");
        }
        for (int i = 0; i < BT; i++) {
            if (tokens[i] < 0 || tokens[i] >= V) {
                throw new IllegalArgumentException("token " + tokens[i] + " at position " + i + " is outside [0, " + V + ")");
            }
        }
        trunk(tokens, positions, B, T);
        logitsValid = false;
        hasTargets = false;
        hiddenValid = true;
        validTargets = 0;
        loss = Float.NaN;
    }

    /** The (B,T,C) final hidden states (after {@code ln_f}) of the last forward pass, packed from index 0. */
    @Override
    public float[] hidden() {
        if (!hiddenValid && !logitsValid) {
            throw new IllegalStateException("no hidden states: run forwardHidden() or forward() first");
        }
        return acts.lnf;
    }

    /** Index in {@link #hidden()} of the C channels at position (b, t) of the last forward pass. */
    @Override
    public int hiddenOffset(int b, int t) {
        if (b < 0 || b >= batch || t < 0 || t >= seqLen) {
            throw new IndexOutOfBoundsException("position (" + b + ", " + t + ") outside the last batch " + batch + " x " + seqLen);
        }
        return (b * seqLen + t) * config.channels();
    }

    /**
     * Backward pass of the last {@link #forwardHidden}: adds to {@link #gradients()} (and the adapter's)
     * the gradient of a loss whose derivative with respect to {@link #hidden()} is {@code dhidden} (B,T,C).
     */
    @Override
    public void backwardHidden(float[] dhidden) {
        if (!hiddenValid) {
            throw new IllegalStateException("backwardHidden() needs a forwardHidden() since the last backward pass");
        }
        int BTC = batch * seqLen * config.channels();
        if (dhidden.length < BTC) {
            throw new IllegalArgumentException("dhidden holds fewer than B*T*C = " + BTC + " entries");
        }
        ensureGrads();
        hiddenValid = false;
        System.arraycopy(dhidden, 0, acts.dC, 0, BTC);
        backwardTrunk();
    }

    /** B ≥ 1 and 1 ≤ T ≤ n_positions; a packed row may be longer (its positions are checked instead). */
    private void checkShape(int B, int T, boolean packed) {
        if (B <= 0 || T <= 0 || T > config.maxSeqLen() && !packed) {
            throw new IllegalArgumentException("batch " + B + " x " + T + ": need B >= 1 and 1 <= T <= n_positions "
                    + config.maxSeqLen());
        }
    }

    /**
     * Embeddings, the blocks and ln_f over {@code tokens} (B,T), packed when {@code positions} is not null:
     * leaves the hidden states in acts.lnf.
     */
    private void trunk(int[] tokens, int[] positions, int B, int T) {
        int C = config.channels();
        int L = config.layers();
        int NH = config.heads();
        int BT = B * T;
        ensureActivations(B, T);
        Activations a = acts;
        System.arraycopy(tokens, 0, a.tokens, 0, BT);
        packed = positions != null;
        if (packed) {
            System.arraycopy(positions, 0, a.positions, 0, BT);
        }
        int[] pos = packed ? a.positions : null;
        batch = B;
        seqLen = T;

        Layers.encoderForward(a.encoded, a.tokens, pos, params, wte, wpe, B, T, C);
        float[] residual = a.encoded;
        float eps = config.layerNormEpsilon();
        for (int l = 0; l < L; l++) {
            Layers.layernormForward(a.ln1[l], a.ln1Mean[l], a.ln1Rstd[l], residual, params, ln1w[l], ln1b[l], BT, C, eps);
            Layers.matmulForward(gemm, a.qkv[l], a.ln1[l], params, qkvw[l], qkvb[l], BT, C, 3 * C);
            if (adapter != null) {
                adapterForward(4 * l + QKV, a.qkv[l], a.ln1[l], BT);
            }
            long ta = StepProfile.start();
            Layers.attentionForward(a.atty[l], a.att[l], a.qkv[l], pos, B, T, C, NH);
            StepProfile.stop(Phase.ATTENTION, ta);
            Layers.matmulForward(gemm, a.proj, a.atty[l], params, attprojw[l], attprojb[l], BT, C, C);
            if (adapter != null) {
                adapterForward(4 * l + ATTN_PROJ, a.proj, a.atty[l], BT);
            }
            Layers.residualForward(a.residual2[l], residual, a.proj, BT * C);
            Layers.layernormForward(a.ln2[l], a.ln2Mean[l], a.ln2Rstd[l], a.residual2[l], params, ln2w[l], ln2b[l], BT, C, eps);
            Layers.matmulForward(gemm, a.fch[l], a.ln2[l], params, fcw[l], fcb[l], BT, C, 4 * C);
            if (adapter != null) {
                adapterForward(4 * l + FC, a.fch[l], a.ln2[l], BT);
            }
            Layers.geluForward(a.fchGelu[l], a.fch[l], BT * 4 * C);
            Layers.matmulForward(gemm, a.proj, a.fchGelu[l], params, fcprojw[l], fcprojb[l], BT, 4 * C, C);
            if (adapter != null) {
                adapterForward(4 * l + FC_PROJ, a.proj, a.fchGelu[l], BT);
            }
            Layers.residualForward(a.residual3[l], a.residual2[l], a.proj, BT * C);
            residual = a.residual3[l];
        }
        Layers.layernormForward(a.lnf, a.lnfMean, a.lnfRstd, residual, params, lnfw, lnfb, BT, C, eps);
    }

    /** Sets every trainable gradient to zero (allocating the gradient buffer on first use). */
    @Override
    public void zeroGrad() {
        ensureGrads();
        long t0 = StepProfile.start();
        Layers.zeroTrainable(grads, tensors, trainable);
        StepProfile.stop(Phase.ZERO_GRAD, t0);
    }

    /**
     * Backward pass of the last {@link #forward(int[], int[], int, int)} with targets: adds the gradient
     * of its mean loss to {@link #gradients()}. Consumes the logits (their buffer becomes dlogits).
     */
    @Override
    public void backward() {
        backward(validTargets);
    }

    /**
     * As {@link #backward()}, but the loss is taken as a sum over this pass's targets divided by
     * {@code normalizeBy}: with gradient accumulation over micro-batches, pass the target count of the
     * whole batch so that the summed gradients are those of the batch's mean loss.
     */
    @Override
    public void backward(int normalizeBy) {
        if (!logitsValid || !hasTargets) {
            throw new IllegalStateException("backward() needs a forward pass with targets since the last backward()");
        }
        ensureGrads();
        Activations a = acts;
        int B = batch;
        int T = seqLen;
        int BT = B * T;
        int C = config.channels();
        int V = config.vocabSize();
        float[] gr = grads;
        logitsValid = false;
        hiddenValid = false;

        float scale = validTargets == 0 || normalizeBy <= 0 ? 0f : 1f / normalizeBy;
        float[] dlogits = a.logits;
        Layers.crossEntropyBackward(dlogits, a.logits, a.lse, a.targets, IGNORE_INDEX, scale, BT, V);
        // tied head: dlnf (BT,C) = dlogits (BT,V) · wte (V,C); dwte (V,C) += dlogitsᵀ · lnf
        long t0 = StepProfile.start();
        gemm.gemm(false, false, BT, C, V, dlogits, 0, V, params, wte, C, a.dC, 0, C, false);
        StepProfile.stop(Phase.HEAD_BACKWARD_INPUT, t0, 2.0 * BT * V * C);
        if (trainable[0]) {
            t0 = StepProfile.start();
            gemm.gemm(true, false, V, C, BT, dlogits, 0, V, a.lnf, 0, C, gr, wte, C, true);
            StepProfile.stop(Phase.HEAD_BACKWARD_WEIGHT, t0, 2.0 * BT * V * C);
        }
        backwardTrunk();
    }

    /**
     * From d lnf in acts.dC down through ln_f, the blocks and (when they train) the embeddings. Each
     * gradient buffer's first writer overwrites it (no zero-fill), the rest accumulate; below the lowest
     * block that trains nothing is computed, and in that block the input gradient of c_attn and ln_1 only
     * when something of ln_1 trains.
     */
    private void backwardTrunk() {
        Activations a = acts;
        int B = batch;
        int T = seqLen;
        int BT = B * T;
        int C = config.channels();
        int NH = config.heads();
        int L = config.layers();
        float[] gr = grads;
        int[] pos = packed ? a.positions : null;
        float[] top = a.residual3[L - 1];
        Layers.layernormBackward(a.dResidual, false, gr, g(lnfw), g(lnfb), a.dC, top, params, lnfw, a.lnfMean, a.lnfRstd,
                BT, C);

        for (int l = L - 1; l >= 0 && l >= lowestNeeded; l--) {
            float[] residual = l == 0 ? a.encoded : a.residual3[l - 1];
            // MLP: residual3 = residual2 + c_proj(gelu(c_fc(ln_2(residual2)))); dResidual is d residual3
            Layers.matmulBackward(gemm, a.dFchGelu, false, gr, g(fcprojw[l]), g(fcprojb[l]), a.dResidual, a.fchGelu[l],
                    params, fcprojw[l], BT, 4 * C, C);
            if (adapter != null) {
                adapterBackward(4 * l + FC_PROJ, a.dFchGelu, a.dResidual, a.fchGelu[l], BT);
            }
            Layers.geluBackward(a.dFch, a.fch[l], a.dFchGelu, BT * 4 * C, false);
            Layers.matmulBackward(gemm, a.dC, false, gr, g(fcw[l]), g(fcb[l]), a.dFch, a.ln2[l], params, fcw[l], BT, C, 4 * C);
            if (adapter != null) {
                adapterBackward(4 * l + FC, a.dC, a.dFch, a.ln2[l], BT);
            }
            Layers.layernormBackward(a.dResidual, gr, g(ln2w[l]), g(ln2b[l]), a.dC, a.residual2[l], params, ln2w[l],
                    a.ln2Mean[l], a.ln2Rstd[l], BT, C);
            // attention: residual2 = residual + c_proj(attn(c_attn(ln_1(residual)))); dResidual is now d residual2
            Layers.matmulBackward(gemm, a.dC, false, gr, g(attprojw[l]), g(attprojb[l]), a.dResidual, a.atty[l], params,
                    attprojw[l], BT, C, C);
            if (adapter != null) {
                adapterBackward(4 * l + ATTN_PROJ, a.dC, a.dResidual, a.atty[l], BT);
            }
            long t0 = StepProfile.start();
            Arrays.fill(a.dQkv, 0, BT * 3 * C, 0f);
            StepProfile.stop(Phase.COPIES, t0);
            t0 = StepProfile.start();
            Layers.attentionBackward(a.dQkv, a.dAtt, a.dC, a.qkv[l], a.att[l], pos, B, T, C, NH);
            StepProfile.stop(Phase.ATTENTION, t0);
            // the gradient of ln_1's output is needed by ln_1's own weights and by the blocks below
            boolean below = l - 1 >= lowestNeeded;
            int dln1w = g(ln1w[l]);
            int dln1b = g(ln1b[l]);
            boolean needDln1 = below || dln1w >= 0 || dln1b >= 0;
            Layers.matmulBackward(gemm, needDln1 ? a.dC : null, false, gr, g(qkvw[l]), -1, a.dQkv, a.ln1[l], params,
                    qkvw[l], BT, C, 3 * C);
            if (adapter != null) {
                adapterBackward(4 * l + QKV, needDln1 ? a.dC : null, a.dQkv, a.ln1[l], BT);
            }
            int dqkvb = g(qkvb[l]);
            if (dqkvb >= 0) {
                // The key bias adds q·b_k to every score of a softmax row, which the softmax ignores: its
                // gradient is exactly 0. Summing it in float32 leaves ~1e-9 of rounding noise that Adam's
                // normalisation would turn into updates of up to ~lr/10 per step, so only q and v accumulate.
                Layers.biasBackward(gr, dqkvb, a.dQkv, BT, 3 * C, 0, C);
                Layers.biasBackward(gr, dqkvb, a.dQkv, BT, 3 * C, 2 * C, 3 * C);
            }
            if (needDln1) {
                Layers.layernormBackward(a.dResidual, gr, dln1w, dln1b, a.dC, residual, params, ln1w[l], a.ln1Mean[l],
                        a.ln1Rstd[l], BT, C);
            }
        }
        if (lowestNeeded < 0) {
            Layers.encoderBackward(gr, g(wte), g(wpe), a.dResidual, a.tokens, pos, B, T, C);
        }
    }

    private void adapterBackward(int linear, float[] dinp, float[] dout, float[] inp, int N) {
        long t0 = StepProfile.start();
        adapter.backward(linear, dinp, dout, inp, N);
        StepProfile.stop(Phase.LORA, t0);
    }

    private void adapterForward(int linear, float[] out, float[] inp, int N) {
        long t0 = StepProfile.start();
        adapter.forward(linear, out, inp, N);
        StepProfile.stop(Phase.LORA, t0);
    }

    /** The logits (B,T,V) of the last forward pass, packed from index 0; valid until the next backward pass. */
    @Override
    public float[] logits() {
        if (!logitsValid) {
            throw new IllegalStateException("no logits: run forward() (backward() consumes them)");
        }
        return acts.logits;
    }

    /** Index in {@link #logits()} of the V logits at position (b, t) of the last forward pass. */
    @Override
    public int logitsOffset(int b, int t) {
        if (b < 0 || b >= batch || t < 0 || t >= seqLen) {
            throw new IndexOutOfBoundsException("position (" + b + ", " + t + ") outside the last batch " + batch + " x " + seqLen);
        }
        return (b * seqLen + t) * config.vocabSize();
    }

    /** Mean loss of the last forward pass with targets (NaN without targets). */
    @Override
    public float loss() {
        return loss;
    }

    /** Positions of the last forward pass whose target was not ignored. */
    @Override
    public int validTargets() {
        return validTargets;
    }

    /**
     * One {@link AdamW.Slice} per trainable tensor, over this model's parameter and gradient buffers;
     * {@code decay} chooses the tensors that get weight decay (see {@link #decayAll()},
     * {@link #decayMatricesOnly()}).
     */
    @Override
    public List<AdamW.Slice> optimizerSlices(Predicate<TensorView> decay) {
        ensureGrads();
        List<AdamW.Slice> out = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            if (trainable[i]) {
                TensorView v = tensors.get(i);
                out.add(new AdamW.Slice(v.name(), params, grads, v.offset(), v.size(), decay.test(v)));
            }
        }
        return out;
    }

    /** Weight decay on every tensor (torch.optim.AdamW over {@code model.parameters()}). */
    public static Predicate<TensorView> decayAll() {
        return v -> true;
    }

    /** Weight decay on matrices and embeddings only, not on biases and LayerNorm (nanoGPT's choice). */
    public static Predicate<TensorView> decayMatricesOnly() {
        return v -> v.rank() >= 2;
    }

    /** Bytes the activations for (B, T) take, to check a batch fits before allocating it. */
    @Override
    public long activationBytes(int B, int T) {
        return 4 * Activations.floats(config, B, T);
    }

    /** The activation buffers (tests look at their capacity). */
    Activations activations() {
        return acts;
    }

    private void ensureActivations(int B, int T) {
        if (acts == null || !acts.fits(B, T)) {
            // capacity by size, not by shape: a pass of many short rows after one of few long rows must not
            // allocate for many long rows
            int bt = Math.max(Math.multiplyExact(B, T), acts == null ? 0 : acts.capBT);
            long btt = Math.max((long) B * T * T, acts == null ? 0 : acts.capBTT);
            acts = null; // let the old buffers go before the new ones are allocated
            acts = new Activations(config, bt, btt);
        }
    }

    private void ensureGrads() {
        if (grads == null) {
            grads = new float[params.length];
        }
    }
}
