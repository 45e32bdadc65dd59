package dev.finetune.basemodels;

import dev.finetune.FinetuneException;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.template.ChatTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.BpeTrainer;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in base models, made by this project's own code from the public-domain corpora it ships
 * and cached in the workspace's {@code base-models/<name>/} as a HuggingFace GPT-2 folder
 * ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json}, {@code encoder.json},
 * {@code vocab.bpe}). Building is deterministic from the spec's seed; a half-built model never
 * appears under its name (it is built in a temporary folder and renamed).
 */
public final class BaseModels {
    private static final Logger LOG = LoggerFactory.getLogger(BaseModels.class);
    private static final String CORPORA = "/dev/finetune/corpora/";
    /** Pretrained weights shipped with the library: {@code <name>/} with config, BF16 weights and tokenizer. */
    private static final String SHIPPED = "/dev/finetune/basemodels/";
    private static final List<String> SHIPPED_FILES = List.of(GPT2Checkpoint.CONFIG_FILE, GPT2Checkpoint.WEIGHTS_FILE,
            BpeFiles.TOKENIZER_JSON);

    /**
     * A built-in base model: its corpus, tokenizer size, shape and pretraining plan.
     *
     * @param description one line for listings
     */
    public record Spec(String name, String corpus, int vocabSize, GPT2Config shape, Pretrainer.Plan plan,
                       String description) {
    }

    /**
     * {@code base-light}: a 4-layer, 256-channel GPT-2 with a 4,096-token vocabulary learned from
     * <i>The Adventures of Sherlock Holmes</i>, pretrained on that book.
     */
    public static final Spec BASE_LIGHT = new Spec("base-light", "sherlock-holmes.txt", 4096,
            GPT2Config.of(4096, 256, 256, 4, 4), new Pretrainer.Plan(8, 128, 1500, 3e-3f, 0.1f, 20250915L),
            "4 layers, 4 heads, 256 channels, 4,096-token BPE; pretrained on The Adventures of Sherlock Holmes");

    public static final List<Spec> BUILT_IN = List.of(BASE_LIGHT);

    private BaseModels() {
    }

