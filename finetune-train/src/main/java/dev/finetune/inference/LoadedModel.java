package dev.finetune.inference;

import dev.finetune.heads.TaskHead;
import dev.finetune.model.CausalLM;
import dev.finetune.model.Decodable;
import dev.finetune.template.ChatTemplate;
import dev.finetune.template.ModelTemplate;
import dev.finetune.tokenizer.Tokenizer;
import java.util.Objects;
import java.util.Optional;

/**
 * A model ready to answer: its weights (LoRA adapters already merged), its tokenizer, and the chat
 * template's special-token ids when the vocabulary has them.
 *
 * @param name       what requests call it ({@code "<id>-ft"} or a base model name)
 * @param model      the weights; only read while serving: a {@link CausalLM} (float parameters; what the
 *                   task heads need) or a packed {@link dev.finetune.model.InferenceModel}
 * @param tokenizer  the model's tokenizer
 * @param template   the chat template ids, absent for a model that never learned the template
 * @param endOfText  the id that ends a generation without the template ({@code <|endoftext|>}), or -1
 * @param head       the rerank or classify head of a model fine-tuned for one of those tasks
 * @param chatTemplate the model folder's own chat template (tokenizer_config.json / chat_template.jinja);
 *                   when present chat renders it instead of the built-in template
 * @param stopIds    ids that end any generation besides the template's end of turn: the configs'
 *                   {@code eos_token_id} (one or several) and {@code <|endoftext|>}
 */
public record LoadedModel(String name, Decodable model, Tokenizer tokenizer, Optional<ChatTemplate.Ids> template,
                          int endOfText, Optional<TaskHead> head, Optional<ModelTemplate> chatTemplate, int[] stopIds) {
    public LoadedModel {
        Objects.requireNonNull(name);
        Objects.requireNonNull(model);
        Objects.requireNonNull(tokenizer);
        template = template == null ? Optional.empty() : template;
        head = head == null ? Optional.empty() : head;
        chatTemplate = chatTemplate == null ? Optional.empty() : chatTemplate;
        stopIds = stopIds == null ? (endOfText >= 0 ? new int[] {endOfText} : new int[0]) : stopIds.clone();
    }

    /** A model without its own chat template, ending at {@code endOfText}. */
    public LoadedModel(String name, Decodable model, Tokenizer tokenizer, Optional<ChatTemplate.Ids> template,
                       int endOfText, Optional<TaskHead> head) {
        this(name, model, tokenizer, template, endOfText, head, Optional.empty(), null);
    }

    /** A model without a task head. */
    public LoadedModel(String name, Decodable model, Tokenizer tokenizer, Optional<ChatTemplate.Ids> template, int endOfText) {
        this(name, model, tokenizer, template, endOfText, Optional.empty());
    }

    /** Bytes of weights held (what the model cache counts). */
    public long bytes() {
        return model.weightBytes();
    }

    /** The float model a task head's forward pass runs on; throws when the model was packed for decoding only. */
    public CausalLM backbone() {
        if (model instanceof CausalLM c) {
            return c;
        }
        throw new IllegalStateException("model " + name + " was loaded for decoding only (" + model + "); its task head needs "
                + "the float model");
    }
}
