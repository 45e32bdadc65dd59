package dev.finetune.finetuning;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a fine-tune will cost on this machine, before it runs ({@link FinetuningClient#estimate}), and
 * the same record kept current while it runs ({@link FinetuningClient#jobEstimate}).
 *
 * <p>Counts are exact for the trainer's schedule: the examples after templating and truncation, the
 * batches of every epoch in the trainer's own order. {@code trainableTokens} is one pass over the
 * train part (the tokens whose prediction is trained: the dataset's {@code trainable_token_count} as
 * the trainer sees it); {@code trainedTokens} is what the whole run trains (every epoch, no early
 * stop), comparable with the finished model's {@code trained_tokens} metric. {@code processedTokens}
 * counts the positions that go through the model, padding included; {@code paddingShare} is the
 * padded part of them.
 *
 * <p>Memory ({@code memory}, bytes by part, and their sum {@code peakMemoryBytes}) is the trainer's
 * buffers at their peak: weights, gradients (of every weight, or of the adapter), the adapter,
 * optimizer moments, the best-weights and checkpoint copies, activations and logits at the chosen
 * micro-batch, the task's token buffers. {@code fits} compares it with the heap this JVM may grow to.
 *
 * <p>Time: {@code seconds} is extrapolated from a short burst of real steps, one real evaluation and
 * one checkpoint on this machine ({@code measuredSteps} steps in {@code measuredSeconds}); absent in a
 * job's own record until it has run steps. {@code estimatedFinish} is when the job should end, kept
 * current from the run's measured pace.
 */
public record Estimate(int steps, int epochs, int stepsPerEpoch, int batchSize, int microBatch, int trainExamples,
                       int evalExamples, int examplesTruncated, long trainableTokens, long trainedTokens,
                       long processedTokens, double paddingShare, int evaluations, long peakMemoryBytes,
                       Map<String, Long> memory, long heapMaxBytes, boolean fits, Optional<Double> seconds,
                       Optional<Double> secondsPerStep, Optional<Double> evaluationSeconds, int measuredSteps,
                       double measuredSeconds, Optional<Instant> estimatedFinish) {
    public Estimate {
        memory = memory == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(memory));
        seconds = seconds == null ? Optional.empty() : seconds;
        secondsPerStep = secondsPerStep == null ? Optional.empty() : secondsPerStep;
        evaluationSeconds = evaluationSeconds == null ? Optional.empty() : evaluationSeconds;
        estimatedFinish = estimatedFinish == null ? Optional.empty() : estimatedFinish;
    }

    /** A copy with the time part set (from a measured pace). */
    public Estimate withTime(double seconds, double secondsPerStep, double evaluationSeconds, int measuredSteps,
                             double measuredSeconds) {
        return new Estimate(steps, epochs, stepsPerEpoch, batchSize, microBatch, trainExamples, evalExamples,
                examplesTruncated, trainableTokens, trainedTokens, processedTokens, paddingShare, evaluations,
                peakMemoryBytes, memory, heapMaxBytes, fits, Optional.of(seconds), Optional.of(secondsPerStep),
                Optional.of(evaluationSeconds), measuredSteps, measuredSeconds, estimatedFinish);
    }

    /** A copy with {@code estimatedFinish} set. */
    public Estimate withFinish(Instant finish) {
        return new Estimate(steps, epochs, stepsPerEpoch, batchSize, microBatch, trainExamples, evalExamples,
                examplesTruncated, trainableTokens, trainedTokens, processedTokens, paddingShare, evaluations,
                peakMemoryBytes, memory, heapMaxBytes, fits, seconds, secondsPerStep, evaluationSeconds, measuredSteps,
                measuredSeconds, Optional.of(finish));
    }
}
