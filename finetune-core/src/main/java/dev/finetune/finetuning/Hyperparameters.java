package dev.finetune.finetuning;

import dev.finetune.Ranges;
import dev.finetune.BadRequestException;
import java.util.Optional;

/**
 * Training settings, each optional; an absent one takes its documented default. Ranges are inclusive
 * and checked on construction (also when read from JSON), with a message that names the field, the value
 * and the range:
 * <pre>
 *   train_epochs               1 .. 10        default 1
 *   learning_rate              0.00005 .. 0.1 default 0.01 (a LoRA rate; full fine-tuning wants ~1e-4)
 *   train_batch_size           2 .. 16        default 16
 *   early_stopping_threshold   0.001 .. 0.1   default 0.001
 *   early_stopping_patience    0 .. 10        default 10 (0 turns early stopping off)
 *   lora_alpha                 1 .. 128       default 16   (our range; the scale is alpha / rank)
 *   lora_rank                  1 .. 32        default 8    (our range)
 *   lora_target_modules        QV | QKVO | QKVO_FFN, default QV
 *   seed                       any            default 0 (ours)
 *   strategy                   LORA | FULL    default LORA (ours)
 * </pre>
 */
public record Hyperparameters(Optional<Integer> trainEpochs, Optional<Double> learningRate, Optional<Integer> trainBatchSize,
                              Optional<Double> earlyStoppingThreshold, Optional<Integer> earlyStoppingPatience,
                              Optional<Integer> loraAlpha, Optional<Integer> loraRank,
                              Optional<LoraTargetModules> loraTargetModules, Optional<Long> seed, Optional<Strategy> strategy) {

    public static final int DEFAULT_EPOCHS = 1;
    public static final double DEFAULT_LEARNING_RATE = 0.01;
    public static final int DEFAULT_BATCH_SIZE = 16;
    public static final double DEFAULT_EARLY_STOPPING_THRESHOLD = 0.001;
    public static final int DEFAULT_EARLY_STOPPING_PATIENCE = 10;
    public static final int DEFAULT_LORA_ALPHA = 16;
    public static final int DEFAULT_LORA_RANK = 8;

    public Hyperparameters {
        trainEpochs = orEmpty(trainEpochs);
        learningRate = orEmpty(learningRate);
        trainBatchSize = orEmpty(trainBatchSize);
        earlyStoppingThreshold = orEmpty(earlyStoppingThreshold);
        earlyStoppingPatience = orEmpty(earlyStoppingPatience);
        loraAlpha = orEmpty(loraAlpha);
        loraRank = orEmpty(loraRank);
        loraTargetModules = orEmpty(loraTargetModules);
        seed = orEmpty(seed);
        strategy = orEmpty(strategy);
        trainEpochs.ifPresent(v -> Ranges.check("train_epochs", v, 1, 10));
        learningRate.ifPresent(v -> Ranges.check("learning_rate", v, 0.00005, 0.1));
        trainBatchSize.ifPresent(v -> Ranges.check("train_batch_size", v, 2, 16));
        earlyStoppingThreshold.ifPresent(v -> Ranges.check("early_stopping_threshold", v, 0.001, 0.1));
        earlyStoppingPatience.ifPresent(v -> Ranges.check("early_stopping_patience", v, 0, 10));
        loraAlpha.ifPresent(v -> Ranges.check("lora_alpha", v, 1, 128));
        loraRank.ifPresent(v -> Ranges.check("lora_rank", v, 1, 32));
        loraTargetModules.ifPresent(v -> {
            if (!v.isKnown() || v.equals(LoraTargetModules.LORA_TARGET_MODULES_UNSPECIFIED)) {
                throw new BadRequestException("lora_target_modules: " + v + " is not one of LORA_TARGET_MODULES_QV, "
                        + "LORA_TARGET_MODULES_QKVO, LORA_TARGET_MODULES_QKVO_FFN");
            }
        });
        strategy.ifPresent(v -> {
            if (!v.isKnown()) {
                throw new BadRequestException("strategy: " + v + " is not one of STRATEGY_LORA, STRATEGY_FULL");
            }
        });
    }

    private static <T> Optional<T> orEmpty(Optional<T> o) {
        return o == null ? Optional.empty() : o;
    }

    /** Every setting at its default. */
    public static Hyperparameters defaults() {
        return builder().build();
    }

    public int epochs() {
        return trainEpochs.orElse(DEFAULT_EPOCHS);
    }

    public double lr() {
        return learningRate.orElse(DEFAULT_LEARNING_RATE);
    }

    public int batchSize() {
        return trainBatchSize.orElse(DEFAULT_BATCH_SIZE);
    }

    public double stoppingThreshold() {
        return earlyStoppingThreshold.orElse(DEFAULT_EARLY_STOPPING_THRESHOLD);
    }

    public int stoppingPatience() {
        return earlyStoppingPatience.orElse(DEFAULT_EARLY_STOPPING_PATIENCE);
    }

    public int alpha() {
        return loraAlpha.orElse(DEFAULT_LORA_ALPHA);
    }

    public int rank() {
        return loraRank.orElse(DEFAULT_LORA_RANK);
    }

    public LoraTargetModules targets() {
        return loraTargetModules.orElse(LoraTargetModules.LORA_TARGET_MODULES_QV);
    }

    public long seedValue() {
        return seed.orElse(0L);
    }

    public Strategy strategyValue() {
        return strategy.orElse(Strategy.STRATEGY_LORA);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** All settings optional; {@link #build()} checks the ranges. */
    public static final class Builder {
        private Integer trainEpochs;
        private Double learningRate;
        private Integer trainBatchSize;
        private Double earlyStoppingThreshold;
        private Integer earlyStoppingPatience;
        private Integer loraAlpha;
        private Integer loraRank;
        private LoraTargetModules loraTargetModules;
        private Long seed;
        private Strategy strategy;

        private Builder() {
        }

        public Builder trainEpochs(int v) {
            trainEpochs = v;
            return this;
        }

        public Builder learningRate(double v) {
            learningRate = v;
            return this;
        }

        public Builder trainBatchSize(int v) {
            trainBatchSize = v;
            return this;
        }

        public Builder earlyStoppingThreshold(double v) {
            earlyStoppingThreshold = v;
            return this;
        }

        public Builder earlyStoppingPatience(int v) {
            earlyStoppingPatience = v;
            return this;
        }

        public Builder loraAlpha(int v) {
            loraAlpha = v;
            return this;
        }

        public Builder loraRank(int v) {
            loraRank = v;
            return this;
        }

        public Builder loraTargetModules(LoraTargetModules v) {
            loraTargetModules = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder strategy(Strategy v) {
            strategy = v;
            return this;
        }

        /** @throws BadRequestException naming the field, the value and the range */
        public Hyperparameters build() {
            return new Hyperparameters(Optional.ofNullable(trainEpochs), Optional.ofNullable(learningRate),
                    Optional.ofNullable(trainBatchSize), Optional.ofNullable(earlyStoppingThreshold),
                    Optional.ofNullable(earlyStoppingPatience), Optional.ofNullable(loraAlpha), Optional.ofNullable(loraRank),
                    Optional.ofNullable(loraTargetModules), Optional.ofNullable(seed), Optional.ofNullable(strategy));
        }
    }
}
