package dev.finetune.inference;

import dev.finetune.model.CausalLM;
import dev.finetune.model.Decodable;
import dev.finetune.model.ModelConfig;

/**
 * Incremental decoding of one sequence with a key/value cache: {@link #append(int)} runs the model on a
 * single new token, attending to the keys and values kept for every earlier position, so that each new
 * token costs O(position·C + weights) instead of a forward pass over the whole prefix. The step itself
 * is the model family's ({@link CausalLM#newDecoder}), built from the same layer functions as training.
 *
 * <p>The session reads the weights of a {@link Decodable} (a {@link CausalLM}'s float parameters, or an
 * {@link dev.finetune.model.InferenceModel}'s packed ones) and never writes them; many sessions may decode
 * from one model on many threads at once as long as nobody trains that model meanwhile. A session
 * itself is not thread-safe. Its memory is the family's cache (GPT-2: {@code 2·L·capacity·C} floats;
 * Llama: {@code 2·L·capacity·kv_heads·head_dim}) plus a few vectors, allocated once.
 */
public final class DecodeSession {
    private final CausalLM.Decoder decoder;
    private final ModelConfig cfg;
    private int position;

    /**
     * A session over {@code model}'s weights that can hold up to {@code capacity} positions
     * (at most the model's context length).
     */
    public DecodeSession(Decodable model, int capacity) {
        this.cfg = model.config();
        this.decoder = model.newDecoder(capacity);
    }

    /** Number of positions decoded so far (the next token's position). */
    public int position() {
        return position;
    }

    public int capacity() {
        return decoder.capacity();
    }

    /** Forgets every position; the cache is reused. */
    public void reset() {
        position = 0;
    }

    /**
     * Keeps only the first {@code n} positions (their keys and values stay valid), so a caller can
     * back up, e.g. to re-decode after a stop sequence or to share a prompt between continuations.
     */
    public void truncate(int n) {
        if (n < 0 || n > position) {
            throw new IllegalArgumentException("cannot truncate " + position + " positions to " + n);
        }
        position = n;
    }

    /**
     * Runs the model on {@code token} at the next position and returns the logits (V) for the token
     * after it. The array is the session's own buffer: valid until the next call.
     */
    public float[] append(int token) {
        if (token < 0 || token >= cfg.vocabSize()) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary 0.." + (cfg.vocabSize() - 1));
        }
        if (position >= decoder.capacity()) {
            throw new IllegalStateException("the session is full: " + decoder.capacity() + " positions");
        }
        float[] logits = decoder.step(token, position);
        position++;
        return logits;
    }

    /** The model shape this session decodes. */
    public ModelConfig config() {
        return cfg;
    }
}
