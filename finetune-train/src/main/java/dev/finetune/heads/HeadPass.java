package dev.finetune.heads;

import dev.finetune.batching.Packing;
import dev.finetune.model.CausalLM;
import java.util.Arrays;
import java.util.List;

/**
 * One batch through the backbone and a head: sequences of different lengths packed into rows as long as
 * the longest ({@link Packing#pack}; the model keeps packed sequences apart, so each computes what it
 * computes alone), the head reading each sequence's last position; then, for training, the head's and the
 * backbone's backward pass from the gradient of the head outputs. Rows are never longer, nor more, than
 * padding every sequence to the longest, so a pass needs no more memory than it did padded. Reuses its
 * buffers between batches; one thread at a time.
 */
public final class HeadPass {
    private final CausalLM model;
    private final LinearHead head;
    private int[] offsets = new int[0];
    private float[] dh = new float[0];
    private int[] tokens = new int[0];
    private int[] positions = new int[0];
    private Packing.Layout layout = Packing.pack(new int[0], 1);

    public HeadPass(CausalLM model, LinearHead head) {
        this.model = model;
        this.head = head;
    }

    /** The layout {@link #forward} runs {@code seqs} in: packed into rows as long as the longest. */
    public static Packing.Layout layout(List<int[]> seqs) {
        int[] lengths = new int[seqs.size()];
        int T = 1;
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = seqs.get(i).length;
            if (lengths[i] == 0) {
                throw new IllegalArgumentException("an empty input sequence");
            }
            T = Math.max(T, lengths[i]);
        }
        return Packing.pack(lengths, T);
    }

    /** The head outputs (rows, K) for {@code seqs}, one row each, in order. */
    public float[] forward(List<int[]> seqs) {
        Packing.Layout lay = layout(seqs);
        layout = lay;
        int n = (int) lay.slots();
        if (tokens.length < n) {
            tokens = new int[n];
            positions = new int[n];
        }
        Arrays.fill(tokens, 0, n, 0);
        for (int i = 0; i < seqs.size(); i++) {
            int[] s = seqs.get(i);
            System.arraycopy(s, 0, tokens, lay.row()[i] * lay.T() + lay.offset()[i], s.length);
        }
        lay.positions(positions);
        model.forwardHidden(tokens, positions, lay.rows(), lay.T());
        offsets = new int[seqs.size()];
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = model.hiddenOffset(lay.row()[i], lay.offset()[i] + lay.length()[i] - 1);
        }
        float[] out = new float[seqs.size() * head.outputs()];
        head.forward(out, model.hidden(), offsets);
        return out;
    }

    /** Positions the last forward pass processed, padding included. */
    public long tokens() {
        return layout.slots();
    }

    /** The sequences' own tokens among {@link #tokens()}. */
    public long inputTokens() {
        return layout.used();
    }

    /** Given d loss / d outputs (rows, K) of the last forward pass: head gradients and the backbone's. */
    public void backward(float[] dOut) {
        int n = (int) layout.slots() * model.config().hiddenSize();
        if (dh.length < n) {
            dh = new float[n];
        } else {
            Arrays.fill(dh, 0, n, 0f);
        }
        head.backward(dh, dOut, model.hidden(), offsets);
        model.backwardHidden(dh);
    }
}
