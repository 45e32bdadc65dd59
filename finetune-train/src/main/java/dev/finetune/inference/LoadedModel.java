package dev.finetune.inference;

import dev.finetune.heads.TaskHead;
import dev.finetune.model.CausalLM;
import dev.finetune.template.ChatTemplate;
import dev.finetune.tokenizer.Tokenizer;
import java.util.Objects;
import java.util.Optional;

/**
 * A model ready to answer: its weights (LoRA adapters already merged), its tokenizer, and the chat
 * template's special-token ids when the vocabulary has them.
 *
 * @param name       what requests call it ({@code "<id>-ft"} or a base model name)
 * @param model      the weights; only read while serving
 * @param tokenizer  the model's tokenizer
 * @param template   the chat template ids, absent for a model that never learned the template
 * @param endOfText  the id that ends a generation without the template ({@code <|endoftext|>}), or -1
 * @param head       the rerank or classify head of a model fine-tuned for one of those tasks
 */
public record LoadedModel(String name, CausalLM model, Tokenizer tokenizer, Optional<ChatTemplate.Ids> template,
                          int endOfText, Optional<TaskHead> head) {
    public LoadedModel {
        Objects.requireNonNull(name);
        Objects.requireNonNull(model);
        Objects.requireNonNull(tokenizer);
        template = template == null ? Optional.empty() : template;
        head = head == null ? Optional.empty() : head;
    }

    /** A model without a task head. */
    public LoadedModel(String name, CausalLM model, Tokenizer tokenizer, Optional<ChatTemplate.Ids> template, int endOfText) {
        this(name, model, tokenizer, template, endOfText, Optional.empty());
    }

    /** Bytes of weights held (what the model cache counts). */
    public long bytes() {
        return 4L * model.parameters().length;
    }
}
