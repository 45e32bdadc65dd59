package dev.finetune.model;

import dev.finetune.optim.AdamW;
import java.util.List;
import java.util.function.Predicate;

/**
 * The decoder seam: what the trainer, LoRA, the task heads, checkpoints, scoring and the KV-cached
 * decoder use, whatever the family ({@link GPT2}, {@link Llama}). In llm.c's shape: one flat parameter
 * buffer and one flat gradient buffer with a {@link TensorView} per HuggingFace tensor, activations
 * allocated once per (B, T) and reused, every step allocation-free:
 * <pre>
 *   float loss = model.forward(tokens, targets, B, T);   // logits (B,T,V) and the mean loss
 *   model.zeroGrad();
 *   model.backward();                                    // gradients += d loss / d weights
 *   optimizer.step(lr);
 * </pre>
 * The loss is the mean cross-entropy over positions whose target is not {@link #IGNORE_INDEX}; when
 * every position is ignored it is 0 and the gradients stay 0. {@link #forwardHidden} /
 * {@link #backwardHidden} do the same up to the final norm for a task head. An {@link Adapter} (LoRA)
 * hooks into the {@link #linearLayers() named linear layers}. Implementations are not thread-safe for
 * training; {@link #newDecoder} sessions only read the weights.
 */
public interface CausalLM extends Decodable {
    /** Target value of a position that the loss ignores (torch's default {@code ignore_index}). */
    int IGNORE_INDEX = -100;

    /**
     * A linear layer an {@link Adapter} can hook, by its HuggingFace module name.
     *
     * @param index     position in {@link #linearLayers()}, what the adapter calls receive
     * @param module    the full module path in the HF model ({@code model.layers.0.self_attn.q_proj},
     *                  {@code transformer.h.0.attn.c_attn}); its last part is what PEFT's
     *                  {@code target_modules} names
     * @param weight    the weight's {@link TensorView} name
     * @param layer     the decoder block it belongs to
     * @param in        input features
     * @param out       output features
     * @param fanInFanOut true when the weight is stored [in, out] (GPT-2's Conv1D), false for nn.Linear's [out, in]
     */
    record LinearLayer(int index, String module, String weight, int layer, int in, int out, boolean fanInFanOut) {
        /** The module's last name part, as PEFT's {@code target_modules} match it ({@code q_proj}, {@code c_attn}). */
        public String shortName() {
            return module.substring(module.lastIndexOf('.') + 1);
        }
    }

    /**
     * Something added to the named linear layers (LoRA): called right after {@code out (N,out) = f(inp (N,in))}
     * of layer {@code linear} in the forward pass, and right after that layer's backward in the
     * backward pass, where it accumulates its own gradients and adds its part of {@code dinp}.
     */
    interface Adapter {
        void forward(int linear, float[] out, float[] inp, int N);

        void backward(int linear, float[] dinp, float[] dout, float[] inp, int N);

        /** The lowest decoder block with an adapted layer (backward must reach it). */
        int lowestLayer();
    }

    /**
     * A KV-cached decoder over the model's weights: {@link #step} runs one token at one position,
     * attending to the keys and values cached for every earlier position. Each family's step uses that
     * family's layer functions (see {@link Layers}), so it equals the full forward pass.
     */
    interface Decoder {
        /**
         * Runs {@code token} at {@code position} (caching its keys and values there; positions
         * 0..position-1 must have been stepped) and returns the logits (V) for the next token: the
         * decoder's own buffer, valid until the next call.
         */
        float[] step(int token, int position);

        /** Positions the cache holds. */
        int capacity();
    }

    @Override
    ModelConfig config();

    /** 4 bytes for each float of {@link #parameters()}. */
    @Override
    default long weightBytes() {
        return 4L * parameters().length;
    }

    /** The flat parameter buffer; tensors are {@link #tensors()} views into it. Writes change the model. */
    float[] parameters();

    /** The flat gradient buffer (same views as the parameters). */
    float[] gradients();

    /** Every tensor, in HuggingFace order, with its HF name as stored in this family's checkpoints. */
    List<TensorView> tensors();

    /** The view called {@code name}; throws naming the model when there is none. */
    TensorView tensor(String name);

    /**
     * The token embedding (V, C): {@code wte.weight} for GPT-2, {@code model.embed_tokens.weight} for the
     * Llama family. Rows of added special tokens live here (and, for an untied head, in {@link #outputHead()}).
     */
    TensorView tokenEmbedding();

    /** The output head's tensor (V, C): the token embedding when tied, else {@code lm_head.weight}. */
    TensorView outputHead();

    /** The linear layers an adapter can hook, in forward order. */
    List<LinearLayer> linearLayers();

    boolean isTrainable(String name);

    /** Freezes or unfreezes one tensor; a frozen tensor's gradient stays zero. */
    void setTrainable(String name, boolean value);

    /** Freezes or unfreezes every tensor. */
    void setAllTrainable(boolean value);

