package dev.finetune.classify;

import dev.finetune.Ranges;
import java.util.List;
import java.util.Objects;

/**
 * A classify request: label each of {@code inputs} (1 to 96 non-empty texts) with a classification
 * model ({@code "<id>-ft"} of a {@code BASE_TYPE_CLASSIFICATION} fine-tune). Texts longer than the
 * model's 512-token input are truncated at the end.
 */
public record ClassifyRequest(String model, List<String> inputs) {
    /** Most inputs one request may hold (the service's limit). */
    public static final int MAX_INPUTS = 96;

    public ClassifyRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(inputs, "inputs");
        if (inputs.isEmpty() || inputs.size() > MAX_INPUTS) {
            throw Ranges.invalid("inputs", "must hold 1 to " + MAX_INPUTS + " texts, got " + inputs.size());
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) == null || inputs.get(i).isEmpty()) {
                throw Ranges.invalid("inputs[" + i + "]", "must be a non-empty text");
            }
        }
        inputs = List.copyOf(inputs);
    }

    public static ClassifyRequest of(String model, List<String> inputs) {
        return new ClassifyRequest(model, inputs);
    }

    public static ModelStage builder() {
        return model -> inputs -> new ClassifyRequest(model, inputs);
    }

    /** Required: the model. */
    public interface ModelStage {
        InputsStage model(String model);
    }

    /** Required: the inputs. */
    public interface InputsStage {
        ClassifyRequest inputs(List<String> inputs);
    }
}
