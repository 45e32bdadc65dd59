package dev.finetune.inference;

import dev.finetune.NotFoundException;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import dev.finetune.spi.InferenceBackend;
import dev.finetune.spi.InferenceBackendFactory;
import dev.finetune.spi.ModelLookup;
import dev.finetune.workspace.Workspace;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves requests in this JVM. A model name is resolved in this order: {@code "<id>-ft:ckpt-step-<N>"} (a
 * checkpoint the fine-tune kept, exported on first use), {@code "<id>-ft"} (a fine-tuned
 * model of the workspace, which must be ready), a built-in base model ({@code base-light}, built into
 * the workspace on first use), a HuggingFace GPT-2 folder path. Loaded models are cached, bounded by
 * the system property {@code finetune.modelCacheBytes} (default a quarter of the heap).
 */
public final class LocalInferenceBackend implements InferenceBackend {
    private static final Logger LOG = LoggerFactory.getLogger(LocalInferenceBackend.class);

    private final Workspace workspace;
    private final ModelLookup lookup;
    private final ModelCache<LoadedModel> cache;

    public LocalInferenceBackend(Workspace workspace, ModelLookup lookup) {
        this.workspace = workspace;
        this.lookup = lookup;
        long bound = Long.getLong("finetune.modelCacheBytes", Runtime.getRuntime().maxMemory() / 4);
        this.cache = new ModelCache<>(Math.max(1, bound), LoadedModel::bytes);
    }

    /** The ServiceLoader entry point. */
    public static final class Factory implements InferenceBackendFactory {
        @Override
        public InferenceBackend create(Workspace workspace, ModelLookup models) {
            return new LocalInferenceBackend(workspace, models);
        }
    }

    /** The model called {@code name}, loading (and for a built-in base, building) it when needed. */
    public LoadedModel model(String name) {
        return cache.get(name, this::load);
    }

    /** {@code "<id>-ft:ckpt-step-<N>"}: a kept checkpoint of a fine-tune. */
    private static final java.util.regex.Pattern CHECKPOINT = java.util.regex.Pattern.compile("(.+)-ft:ckpt-step-(\\d{1,9})");

    private LoadedModel load(String name) {
        java.util.regex.Matcher ckpt = CHECKPOINT.matcher(name);
        if (ckpt.matches()) {
            return ModelFolders.load(name, lookup.checkpointModelDir(ckpt.group(1), Integer.parseInt(ckpt.group(2))));
        }
        if (name.endsWith("-ft")) {
            String id = name.substring(0, name.length() - 3);
            Path dir = lookup.readyModelDir(id);
            return ModelFolders.load(name, dir);
        }
        Optional<BaseModels.Spec> spec = BaseModels.builtIn(name);
        if (spec.isPresent()) {
            Path dir = workspace.baseModelsDir().resolve(name);
            if (!BaseModels.isBuilt(dir)) {
                LOG.info("base model {} is not built yet: building it now (once)", name);
            }
            BaseModels.ensure(spec.get(), dir, (s, n, l, t) -> { }, () -> false);
            return ModelFolders.load(name, dir);
        }
        Optional<Path> folder = ModelFolders.asFolder(name);
        if (folder.isPresent()) {
            return ModelFolders.load(name, folder.get());
        }
        throw new NotFoundException("unknown model \"" + name + "\": expected \"<id>-ft\" for a fine-tuned model, "
                + "a built-in base model (" + String.join(", ", BaseModels.BUILT_IN.stream().map(BaseModels.Spec::name).toList())
                + "), or the path of a HuggingFace GPT-2 folder");
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
        return InferenceEngine.chat(model(request.model()), request);
    }

    @Override
    public void chatStream(ChatRequest request, Consumer<ChatStreamEvent> events) {
        InferenceEngine.chatStream(model(request.model()), request, events);
    }

    @Override
    public GenerateResponse generate(GenerateRequest request) {
        return InferenceEngine.generate(model(request.model()), request);
    }

    @Override
    public dev.finetune.rerank.RerankResponse rerank(dev.finetune.rerank.RerankRequest request) {
        return TaskInference.rerank(model(request.model()), request);
    }

    @Override
    public dev.finetune.classify.ClassifyResponse classify(dev.finetune.classify.ClassifyRequest request) {
        return TaskInference.classify(model(request.model()), request);
    }

    @Override
    public void evict(String model) {
        cache.invalidate(model);
    }
}
