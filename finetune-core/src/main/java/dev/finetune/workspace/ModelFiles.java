package dev.finetune.workspace;

/**
 * The names of the files in a fine-tuned model's folder ({@code models/<id>/}), owned here so that the
 * store, the trainer, the packager and inference agree on them.
 */
public final class ModelFiles {
    /** The model record (wire JSON). */
    public static final String RECORD = "model.json";
    /** Events, one JSON line each, oldest first. */
    public static final String EVENTS = "events.jsonl";
    /** Step metrics, one JSON line each, in step order. */
    public static final String METRICS = "metrics.jsonl";
    /** Training checkpoints (the trainer's own files). */
    public static final String CHECKPOINTS = "checkpoint";
    /** TensorBoard event files of the run. */
    public static final String TENSORBOARD = "tensorboard";
    /** HuggingFace model config of the servable model. */
    public static final String CONFIG = "config.json";
    /** Full or merged weights (HuggingFace safetensors). */
    public static final String WEIGHTS = "model.safetensors";
    /** LoRA adapter weights in PEFT's layout. */
    public static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";
    /** LoRA adapter config in PEFT's layout. */
    public static final String ADAPTER_CONFIG = "adapter_config.json";
    /** Embedding rows trained with a LoRA adapter (the chat template's new tokens). */
    public static final String ADAPTER_EMBEDDINGS = "adapter_embeddings.safetensors";
    /** A rerank or classify head. */
    public static final String HEAD = "head.safetensors";

    /** The job's estimate (steps, tokens, memory) and its {@code estimated_finish}, kept current while it runs. */
    public static final String ESTIMATE = "estimate.json";
    /** OpenAI's results file: step, train_loss, train_accuracy, valid_loss, valid_mean_token_accuracy. */
    public static final String RESULTS = "results.csv";
    /** Per-example values of the base model's evaluation (for the paired confidence intervals). */
    public static final String BASELINE_EXAMPLES = "baseline_examples.json";

    /** Kept checkpoints, one folder each ({@code step-<N>/}), beside the resume checkpoint. */
    public static final String KEPT_CHECKPOINTS = "checkpoints";
    /** In a kept checkpoint: its step, metrics and whether its evaluation improved on all before it. */
    public static final String KEPT_INFO = "checkpoint.json";
    /** In a kept checkpoint: the trainable weights at that step. */
    public static final String KEPT_WEIGHTS = "trainable.safetensors";
    /** In a kept checkpoint: the servable folder, once exported for serving. */
    public static final String KEPT_MODEL = "model";

    /** The folder of kept checkpoint {@code step}. */
    public static String keptDir(int step) {
        return KEPT_CHECKPOINTS + "/step-" + step;
    }

    private ModelFiles() {
    }
}
