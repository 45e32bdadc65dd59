package dev.finetune.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The family factory: picks the model family of a HuggingFace folder from its {@code config.json}
 * ({@code architectures}, else {@code model_type}) and loads it.
 * <ul>
 *   <li>{@code GPT2LMHeadModel} / gpt2 -> {@link GPT2} ({@link GPT2Checkpoint})</li>
 *   <li>{@code LlamaForCausalLM} / llama, {@code Qwen2ForCausalLM} / qwen2 -> {@link Llama} ({@link LlamaCheckpoint})</li>
 * </ul>
 */
public final class CausalLMs {
    private CausalLMs() {
    }

    /** The family ({@code gpt2}, {@code llama}, {@code qwen2}) of the folder's config.json; throws naming the key otherwise. */
    public static String family(Path dir) {
        Path file = dir.resolve("config.json");
        JsonNode root = LlamaConfig.readJson(file);
        JsonNode arch = root.get("architectures");
        if (arch != null && arch.isArray() && arch.size() > 0) {
            List<String> names = new ArrayList<>();
            for (JsonNode a : arch) {
                String n = a.asText();
                names.add(n);
                switch (n) {
                    case "GPT2LMHeadModel", "GPT2Model":
                        return "gpt2";
                    case "LlamaForCausalLM":
                        return "llama";
                    case "Qwen2ForCausalLM":
                        return "qwen2";
                    default:
                        break;
                }
            }
            throw new ModelFormatException(file + ": architectures " + names + " is not supported (GPT2LMHeadModel, "
                    + "LlamaForCausalLM, Qwen2ForCausalLM)");
        }
        JsonNode type = root.get("model_type");
        String t = type == null || type.isNull() ? "gpt2" : type.asText();
        return switch (t) {
            case "gpt2", "llama", "qwen2" -> t;
            default -> throw new ModelFormatException(file + ": model_type \"" + t + "\" is not supported (gpt2, llama, qwen2)");
        };
    }

    /**
     * Saves {@code model} as a full HuggingFace folder of its family ({@code config.json} +
     * {@code model.safetensors}): GPT-2 as F32 like {@code GPT2LMHeadModel.save_pretrained}, the Llama
     * family in the dtype its config was loaded with (a merged LoRA model keeps the base's dtype).
     */
    public static void save(CausalLM model, Path dir) {
        if (model instanceof GPT2 g) {
            GPT2Checkpoint.save(g, dir);
        } else if (model instanceof Llama l) {
            LlamaCheckpoint.save(l, dir);
        } else {
            throw new IllegalArgumentException("no checkpoint format for " + model.getClass().getName());
        }
    }

    /** Loads the folder as its family's model. */
    public static CausalLM load(Path dir) {
        return switch (family(dir)) {
            case "gpt2" -> GPT2Checkpoint.load(dir);
            default -> LlamaCheckpoint.load(dir);
        };
    }
}
