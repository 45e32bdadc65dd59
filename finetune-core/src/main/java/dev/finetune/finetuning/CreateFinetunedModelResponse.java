package dev.finetune.finetuning;

/** The wire response of one fine-tuned model operation. */
public record CreateFinetunedModelResponse(FinetunedModel finetunedModel) {
}
