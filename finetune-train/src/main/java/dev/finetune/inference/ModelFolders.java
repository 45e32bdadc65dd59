package dev.finetune.inference;

import dev.finetune.basemodels.BaseModels;
import dev.finetune.model.CausalLM;
import dev.finetune.model.CausalLMs;
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
        String family = CausalLMs.family(dir);
        if (!family.equals("gpt2")) {
            // the weights load (CausalLMs.load), but the model's own tokenizer.json pipeline and chat template do not
            // yet: refuse rather than encode with GPT-2's byte-level BPE and produce wrong ids
            throw new dev.finetune.FinetuneException(dir + ": a " + family + " model folder cannot be served yet: its"
                    + " tokenizer.json (SentencePiece/BPE pipeline) and chat template are not supported by this build");
        }
        CausalLM model = CausalLMs.load(dir);
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
        return Files.isRegularFile(dir.resolve(GPT2Checkpoint.CONFIG_FILE)) && (Files.isRegularFile(dir.resolve(GPT2Checkpoint.WEIGHTS_FILE))
                || Files.isRegularFile(dir.resolve(dev.finetune.model.LlamaCheckpoint.INDEX_FILE)));
    }

    /** Optional helper: the folder as a path when {@code name} names an existing model folder. */
    public static Optional<Path> asFolder(String name) {
        try {
            Path p = Path.of(name);
            return isModelFolder(p) ? Optional.of(p) : Optional.empty();
        } catch (java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }
}