    public static Optional<Spec> builtIn(String name) {
        return BUILT_IN.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** The text of a corpus shipped in the library's resources. */
    public static String corpus(String file) {
        try (InputStream in = BaseModels.class.getResourceAsStream(CORPORA + file)) {
            if (in == null) {
                throw new FinetuneException("corpus " + file + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether {@code dir} holds a complete model folder. */
    public static boolean isBuilt(Path dir) {
        return Files.isRegularFile(dir.resolve(GPT2Checkpoint.CONFIG_FILE))
                && Files.isRegularFile(dir.resolve(GPT2Checkpoint.WEIGHTS_FILE))
                && Files.isRegularFile(dir.resolve(BpeFiles.TOKENIZER_JSON));
    }

    /**
     * Makes {@code spec} ready in {@code dir} unless it is already there, and returns {@code dir}: from the
     * pretrained weights the library ships (seconds), or, for a spec without them, by pretraining
     * ({@link #build}). Progress goes to {@code listener} (and the log every 100 steps).
     */
    public static Path ensure(Spec spec, Path dir, Pretrainer.Listener listener, BooleanSupplier cancelled) {
        if (isBuilt(dir)) {
            return dir;
        }
        if (isShipped(spec)) {
            return installShipped(spec, dir);
        }
        return build(spec, dir, listener, cancelled);
    }

    /** Whether the library ships {@code spec}'s pretrained weights (as BF16). */
    public static boolean isShipped(Spec spec) {
        return SHIPPED_FILES.stream().allMatch(f -> BaseModels.class.getResource(SHIPPED + spec.name() + "/" + f) != null);
    }

    /** Copies the shipped folder of {@code spec} into {@code dir} (atomically: it appears whole or not at all). */
    static Path installShipped(Spec spec, Path dir) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".installing");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            for (String f : SHIPPED_FILES) {
                try (InputStream in = BaseModels.class.getResourceAsStream(SHIPPED + spec.name() + "/" + f)) {
                    Files.copy(in, tmp.resolve(f));
                }
            }
            // the GPT-2 file forms of the same vocabulary, for tools that read encoder.json + vocab.bpe
            BpeFiles.save(BpeFiles.load(tmp), tmp);
            publish(tmp, dir);
            LOG.info("installed base model {} from the pretrained weights shipped with the library", spec.name());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install base model " + spec.name() + " in " + dir, e);
        }
    }

    /**
     * Whether the model folder {@code built} holds exactly the shipped weights of {@code spec} once rounded
     * to BF16 as shipped, with the same tokenizer: how {@code base-models build --from-scratch} shows that
     * the shipped file is what this code produces.
     */
    public static boolean sameAsShipped(Spec spec, Path built) {
        if (!isShipped(spec)) {
            throw new FinetuneException("no shipped weights for " + spec.name());
        }
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("shipped-" + spec.name());
            return sameWeights(installShipped(spec, tmp.resolve(spec.name())), built);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (tmp != null) {
                try {
                    deleteTree(tmp);
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: {}", tmp, e.getMessage());
                }
            }
        }
    }

    /**
     * Whether {@code built}, rounded to BF16, has exactly the weights of the BF16 folder {@code shipped},
     * and the same tokenizer.
     */
    static boolean sameWeights(Path shipped, Path built) throws IOException {
        Path roundedDir = Files.createTempDirectory("rounded");
        try {
            GPT2Checkpoint.save(GPT2Checkpoint.load(built), roundedDir, dev.finetune.safetensors.DType.BF16);
            float[] a = GPT2Checkpoint.load(roundedDir).parameters();
            float[] b = GPT2Checkpoint.load(shipped).parameters();
            return java.util.Arrays.equals(a, b) && Files.readString(built.resolve(BpeFiles.TOKENIZER_JSON))
                    .equals(Files.readString(shipped.resolve(BpeFiles.TOKENIZER_JSON)));
        } finally {
            deleteTree(roundedDir);
        }
    }

    private static void publish(Path tmp, Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        deleteTree(dir);
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir);
        }
    }

    /**
     * Pretrains {@code spec} from its seed into {@code dir} (replacing what is there): deterministic, so the
     * same code on the same kind of machine gives the same weights. Progress goes to {@code listener}.
     */
    public static Path build(Spec spec, Path dir, Pretrainer.Listener listener, BooleanSupplier cancelled) {
        long t0 = System.nanoTime();
        Path tmp = dir.resolveSibling(dir.getFileName() + ".building");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            String text = corpus(spec.corpus());
            LOG.info("building base model {}: training a {}-token vocabulary on {}", spec.name(), spec.vocabSize(),
                    spec.corpus());
            ByteLevelBpe bpe = BpeTrainer.train(text, spec.vocabSize(), ChatTemplate.SPECIAL_TOKENS);
            if (bpe.vocabSize() != spec.shape().vocabSize()) {
                throw new FinetuneException("the " + spec.corpus() + " vocabulary came out at " + bpe.vocabSize()
                        + " ids, the model expects " + spec.shape().vocabSize());
            }
            int[] stream = bpe.encode(text);
            LOG.info("building base model {}: {} tokens of text, pretraining {} steps of {}x{}", spec.name(),
                    stream.length, spec.plan().steps(), spec.plan().batch(), spec.plan().seqLen());
            GPT2 model = Pretrainer.pretrain(spec.shape(), stream, spec.plan(), (step, steps, loss, tps) -> {
                if (step % 100 == 0 || step == steps) {
                    LOG.info("base model {}: step {}/{} loss {} ({} tokens/s)", spec.name(), step, steps,
                            String.format("%.3f", loss), String.format("%.0f", tps));
                }
                listener.onStep(step, steps, loss, tps);
            }, cancelled);
            GPT2Checkpoint.save(model, tmp);
            BpeFiles.save(bpe, tmp);
            publish(tmp, dir);
            LOG.info("built base model {} in {} s", spec.name(), String.format("%.0f", (System.nanoTime() - t0) / 1e9));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build base model " + spec.name() + " in " + dir, e);
        }
    }

    /** The ids of the chat template's special tokens in a base model's tokenizer, when it has them all. */
    public static Optional<ChatTemplate.Ids> templateIds(ByteLevelBpe bpe) {
        Map<String, Integer> s = bpe.specialTokens();
        for (String t : ChatTemplate.SPECIAL_TOKENS) {
            if (!s.containsKey(t)) {
                return Optional.empty();
            }
        }
        return Optional.of(new ChatTemplate.Ids(s.get(ChatTemplate.BOS), s.get(ChatTemplate.START_OF_TURN),
                s.get(ChatTemplate.END_OF_TURN), s.get(ChatTemplate.SYSTEM), s.get(ChatTemplate.USER),
                s.get(ChatTemplate.CHATBOT)));
    }

    static void deleteTree(Path p) throws IOException {
        dev.finetune.workspace.FileOps.deleteTree(p);
    }
}