    /** Adds (or with null removes) an adapter to the linear layers. */
    void setAdapter(Adapter adapter);

    /** Logits only (no loss): fills {@link #logits()} for {@code tokens} (B,T). */
    void forward(int[] tokens, int B, int T);

    /** Forward pass over tokens (B,T); with targets (B,T) also the mean cross-entropy, returned (NaN without). */
    float forward(int[] tokens, int[] targets, int B, int T);

    /**
     * Forward pass over packed rows: as {@link #forward(int[], int[], int, int)}, with {@code positions} (B,T)
     * the position of each token within its own sequence: 0 where a sequence starts (every row starts one),
     * else the previous position + 1 (see {@link #checkPositions}). A token attends only to the earlier tokens
     * of its own sequence and gets the position embedding (GPT-2) or rotation (RoPE) of its own position, so
     * each sequence of a packed row computes what it computes alone in a row of its own (to float rounding).
     * The backward pass uses the same packing. A packed row may be longer than the context: only each
     * position must be below it. {@code positions} null: one sequence per row, as the unpacked overload.
     */
    float forward(int[] tokens, int[] targets, int[] positions, int B, int T);

    /** {@link #forwardHidden(int[], int, int)} over packed rows ({@code positions} as in the packed {@code forward}). */
    void forwardHidden(int[] tokens, int[] positions, int B, int T);

    /**
     * Checks packed-row positions (B,T): each row starts at 0, every position is 0 (a new sequence) or
     * the previous one + 1, and below {@code maxSeqLen}. Throws naming the first bad index. Null passes
     * (no packing).
     */
    static void checkPositions(int[] positions, int B, int T, int maxSeqLen) {
        if (positions == null) {
            return;
        }
        if (positions.length < B * T) {
            throw new IllegalArgumentException("positions hold fewer than B*T = " + B * T + " entries");
        }
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int i = b * T + t;
                int p = positions[i];
                if (p != 0 && (t == 0 || p != positions[i - 1] + 1)) {
                    throw new IllegalArgumentException("position " + p + " at index " + i + " (row " + b + ", column " + t
                            + ") neither starts a sequence (0) nor follows " + (t == 0 ? "the row start" : "position "
                            + positions[i - 1]));
                }
                if (p >= maxSeqLen) {
                    throw new IllegalArgumentException("position " + p + " at index " + i + " (row " + b + ", column " + t
                            + ") is past the context of " + maxSeqLen + " positions: a packed sequence is at most that long");
                }
            }
        }
    }

    /** The logits (B,T,V) of the last forward pass, packed from index 0; valid until the next backward pass. */
    float[] logits();

    /** Index in {@link #logits()} of the V logits at position (b, t) of the last forward pass. */
    int logitsOffset(int b, int t);

    /** Mean loss of the last forward pass with targets (NaN without targets). */
    float loss();

    /** Positions of the last forward pass whose target was not ignored. */
    int validTargets();

    /** Sets every trainable gradient to zero. */
    void zeroGrad();

    /** Adds the gradient of the last forward pass's mean loss to {@link #gradients()} (consumes the logits). */
    void backward();

    /** As {@link #backward()}, with the summed loss divided by {@code normalizeBy} (gradient accumulation). */
    void backward(int normalizeBy);

    /** Forward pass that stops at the final norm: fills {@link #hidden()} (B,T,C). */
    void forwardHidden(int[] tokens, int B, int T);

    /** The (B,T,C) final hidden states of the last forward pass, packed from index 0. */
    float[] hidden();

    /** Index in {@link #hidden()} of the C channels at position (b, t) of the last forward pass. */
    int hiddenOffset(int b, int t);

    /** Backward pass of the last {@link #forwardHidden} from d loss / d hidden (B,T,C). */
    void backwardHidden(float[] dhidden);

    /** One {@link AdamW.Slice} per trainable tensor; {@code decay} picks the ones with weight decay. */
    List<AdamW.Slice> optimizerSlices(Predicate<TensorView> decay);

    /** Bytes the activations for (B, T) take (logits included), to check a batch fits before allocating it. */
    long activationBytes(int B, int T);

    /**
     * A KV-cached decoder over the float parameters themselves (no copy; {@link InferenceModel#of} packs a
     * read-only copy in another dtype), holding up to {@code capacity} positions (at most {@code maxSeqLen}).
     */
    @Override
    Decoder newDecoder(int capacity);

    /** A copy with {@code vocabSize} token rows (new rows the mean of the old ones). */
    CausalLM withVocabSize(int vocabSize);

    /** Weight decay on every tensor (torch.optim.AdamW over {@code model.parameters()}). */
    static Predicate<TensorView> decayAll() {
        return v -> true;
    }

    /** Weight decay on matrices and embeddings only, not on biases and norms (nanoGPT's choice). */
    static Predicate<TensorView> decayMatricesOnly() {
        return v -> v.rank() >= 2;
    }
}
