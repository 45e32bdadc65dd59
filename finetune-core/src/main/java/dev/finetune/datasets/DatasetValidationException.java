package dev.finetune.datasets;

import dev.finetune.FinetuneException;
import java.util.Optional;

/**
 * A dataset that {@code wait} saw end in {@code failed}: carries the dataset, its status and its
 * {@code validation_error}; the message is the validation error.
 */
public class DatasetValidationException extends FinetuneException {
    private final transient Dataset dataset;

    public DatasetValidationException(Dataset dataset) {
        super("dataset " + dataset.id() + " (" + dataset.name() + ") " + dataset.validationStatus() + ": "
                + dataset.validationError().orElse("no validation error recorded"));
        this.dataset = dataset;
    }

    public Dataset dataset() {
        return dataset;
    }

    public ValidationStatus status() {
        return dataset.validationStatus();
    }

    public Optional<String> validationError() {
        return dataset.validationError();
    }
}
