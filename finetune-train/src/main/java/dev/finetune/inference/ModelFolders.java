package dev.finetune.inference;

import dev.finetune.basemodels.BaseModels;
import dev.finetune.hub.HubModels;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import dev.finetune.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads a HuggingFace GPT-2 folder for serving: the weights, the tokenizer found beside them
 * ({@code tokenizer.json} or {@code encoder.json} + {@code vocab.bpe}; GPT-2's own when there is none
 * and the vocabulary has GPT-2's size), and the chat template ids when the vocabulary has them.
 */
public final class ModelFolders {
    private ModelFolders() {
    }

    public static LoadedModel load(String name, Path dir) {
        GPT2 model = GPT2Checkpoint.load(dir);
        ByteLevelBpe bpe = tokenizer(dir, model.config().vocabSize());
        int eot = bpe.specialTokens().getOrDefault("<|endoftext|>", -1);
        return new LoadedModel(name, model, bpe, BaseModels.templateIds(bpe), eot, dev.finetune.heads.TaskHead.load(dir));
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
        return Files.isRegularFile(dir.resolve(GPT2Checkpoint.CONFIG_FILE)) && Files.isRegularFile(dir.resolve(GPT2Checkpoint.WEIGHTS_FILE));
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
