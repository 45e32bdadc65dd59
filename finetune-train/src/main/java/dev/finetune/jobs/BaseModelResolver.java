package dev.finetune.jobs;

import dev.finetune.BadRequestException;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.inference.ModelFolders;
import dev.finetune.spi.TrainingBackend;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the folder of a fine-tune's base model: a built-in base (built and cached under
 * {@code base-models/} the first time, with progress), or a HuggingFace model folder.
 */
final class BaseModelResolver {
    private BaseModelResolver() {
    }

    static Path resolve(TrainingBackend.Job job, TrainingBackend.Context ctx) {
        String name = job.model().settings().baseModel().name().orElse(BaseModels.BASE_LIGHT.name());
        Optional<BaseModels.Spec> spec = BaseModels.builtIn(name);
        if (spec.isPresent()) {
            Path dir = job.baseModelsDir().resolve(name);
            if (!BaseModels.isBuilt(dir)) {
                ctx.event("building base model " + name + " (once)");
            }
            return BaseModels.ensure(spec.get(), dir, (s, n, l, t) -> ctx.progress(s, n, "pretraining " + name),
                    ctx::cancelled);
        }
        return ModelFolders.asFolder(name).orElseThrow(() -> new BadRequestException("base_model.name: \"" + name
                + "\" is neither a built-in base model (base-light) nor a HuggingFace GPT-2 folder"));
    }
}
