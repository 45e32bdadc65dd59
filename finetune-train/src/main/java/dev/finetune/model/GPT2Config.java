package dev.finetune.model;

/**
 * The shape of a GPT-2 model, in HuggingFace {@code GPT2Config} terms. The architecture is fixed:
 * learned position embeddings, pre-LayerNorm blocks, causal multi-head attention scaled by
 * {@code 1/sqrt(headSize)}, an MLP of width {@code 4·channels} with GELU (tanh approximation,
 * {@code gelu_new}), a final LayerNorm and an output projection tied to the token embedding.
 *
 * @param vocabSize         {@code vocab_size}, V
 * @param maxSeqLen         {@code n_positions}, the longest sequence (rows of {@code wpe})
 * @param channels          {@code n_embd}, C
 * @param layers            {@code n_layer}, L
 * @param heads             {@code n_head}, NH; divides {@code channels}
 * @param layerNormEpsilon  {@code layer_norm_epsilon}
 */
public record GPT2Config(int vocabSize, int maxSeqLen, int channels, int layers, int heads, float layerNormEpsilon)
        implements ModelConfig {

    public GPT2Config {
        positive("vocab_size", vocabSize);
        positive("n_positions", maxSeqLen);
        positive("n_embd", channels);
        positive("n_layer", layers);
        positive("n_head", heads);
        if (channels % heads != 0) {
            throw new IllegalArgumentException("n_embd " + channels + " is not a multiple of n_head " + heads);
        }
        if (!(layerNormEpsilon > 0) || Float.isInfinite(layerNormEpsilon)) {
            throw new IllegalArgumentException("layer_norm_epsilon must be a positive number, got " + layerNormEpsilon);
        }
    }

    /** A config with GPT-2's LayerNorm epsilon (1e-5). */
    public static GPT2Config of(int vocabSize, int maxSeqLen, int channels, int layers, int heads) {
        return new GPT2Config(vocabSize, maxSeqLen, channels, layers, heads, 1e-5f);
    }

    /** GPT-2 small, "124M": V 50257, 1024 positions, C 768, 12 layers, 12 heads. */
    public static GPT2Config gpt2Small() {
        return of(50257, 1024, 768, 12, 12);
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }

    @Override
    public String family() {
        return "gpt2";
    }

    @Override
    public int hiddenSize() {
        return channels;
    }

    /** Channels per attention head, {@code hs = C / NH}. */
    public int headSize() {
        return channels / heads;
    }

    /** Number of floats in all weights (the tied head counted once). */
    @Override
    public long parameterCount() {
        long c = channels;
        long perLayer = 2 * c              // ln_1
                + c * 3 * c + 3 * c         // attn.c_attn
                + c * c + c                 // attn.c_proj
                + 2 * c                     // ln_2
                + c * 4 * c + 4 * c         // mlp.c_fc
                + 4 * c * c + c;            // mlp.c_proj
        return (long) vocabSize * c + (long) maxSeqLen * c + layers * perLayer + 2 * c;
    }
}
