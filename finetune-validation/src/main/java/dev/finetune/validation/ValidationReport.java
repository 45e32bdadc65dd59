package dev.finetune.validation;

import dev.finetune.spi.ValidationOutcome;
import java.util.List;

/** A validation's outcome (what the {@code Dataset} records) and the per-part review numbers (empty when it failed). */
public record ValidationReport(ValidationOutcome outcome, List<PartSummary> parts) {
    public ValidationReport {
        parts = List.copyOf(parts);
    }
}
