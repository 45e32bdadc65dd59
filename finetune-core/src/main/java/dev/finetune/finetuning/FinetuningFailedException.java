package dev.finetune.finetuning;

import dev.finetune.FinetuneException;

/**
 * Thrown by {@code co.wait(model)} when the fine-tune ends {@code STATUS_FAILED}: carries the model,
 * whose {@code failure_reason} is the message and whose events say what happened.
 */
public class FinetuningFailedException extends FinetuneException {
    private static final long serialVersionUID = 1L;
    private final transient FinetunedModel finetunedModel;

    public FinetuningFailedException(FinetunedModel model) {
        super("fine-tuned model " + model.id().orElse("?") + " failed: " + model.failureReason().orElse("(no reason recorded)"));
        this.finetunedModel = model;
    }

    public FinetunedModel finetunedModel() {
        return finetunedModel;
    }
}
