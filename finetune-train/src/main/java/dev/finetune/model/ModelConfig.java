package dev.finetune.model;

/**
 * What every model family's config tells the code around the model (trainer, heads, decoder, CLI):
 * the family and the shape that sizes buffers. Each family's own record ({@link GPT2Config},
 * {@link LlamaConfig}) holds the rest.
 */
public interface ModelConfig {
    /** {@code "gpt2"}, {@code "llama"} or {@code "qwen2"} (config.json's {@code model_type}). */
    String family();

    /** V, the vocabulary size (rows of the token embedding and of the output head). */
    int vocabSize();

    /** The longest sequence the model takes ({@code n_positions} / {@code max_position_embeddings}). */
    int maxSeqLen();

    /** C, the width of the hidden states a task head reads. */
    int hiddenSize();

    /** L, the number of decoder blocks. */
    int layers();

    /** Number of floats in all weights (a tied head counted once). */
    long parameterCount();
}
