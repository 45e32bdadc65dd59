package dev.finetune.cli;

import dev.finetune.finetuning.LoraTargetModules;
import dev.finetune.finetuning.Strategy;
import java.util.Locale;
import picocli.CommandLine;

/** {@code finetune create}'s {@code --strategy} and {@code --lora-target-modules}: wire names or their short forms; anything else is a usage error (exit 2). */
final class HyperparameterConverters {
    private HyperparameterConverters() {
    }

    static final class StrategyConverter implements CommandLine.ITypeConverter<Strategy> {
        @Override
        public Strategy convert(String value) {
            String v = value.strip().toUpperCase(Locale.ROOT);
            Strategy s = Strategy.valueOf(v.startsWith("STRATEGY_") ? v : "STRATEGY_" + v);
            if (!s.isKnown()) {
                throw new CommandLine.TypeConversionException("unknown strategy '" + value
                        + "'; one of: STRATEGY_LORA, STRATEGY_FULL (or lora, full)");
            }
            return s;
        }
    }

    static final class LoraTargetModulesConverter implements CommandLine.ITypeConverter<LoraTargetModules> {
        @Override
        public LoraTargetModules convert(String value) {
            String v = value.strip().toUpperCase(Locale.ROOT);
            LoraTargetModules m = LoraTargetModules.valueOf(v.startsWith("LORA_TARGET_MODULES_") ? v : "LORA_TARGET_MODULES_" + v);
            if (!m.isKnown() || m.equals(LoraTargetModules.LORA_TARGET_MODULES_UNSPECIFIED)) {
                throw new CommandLine.TypeConversionException("unknown LoRA target modules '" + value + "'; one of: "
                        + "LORA_TARGET_MODULES_QV, LORA_TARGET_MODULES_QKVO, LORA_TARGET_MODULES_QKVO_FFN (or qv, qkvo, qkvo_ffn)");
            }
            return m;
        }
    }
}
