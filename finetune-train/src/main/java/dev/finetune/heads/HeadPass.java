package dev.finetune.heads;

import dev.finetune.model.CausalLM;
import java.util.Arrays;
import java.util.List;

/**
 * One batch through the backbone and a head: sequences of different lengths padded at the end to the
 * longest (the model is causal, so padding never reaches a real position), the head reading each
 * sequence's last position; then, for training, the head's and the backbone's backward pass from the
 * gradient of the head outputs. Reuses its gradient buffer between batches; one thread at a time.
 */
public final class HeadPass {
    private final CausalLM model;
    private final LinearHead head;
    private int[] offsets = new int[0];
    private float[] dh = new float[0];
    private int rows;
    private int T;

    public HeadPass(CausalLM model, LinearHead head) {
        this.model = model;
        this.head = head;
    }

    /** The head outputs (rows, K) for {@code seqs}, one row each, in order. */
    public float[] forward(List<int[]> seqs) {
        rows = seqs.size();
        T = 1;
        for (int[] s : seqs) {
            if (s.length == 0) {
                throw new IllegalArgumentException("an empty input sequence");
            }
            T = Math.max(T, s.length);
        }
        int[] tokens = new int[rows * T];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(seqs.get(r), 0, tokens, r * T, seqs.get(r).length);
        }
        model.forwardHidden(tokens, rows, T);
        offsets = new int[rows];
        for (int r = 0; r < rows; r++) {
            offsets[r] = model.hiddenOffset(r, seqs.get(r).length - 1);
        }
        float[] out = new float[rows * head.outputs()];
        head.forward(out, model.hidden(), offsets);
        return out;
    }

    /** Tokens the last forward pass processed, padding included. */
    public long tokens() {
        return (long) rows * T;
    }

    /** Given d loss / d outputs (rows, K) of the last forward pass: head gradients and the backbone's. */
    public void backward(float[] dOut) {
        int n = rows * T * model.config().hiddenSize();
        if (dh.length < n) {
            dh = new float[n];
        } else {
            Arrays.fill(dh, 0, n, 0f);
        }
        head.backward(dh, dOut, model.hidden(), offsets);
        model.backwardHidden(dh);
    }
}
