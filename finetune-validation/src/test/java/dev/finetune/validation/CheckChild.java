package dev.finetune.validation;

import dev.finetune.datasets.DatasetType;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The other process of {@code DatasetCheckWritesNothingTest}: checks {@code args[0]} (chat, no eval)
 * with the defaults and prints the status and the train examples. (A test helper: it writes to stdout.)
 */
public final class CheckChild {
    private CheckChild() {
    }

    public static void main(String[] args) {
        ValidationReport r = DatasetCheck.check(Path.of(args[0]), Optional.empty(), DatasetType.CHAT_FINETUNE_INPUT,
                CheckOptions.defaults());
        System.out.println(r.status() + " " + r.metrics().map(m -> m.trainExamples()).orElse(-1L));
        System.out.flush();
    }
}
