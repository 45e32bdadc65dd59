package dev.finetune.heads;

import dev.finetune.model.CausalLM;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Runs a task head over many sequences of different lengths: sorted by length so that each batch pads
 * little (and each batch packed by {@link HeadPass}), cut into batches whose activations fit
 * {@link #MICRO_BATCH_BYTES}, with the head reading each sequence's last position. Uses the model's activation buffers: one caller at a time.
 */
public final class Scoring {
    /** Activation memory one forward batch may use ({@code finetune.microBatchBytes}, default 512 MB). */
    public static final long MICRO_BATCH_BYTES = Long.getLong("finetune.microBatchBytes", 512L << 20);

    private Scoring() {
    }

    /** Rows of length T that fit the activation budget (at least 1). */
    public static int rowsFor(CausalLM model, int T) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, MICRO_BATCH_BYTES / Math.max(1, model.activationBytes(1, T))));
    }

    /** The head's outputs (N, K) for N sequences, row i for {@code seqs.get(i)}. */
    public static float[] outputs(CausalLM model, LinearHead head, List<int[]> seqs) {
        int n = seqs.size();
        int K = head.outputs();
        float[] out = new float[n * K];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -seqs.get(i).length));
        HeadPass pass = new HeadPass(model, head);
        int at = 0;
        while (at < n) {
            int T = seqs.get(order[at]).length;
            int rows = Math.min(n - at, rowsFor(model, T));
            List<int[]> batch = new java.util.ArrayList<>(rows);
            for (int r = 0; r < rows; r++) {
                batch.add(seqs.get(order[at + r]));
            }
            float[] o = pass.forward(batch);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(o, r * K, out, order[at + r] * K, K);
            }
            at += rows;
        }
        return out;
    }
}
