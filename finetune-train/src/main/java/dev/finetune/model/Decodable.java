package dev.finetune.model;

/**
 * What KV-cached decoding needs from a model: its shape and decoders over its weights. A trainable
 * {@link CausalLM} is one (decoding from its float parameters); an {@link InferenceModel} is another
 * (the weights packed read-only in their stored dtype, or BF16, F16 or Q8_0).
 */
public interface Decodable {
    ModelConfig config();

    /** A KV-cached decoder holding up to {@code capacity} positions (at most {@code maxSeqLen}). */
    CausalLM.Decoder newDecoder(int capacity);

    /** Bytes the weights take in memory (what a model cache counts). */
    long weightBytes();
}
