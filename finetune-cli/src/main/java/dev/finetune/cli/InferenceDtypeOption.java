package dev.finetune.cli;

import dev.finetune.inference.ModelFolders;
import dev.finetune.kernel.WeightType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --dtype}: how a served model keeps its weight matrices while it decodes, mixed into the commands
 * that generate ({@code chat}, {@code generate}, {@code serve}). {@code stored} (the default) keeps each
 * matrix in the dtype its checkpoint has (a BF16 model stays at 2 bytes a weight); {@code f32},
 * {@code bf16}, {@code f16} convert on load; {@code q8_0} quantizes to weight-only int8 (blocks of 32, a
 * scale each: 1.125 bytes a weight). Sets the system property {@value ModelFolders#DTYPE_PROPERTY}.
 * Models with a rerank or classify head keep their float weights whatever it says.
 */
public final class InferenceDtypeOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "stored",
            description = "weights while decoding: stored (as in the checkpoint), f32, bf16, f16 or q8_0 (weight-only int8) "
                    + "(default ${DEFAULT-VALUE})")
    String dtype;

    /** Checks the value and sets {@value ModelFolders#DTYPE_PROPERTY} for the models this process loads. */
    void apply() {
        if (!dtype.equalsIgnoreCase("stored")) {
            try {
                WeightType.parse(dtype);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--dtype: " + e.getMessage() + " (or stored)");
            }
        }
        System.setProperty(ModelFolders.DTYPE_PROPERTY, dtype);
    }
}
