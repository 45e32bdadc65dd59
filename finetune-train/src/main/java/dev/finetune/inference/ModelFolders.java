package dev.finetune.inference;

import dev.finetune.basemodels.BaseModels;
import dev.finetune.heads.TaskHead;
import dev.finetune.hub.HubModels;
import dev.finetune.kernel.WeightType;
import dev.finetune.model.CausalLMs;
import dev.finetune.model.Decodable;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.InferenceModel;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import dev.finetune.tokenizer.Tokenizers;
import dev.finetune.template.ModelTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads a HuggingFace model folder (GPT-2 or the Llama family) for serving: the weights, the tokenizer
 * found beside them ({@code tokenizer.json} or {@code encoder.json} + {@code vocab.bpe}; GPT-2's own when
 * there is none and the vocabulary has GPT-2's size), and the chat template ids when the vocabulary has them.
 *
 * <p>A generative or chat model is loaded as an {@link InferenceModel}: its matrices in the dtype they
 * are stored in (a BF16 checkpoint stays at 2 bytes a weight), or in the one the system property
 * {@value #DTYPE_PROPERTY} names ({@code f32}, {@code bf16}, {@code f16}, {@code q8_0}; {@code stored}, the
 * default, keeps each as stored). A model with a rerank or classify head loads as the float
 * {@link dev.finetune.model.CausalLM}, whose full forward pass the head reads.
 */
public final class ModelFolders {
    /** The system property choosing the served weights' dtype ({@code stored}, {@code f32}, {@code bf16}, {@code f16}, {@code q8_0}). */
    public static final String DTYPE_PROPERTY = "finetune.inference.dtype";

    private ModelFolders() {
    }

    /** Loads {@code dir} with the dtype {@value #DTYPE_PROPERTY} asks for (as stored when unset). */
    public static LoadedModel load(String name, Path dir) {
        return load(name, dir, dtypeProperty());
    }

    /** Loads {@code dir} with every matrix in {@code dtype} (null: as stored) unless the model has a task head. */
    public static LoadedModel load(String name, Path dir, WeightType dtype) {
        java.util.Optional<TaskHead> head = TaskHead.load(dir);
        Decodable model = head.isPresent() ? CausalLMs.load(dir) : InferenceModel.load(dir, dtype);
        ByteLevelBpe bpe = tokenizer(dir, model.config().vocabSize());
        int eot = bpe.specialTokens().getOrDefault("<|endoftext|>", -1);
        return new LoadedModel(name, model, bpe, BaseModels.templateIds(bpe), eot, head,
                ModelTemplate.load(dir, bpe), ModelTemplate.eosIds(dir, bpe));
    }

    /** The dtype {@value #DTYPE_PROPERTY} names, null for {@code stored} or unset; throws naming the property otherwise. */
    public static WeightType dtypeProperty() {
        String v = System.getProperty(DTYPE_PROPERTY, "stored").trim();
        if (v.isEmpty() || v.equalsIgnoreCase("stored")) {
            return null;
        }
        try {
            return WeightType.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("system property " + DTYPE_PROPERTY + ": " + e.getMessage() + " (or stored)", e);
        }
    }

    /** The tokenizer in {@code dir}, or GPT-2's when the folder has none and the sizes agree. */
    public static ByteLevelBpe tokenizer(Path dir, int modelVocab) {
        boolean hasFiles = Files.isRegularFile(dir.resolve(BpeFiles.TOKENIZER_JSON))
                || (Files.isRegularFile(dir.resolve(BpeFiles.ENCODER_JSON)) && Files.isRegularFile(dir.resolve(BpeFiles.VOCAB_BPE)));
        ByteLevelBpe bpe = hasFiles ? BpeFiles.load(dir) : Tokenizers.gpt2();
        if (bpe.vocabSize() > modelVocab) {
            throw new dev.finetune.FinetuneException(dir + ": the tokenizer has " + bpe.vocabSize()
                    + " ids but the model only " + modelVocab + (hasFiles ? "" : " (and the folder has no tokenizer files)"));
        }
        return bpe;
    }

    /** Whether {@code dir} looks like a model folder. */
    public static boolean isModelFolder(Path dir) {
        return Files.isRegularFile(dir.resolve(GPT2Checkpoint.CONFIG_FILE)) && (Files.isRegularFile(dir.resolve(GPT2Checkpoint.WEIGHTS_FILE))
                || Files.isRegularFile(dir.resolve(dev.finetune.model.LlamaCheckpoint.INDEX_FILE)));
    }

    /**
     * The model folder {@code name} means: an existing model folder's path, or a HuggingFace Hub model
     * {@code ORG/NAME[@REVISION]}, found in the hub cache or downloaded into it ({@link HubModels#resolve});
     * empty otherwise.
     */
    public static Optional<Path> asFolder(String name) {
        try {
            Path p = Path.of(name);
            if (isModelFolder(p)) {
                return Optional.of(p);
            }
        } catch (java.nio.file.InvalidPathException e) {
            // not a path; perhaps a hub name
        }
        return HubModels.isHubName(name) ? Optional.of(HubModels.resolve(name)) : Optional.empty();
    }
}
