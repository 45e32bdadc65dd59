package dev.finetune.finetuning;

import java.util.function.Consumer;

/**
 * {@code co.finetuning()}: fine-tuned models, their events and step metrics. Every method checks its
 * arguments and throws a {@link dev.finetune.FinetuneException} subclass: {@link dev.finetune.BadRequestException}
 * for a request that cannot be served, {@link dev.finetune.NotFoundException} for an unknown id.
 * Lists page with {@code page_size} / {@code page_token}: pass a response's {@code next_page_token}
 * to get the page after it. Thread-safe.
 */
public interface FinetuningClient {

    /**
     * Checks the settings (the dataset exists, is validated and fits the base type; hyperparameters were
     * checked when built) and queues the fine-tune. Nothing is created when a check fails.
     */
    CreateFinetunedModelResponse createFinetunedModel(FinetunedModel request);

    /**
     * What {@link #createFinetunedModel} would cost on this machine, checked the same way and creating
     * nothing: the trainer's steps and tokens, peak memory against the heap, and the time from a short
     * measured burst of real steps (a few seconds).
     */
    default Estimate estimate(FinetunedModel request) {
        throw new dev.finetune.FinetuneException("this client gives no estimates");
    }

    /**
     * A job's own estimate as it runs: the schedule and memory when training started, and its
     * {@code estimated_finish} kept current from the measured pace. Empty before the job starts.
     */
    default java.util.Optional<Estimate> jobEstimate(String id) {
        return java.util.Optional.empty();
    }

    /**
     * The checkpoints a fine-tune kept, in step order: the last few evaluations' (how many:
     * {@code -Dfinetune.keptCheckpoints}, default 3) and always the best one.
     */
    default java.util.List<KeptCheckpoint> listCheckpoints(String id) {
        return java.util.List.of();
    }

    /**
     * Writes kept checkpoint {@code step} of model {@code id} as a servable model folder (the same files
     * as the finished model's: HuggingFace config and weights, tokenizer, PEFT adapter under LoRA, head)
     * at {@code out}, and returns it. Needs the model's dataset still in the workspace.
     */
    default java.nio.file.Path exportCheckpoint(String id, int step, java.nio.file.Path out) {
        throw new dev.finetune.FinetuneException("this client cannot export checkpoints");
    }

    GetFinetunedModelResponse getFinetunedModel(String id);

    /** A page of models, newest first. */
    ListFinetunedModelsResponse listFinetunedModels(ListFinetunedModelsRequest request);

    /** The first page of models at the default page size (50). */
    default ListFinetunedModelsResponse listFinetunedModels() {
        return listFinetunedModels(ListFinetunedModelsRequest.builder().build());
    }

    /** Changes what may change after creation: the name. */
    UpdateFinetunedModelResponse updateFinetunedModel(String id, UpdateFinetunedModelRequest request);

    /** Deletes a model and every file of it; a running job stops at its next step boundary. */
    void deleteFinetunedModel(String id);

    /** Stops a queued or running job at its next step boundary; the model ends {@code STATUS_CANCELLED}. */
    GetFinetunedModelResponse cancelFinetunedModel(String id);

    /** A page of the model's events (newest first unless the request orders otherwise). */
    ListEventsResponse listEvents(String id, ListEventsRequest request);

    default ListEventsResponse listEvents(String id) {
        return listEvents(id, ListEventsRequest.builder().build());
    }

    /** A page of the model's step metrics, in step order. */
    ListTrainingStepMetricsResponse listTrainingStepMetrics(String id, ListTrainingStepMetricsRequest request);

    default ListTrainingStepMetricsResponse listTrainingStepMetrics(String id) {
        return listTrainingStepMetrics(id, ListTrainingStepMetricsRequest.builder().build());
    }

    /**
     * The folder that holds a model's files ({@code model.json}, events, metrics, and once ready the
     * servable model: HuggingFace {@code config.json} + {@code model.safetensors}, or a PEFT adapter):
     * what a user takes back to PyTorch.
     */
    java.nio.file.Path modelFolder(String id);

    /** Listens to every job's events, step metrics and progress (called on the job's thread). */
    void addListener(Consumer<JobUpdate> listener);
}
