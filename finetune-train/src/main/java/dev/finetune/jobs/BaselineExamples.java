package dev.finetune.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.finetune.json.Json;
import dev.finetune.metrics.ExampleValues;
import dev.finetune.workspace.AtomicWrite;
import dev.finetune.workspace.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The base model's per-example evaluation values, kept beside the checkpoint
 * ({@link ModelFiles#BASELINE_EXAMPLES}) so that a resumed job can still compare before and after.
 * Written once, before the first step; JSON doubles read back exactly.
 */
final class BaselineExamples {
    private BaselineExamples() {
    }

    static void write(Path modelDir, List<ExampleValues> values) throws IOException {
        Files.createDirectories(modelDir);
        AtomicWrite.writeBytes(modelDir.resolve(ModelFiles.BASELINE_EXAMPLES), Json.writer().writeValueAsBytes(values));
    }

    /** The stored values, or null when there are none (a checkpoint older than them). */
    static List<ExampleValues> read(Path modelDir) throws IOException {
        Path f = modelDir.resolve(ModelFiles.BASELINE_EXAMPLES);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        return Json.readValue(f.toFile(), new TypeReference<List<ExampleValues>>() { });
    }
}
