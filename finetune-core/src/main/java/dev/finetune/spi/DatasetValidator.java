package dev.finetune.spi;

/**
 * Validates an uploaded dataset and writes its normalized parts. Found through
 * {@link java.util.ServiceLoader} (finetune-validation registers one), or given to
 * {@code ClientV2.builder().validator(...)}. Implementations are thread-safe: datasets are validated
 * concurrently on the client's background executor.
 */
public interface DatasetValidator {

    /**
     * Validates {@code job.trainFile()} (and the eval file), writes {@code train.jsonl} and
     * {@code eval.jsonl} into {@code job.outputDir()} atomically, passing each record through
     * {@code job.recordFilter()} first. A dataset that breaks a rule is an outcome with status
     * {@code failed}, not an exception; an exception means the validator itself could not run (I/O).
     */
    ValidationOutcome validate(ValidationJob job);
}
