package dev.finetune.jobs;

import dev.finetune.metrics.ExampleValues;
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

    /**
     * The examples {@code order[b0 .. b0 + B)} of a step cut into at most {@code shards} contiguous
     * shards ({@link ShardedTraining#cuts}), each carrying its examples' tokens and the whole step's loss
     * normalizer. Tasks that cannot be sharded throw.
     */
    default List<ShardedTraining.Shard> shards(int[] order, int b0, int B, int epoch, int shards) {
        throw new dev.finetune.FinetuneException(getClass().getSimpleName() + " cannot run as gradient shards");
    }

    /**
     * Forward and backward over one shard of {@link #shards}, adding its part of the step's mean-loss
     * gradient to the (already zeroed) gradients. The returned loss is the shard's share of the step's
     * mean loss; the shards' shares add up to it.
     */
    default Step trainShard(ShardedTraining.Shard shard) {
        throw new dev.finetune.FinetuneException(getClass().getSimpleName() + " cannot run as gradient shards");
    }

    /** How a worker builds this task's shard side on its own copy of the model. */
    default ShardedTraining.TaskSpec workerTask() {
        throw new dev.finetune.FinetuneException(getClass().getSimpleName() + " cannot run as gradient shards");
    }

    /** Metrics on the evaluation data, in a fixed order. */
    Map<String, Double> evaluate();

    /**
     * {@link #evaluate()}'s metrics, exactly, with each metric's per-example values (for the paired
     * confidence intervals of the before/after change). By default no per-example values.
     */
    default Evaluation evaluation() {
        return new Evaluation(evaluate(), List.of());
    }

    /** An evaluation's metrics and, for those a paired test can compare, their per-example values. */
    record Evaluation(Map<String, Double> metrics, List<ExampleValues> examples) {
    }

    /**
     * What {@link #trainBatch} with these arguments would put through the model, computed without
     * running it (for the estimate; the real step must agree).
     */
    Plan plan(int[] order, int b0, int B, int epoch);

    /** What one {@link #evaluate()} puts through the model. */
    Plan evalPlan();

    /** Evaluation examples (queries for rerank). */
    int evalSize();

    /**
     * Bytes of the task's own buffers beyond the model's weights and gradients, the adapter and the
     * optimizer: its examples' tokens, its input buffers, logits or head scratch, for passes up to
     * {@code largest}.
     */
    long bufferBytes(Plan largest);

    /**
     * Tokens and shapes of a batch or an evaluation: {@code trainedTokens} the tokens whose prediction
     * (or, for a head, whose input) is trained, {@code inputTokens} the real tokens, {@code processedTokens}
     * the positions run through the model, padding included; {@code maxBT} and {@code maxBTT} the largest
     * pass's B·T and B·T·T (what the activations are sized by).
     */
    record Plan(long trainedTokens, long inputTokens, long processedTokens, long maxBT, long maxBTT) {
        static final Plan NONE = new Plan(0, 0, 0, 0, 0);

        Plan plus(Plan o) {
            return new Plan(trainedTokens + o.trainedTokens, inputTokens + o.inputTokens, processedTokens + o.processedTokens,
                    Math.max(maxBT, o.maxBT), Math.max(maxBTT, o.maxBTT));
        }

        /** A pass of {@code rows} rows of length {@code T}. */
        static Plan pass(long trained, long input, int rows, int T) {
            long bt = (long) rows * T;
            return new Plan(trained, input, bt, bt, bt * T);
        }
    }

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

    /**
     * One training step's mean loss, the positions it ran through the model ({@code tokens}, padding
     * included), the examples' own tokens among them ({@code inputTokens}, see {@link Plan#inputTokens}) and
     * the tokens it trained (see {@link Plan#trainedTokens}).
     */
    record Step(double loss, long tokens, long inputTokens, long trainedTokens) {
        Step(double loss, long tokens) {
            this(loss, tokens, tokens, tokens);
        }

        /** The share of the step's computed positions that were padding (0 when it computed none). */
        double paddingShare() {
            return dev.finetune.batching.Packing.paddingShare(inputTokens, tokens);
        }
    }
}
