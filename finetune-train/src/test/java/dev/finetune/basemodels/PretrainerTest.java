package dev.finetune.basemodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.template.ChatTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.BpeTrainer;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainerTest {
    static final String TEXT = BaseModels.corpus("sherlock-holmes.txt").substring(0, 20_000);

    @Test
    void pretrainingLowersTheLossAndIsDeterministic() {
        ByteLevelBpe bpe = BpeTrainer.train(TEXT, 300, ChatTemplate.SPECIAL_TOKENS);
        int[] stream = bpe.encode(TEXT);
        GPT2Config cfg = GPT2Config.of(bpe.vocabSize(), 32, 32, 2, 2);
        Pretrainer.Plan plan = new Pretrainer.Plan(4, 32, 60, 1e-2f, 0.0f, 7);
        List<Float> losses = new ArrayList<>();
        GPT2 a = Pretrainer.pretrain(cfg, stream, plan, (s, n, loss, tps) -> losses.add(loss), () -> false);
        float first = (losses.get(0) + losses.get(1) + losses.get(2)) / 3;
        float last = (losses.get(57) + losses.get(58) + losses.get(59)) / 3;
        assertTrue(last < first - 1.0f, "loss went from " + first + " to " + last);
        GPT2 b = Pretrainer.pretrain(cfg, stream, plan, (s, n, loss, tps) -> { }, () -> false);
        assertArrayEquals(a.parameters(), b.parameters());
    }

    @Test
    void learningRateWarmsUpThenDecaysToATenth() {
        assertEquals(0.1f, Pretrainer.learningRate(0, 100, 10, 1f), 1e-6);
        assertEquals(1f, Pretrainer.learningRate(9, 100, 10, 1f), 1e-6);
        assertTrue(Pretrainer.learningRate(50, 100, 10, 1f) < 1f);
        assertEquals(0.1f, Pretrainer.learningRate(100, 100, 10, 1f), 1e-6);
    }

    @Test
    void aBuiltModelFolderLoadsWithItsTokenizerAndTemplate(@TempDir Path dir) {
        BaseModels.Spec tiny = new BaseModels.Spec("tiny", "sherlock-holmes.txt", 300, GPT2Config.of(300, 32, 16, 1, 2),
                new Pretrainer.Plan(2, 16, 3, 1e-3f, 0f, 1), "test");
        Path out = dir.resolve("base-models").resolve("tiny");
        BaseModels.ensure(tiny, out, (s, n, l, t) -> { }, () -> false);
        assertTrue(BaseModels.isBuilt(out));
        GPT2 m = GPT2Checkpoint.load(out);
        assertEquals(300, m.config().vocabSize());
        ByteLevelBpe bpe = BpeFiles.load(out);
        assertTrue(BaseModels.templateIds(bpe).isPresent());
        long modified = out.resolve("model.safetensors").toFile().lastModified();
        BaseModels.ensure(tiny, out, (s, n, l, t) -> { throw new AssertionError("rebuilt"); }, () -> false);
        assertEquals(modified, out.resolve("model.safetensors").toFile().lastModified());
    }

    @Test
    void aRebuildRoundedToBf16IsBitForBitTheFirstBuild(@TempDir Path dir) throws Exception {
        // the shipped base-light is checked the same way by `base-models build base-light --from-scratch`
        BaseModels.Spec tiny = new BaseModels.Spec("tiny", "sherlock-holmes.txt", 300, GPT2Config.of(300, 32, 16, 1, 2),
                new Pretrainer.Plan(2, 16, 12, 3e-3f, 0f, 5), "test");
        Path first = BaseModels.build(tiny, dir.resolve("first"), (s, n, l, t) -> { }, () -> false);
        Path shipped = dir.resolve("shipped");
        GPT2Checkpoint.save(GPT2Checkpoint.load(first), shipped, dev.finetune.safetensors.DType.BF16);
        java.nio.file.Files.copy(first.resolve("tokenizer.json"), shipped.resolve("tokenizer.json"));
        Path again = BaseModels.build(tiny, dir.resolve("again"), (s, n, l, t) -> { }, () -> false);
        assertTrue(BaseModels.sameWeights(shipped, again));
        // one weight one BF16 step away is a different model
        GPT2 changed = GPT2Checkpoint.load(again);
        changed.parameters()[7] = Math.nextUp(changed.parameters()[7]) * 1.01f + 1e-3f;
        Path other = dir.resolve("other");
        GPT2Checkpoint.save(changed, other);
        java.nio.file.Files.copy(first.resolve("tokenizer.json"), other.resolve("tokenizer.json"));
        assertFalse(BaseModels.sameWeights(shipped, other));
    }

    @Test
    void theShippedBaseLightIsPretrainedAndInstallsWithoutPretraining(@TempDir Path dir) {
        BaseModels.Spec spec = BaseModels.BASE_LIGHT;
        assertTrue(BaseModels.isShipped(spec), "base-light's weights are shipped with the library");
        Path out = BaseModels.ensure(spec, dir.resolve("base-light"), (s, n, l, t) -> {
            throw new AssertionError("pretrained instead of installing the shipped weights");
        }, () -> false);
        GPT2 m = GPT2Checkpoint.load(out);
        assertEquals(spec.shape(), m.config());
        ByteLevelBpe bpe = BpeFiles.load(out);
        assertTrue(BaseModels.templateIds(bpe).isPresent());
        // its tokenizer is the one the spec learns from the corpus, and it predicts the book far better
        // than chance (ln 4096 = 8.3 nats)
        int[] ids = bpe.encode(BaseModels.corpus(spec.corpus()).substring(20_000, 22_000));
        int T = Math.min(128, ids.length - 1);
        float loss = m.forward(java.util.Arrays.copyOfRange(ids, 0, T), java.util.Arrays.copyOfRange(ids, 1, T + 1), 1, T);
        assertTrue(loss < 5.0f, "loss " + loss);
    }
}
