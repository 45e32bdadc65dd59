package dev.finetune.jobs;

import dev.finetune.optim.AdamW;
import java.util.List;
import java.util.Map;

/**
 * What a fine-tune trains for, seen by the training loop: a next-token objective (chat, generative) or
 * a task head (rerank, classify). The loop owns the schedule, optimizer, evaluation cadence, early
 * stopping and checkpoints; a task owns its data, batches, loss and metrics.
 */
interface Task {
    /** Training examples (the unit the batch size counts). */
    int size();

    /**
     * Forward and backward over the examples {@code order[b0 .. b0 + B)} (fewer at the end of the order),
     * adding the gradient of the batch's mean loss to the (already zeroed) model and adapter gradients
     * and to the task's own. Returns that loss and the tokens processed.
     */
    Step trainBatch(int[] order, int b0, int B, int epoch);

    /** Metrics on the evaluation data, in a fixed order. */
    Map<String, Double> evaluate();

    /**
     * The evaluation metric that early stopping and the best-weights choice watch; by default the first
     * one, lower is better.
     */
    default Watch watch(Map<String, Double> metrics) {
        return new Watch(metrics.keySet().iterator().next(), false);
    }

    /** A watched metric and its direction. */
    record Watch(String key, boolean higherIsBetter) {
        /** The metric as a quantity to minimize. */
        double cost(Map<String, Double> metrics) {
            double v = metrics.get(key);
            return higherIsBetter ? -v : v;
        }
    }

    /** The task's own trainable tensors (a head), empty for next-token tasks. */
    default List<AdamW.Slice> extraSlices() {
        return List.of();
    }

    /** Zeroes the gradients of {@link #extraSlices()}. */
    default void zeroExtraGrads() {
    }

    /** One training step's mean loss and token count. */
    record Step(double loss, long tokens) {
    }
}
