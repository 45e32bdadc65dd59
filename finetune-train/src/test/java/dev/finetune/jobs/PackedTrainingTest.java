package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.batching.Packing;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Strategy;
import dev.finetune.model.CausalLM;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.model.Llama;
import dev.finetune.model.LlamaConfig;
import dev.finetune.template.ChatTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Packed language-model steps: the same loss and gradients as the unpacked step over the same examples,
 * the step's {@code padding_share} and {@code tokens_per_second}, what a packed row holds of each example
 * (what the unpacked row held: the example cut at T), and a packed fine-tune that resumes mid-epoch to
 * the same weights bit for bit.
 */
class PackedTrainingTest {
    /** Examples of {@code lengths} tokens, random ids below V, the first third of each untrained (a prompt). */
    static List<ChatTemplate.Example> examples(int[] lengths, int V, long seed) {
        Random r = new Random(seed);
        List<ChatTemplate.Example> out = new ArrayList<>();
        for (int len : lengths) {
            int[] tk = new int[len];
            boolean[] tr = new boolean[len];
            for (int i = 0; i < len; i++) {
                tk[i] = r.nextInt(V);
                tr[i] = i >= len / 3;
            }
            out.add(new ChatTemplate.Example(tk, tr));
        }
        return out;
    }

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of("gpt2", GPT2.randomInit(GPT2Config.of(31, 24, 16, 2, 4), 4, 0.3f)),
                Arguments.of("llama GQA", Llama.randomInit(LlamaConfig.of(31, 24, 16, 24, 2, 4, 2), 5, 0.3f)));
    }

    static int[] identity(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        return o;
    }

    /**
     * Same tolerance and reasoning as {@code dev.finetune.model.PackedBatchTest}: the two steps add the same
     * products in another order (rows permuted, padding rows adding exact zeros, attention sums over n
     * instead of T), which moves a float32 sum of N ≤ 200 terms by at most ~N·2⁻²⁴ ≈ 1.2e-5 of its terms'
     * magnitudes: 2e-5 of the largest gradient plus 1e-6; the loss 1e-5 relative.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void aPackedStepGivesTheUnpackedLossAndGradients(String name, CausalLM m) {
        // 40 inputs the longest (some cut at the context of 24), many short: they pack several to a row
        List<ChatTemplate.Example> train = examples(new int[] {9, 41, 4, 13, 6, 3, 17, 8, 5, 11, 25, 7, 2, 10, 4, 6}, 31, 9);
        int B = train.size();
        int[] order = identity(B);
        Task.Step[] steps = new Task.Step[2];
        float[][] grads = new float[2][];
        for (int k = 0; k < 2; k++) {
            LanguageModelTask task = new LanguageModelTask(m, train, List.of(), B, k == 1);
            m.zeroGrad();
            steps[k] = task.trainBatch(order, 0, B, 0);
            grads[k] = m.gradients().clone();
        }
        Task.Step padded = steps[0];
        Task.Step packed = steps[1];
        assertEquals(padded.trainedTokens(), packed.trainedTokens(), "the same trained tokens");
        assertEquals(padded.inputTokens(), packed.inputTokens(), "the same examples' tokens");
        assertTrue(packed.tokens() < padded.tokens(), "packing computes fewer positions: " + packed + " vs " + padded);
        assertEquals(padded.loss(), packed.loss(), 1e-5 * padded.loss(), name + " loss");
        float scale = 0;
        for (float g : grads[0]) {
            scale = Math.max(scale, Math.abs(g));
        }
        for (int i = 0; i < grads[0].length; i++) {
            assertEquals(grads[0][i], grads[1][i], 1e-6 + 2e-5 * scale, name + " gradient " + i);
        }
    }

    @Test
    void paddingShareIsTheShareOfComputedPositionsThatArePadding(@TempDir Path dir) throws IOException {
        GPT2 m = GPT2.randomInit(GPT2Config.of(31, 24, 16, 1, 2), 4, 0.3f);
        // inputs of 6, 3, 3 and 2 tokens (one fewer than the example), one batch of all four: T is 6, and
        // packed rows may reach 12 (T·√mb, mb = 4). Rows of 8 take the fewest positions: [6 2] [3 3] = 16
        // for 14 tokens (rows of 6: [6] [3 3] [2] = 18); unpacked, 4 rows of 6 = 24
        List<ChatTemplate.Example> train = examples(new int[] {7, 4, 4, 3}, 31, 2);
        int[] order = identity(4);
        LanguageModelTask task = new LanguageModelTask(m, train, List.of(), 4, true);
        assertEquals(12, task.rowCap());
        Task.Step packed = task.trainBatch(order, 0, 4, 0);
        assertEquals(16, packed.tokens());
        assertEquals(14, packed.inputTokens());
        assertEquals(2.0 / 16, packed.paddingShare(), 1e-12);
        Task.Step padded = new LanguageModelTask(m, train, List.of(), 4, false).trainBatch(order, 0, 4, 0);
        assertEquals(24, padded.tokens());
        assertEquals(10.0 / 24, padded.paddingShare(), 1e-12);
        // and as the step metric, with tokens_per_second beside it
        Hyperparameters hp = Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL).trainEpochs(2).trainBatchSize(4)
                .learningRate(0.001).earlyStoppingPatience(0).build();
        Recording ctx = new Recording();
        TrainerLoop.fit(m, null, -1, -1, new LanguageModelTask(m, train, List.of(), 4, true), hp, dir, ctx);
        assertEquals(2, ctx.steps.size());
        for (Map<String, Double> s : ctx.steps.values()) {
            assertEquals(2.0 / 16, s.get("padding_share"), 1e-12, s.toString());
            assertTrue(s.get("tokens_per_second") > 0, s.toString());
        }
    }

    /** The step metrics a run reports, by step (evaluations at step 0 left out). */
    static final class Recording extends LocalTrainingTest.StopAfter {
        final TreeMap<Integer, Map<String, Double>> steps = new TreeMap<>();

        Recording() {
            super(Integer.MAX_VALUE);
        }

        @Override
        public void stepMetrics(int step, Map<String, Double> metrics) {
            super.stepMetrics(step, metrics);
            if (step > 0) {
                steps.put(step, new LinkedHashMap<>(metrics));
            }
        }
    }

    /**
     * What a packed row holds of each example is what the unpacked row held: its first min(T, n - 1)
     * input tokens and their targets, whole, never split; the rest of the unpacked row is padding.
     */
    @Property(tries = 200)
    void aPackedRowHoldsEachExampleAsTheUnpackedRowDidCutAtT(@ForAll @IntRange(min = 2, max = 16) int B,
                                                            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Random r = new Random(seed);
        int[] lengths = new int[B + r.nextInt(5)];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = 2 + r.nextInt(r.nextBoolean() ? 8 : 40);
        }
        List<ChatTemplate.Example> data = examples(lengths, 31, seed);
        int T = 24; // the context: longer examples are cut, as they always were
        int cap = T * (1 + r.nextInt(3)); // packed rows may be longer than the context
        int[] order = identity(data.size());
        Collections2.shuffle(order, r);
        int b0 = r.nextInt(data.size());
        int n = Math.min(B, data.size() - b0);
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        LanguageModelTask.fill(data, order, b0, B, T, tokens, targets);
        Packing.Layout lay = LanguageModelTask.layout(data, order, b0, n, T, cap);
        int[] pTokens = new int[B * T];
        int[] pTargets = new int[B * T];
        int[] pPos = new int[B * T];
        LanguageModelTask.fill(data, order, b0, lay, pTokens, pTargets, pPos);
        assertTrue(lay.slots() <= (long) B * T, "a packed step fits the unpacked buffers");
        for (int i = 0; i < n; i++) {
            int len = Math.min(T, data.get(order[b0 + i]).tokens().length - 1);
            assertEquals(len, lay.length()[i]);
            int at = lay.row()[i] * lay.T() + lay.offset()[i];
            assertArrayEquals(Arrays.copyOfRange(tokens, i * T, i * T + len), Arrays.copyOfRange(pTokens, at, at + len));
            assertArrayEquals(Arrays.copyOfRange(targets, i * T, i * T + len), Arrays.copyOfRange(pTargets, at, at + len));
            for (int j = len; j < T; j++) {
                assertEquals(CausalLM.IGNORE_INDEX, targets[i * T + j], "the unpacked row's rest is padding");
            }
        }
        long trained = Arrays.stream(targets).filter(t -> t != CausalLM.IGNORE_INDEX).count();
        long pTrained = Arrays.stream(pTargets, 0, (int) lay.slots()).filter(t -> t != CausalLM.IGNORE_INDEX).count();
        assertEquals(trained, pTrained, "the same trained tokens");
    }

    /** Fisher-Yates with the caller's random. */
    static final class Collections2 {
        static void shuffle(int[] a, Random r) {
            for (int i = a.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = a[i];
                a[i] = a[j];
                a[j] = t;
            }
        }
    }

    /** Conversations of one to four exchanges, short and long turns: examples from a few to ~60 tokens. */
    static Path variedChatFile(Path dir) throws IOException {
        String[] user = {"hello there!", "what is two plus two?", "what is the capital of france? what is two plus two?", "hi."};
        String[] bot = {"hi.", "four.", "paris. four. paris is the capital of france and two plus two is four.", "hello there!"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            StringBuilder sb = new StringBuilder("{\"messages\":[");
            for (int k = 0; k <= i % 4; k++) {
                if (k > 0) {
                    sb.append(',');
                }
                sb.append("{\"role\":\"User\",\"content\":\"").append(user[(i + k) % 4]).append("\"},");
                sb.append("{\"role\":\"Chatbot\",\"content\":\"").append(bot[(i * 3 + k) % 4]).append("\"}");
            }
            lines.add(sb.append("]}").toString());
        }
        Path f = dir.resolve("varied.jsonl");
        Files.write(f, lines);
        return f;
    }

    @Test
    void aPackedFineTuneResumesMidEpochToTheSameWeightsBitForBit(@TempDir Path dir) throws IOException {
        Path base = LocalTrainingTest.baseFolder(dir);
        ByteLevelBpe bpe = BpeFiles.load(base);
        ChatTemplate t = new ChatTemplate(bpe, dev.finetune.basemodels.BaseModels.templateIds(bpe).orElseThrow());
        GPT2 probe = GPT2Checkpoint.load(base);
        List<ChatTemplate.Example> train = TrainingData.chat(variedChatFile(dir), t, probe.config().maxSeqLen() + 1);
        Hyperparameters hp = Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL).trainEpochs(3).trainBatchSize(6)
                .learningRate(0.005).earlyStoppingPatience(0).seed(5).build();
        // the run packs: its steps compute fewer positions than the unpacked steps would, several examples to a row
        TrainerLoop.Schedule sc = TrainerLoop.Schedule.of(train.size(), hp);
        long packedSlots = 0;
        long paddedSlots = 0;
        boolean shared = false;
        for (int step = 0; step < sc.total(); step++) {
            int[] order = TrainerLoop.order(train.size(), hp.seedValue(), step / sc.perEpoch());
            int b0 = (step % sc.perEpoch()) * sc.batchSize();
            packedSlots += new LanguageModelTask(probe, train, List.of(), 6, true).plan(order, b0, 6, 0).processedTokens();
            paddedSlots += new LanguageModelTask(probe, train, List.of(), 6, false).plan(order, b0, 6, 0).processedTokens();
            int T = Math.min(probe.config().maxSeqLen(), train.stream().mapToInt(e -> e.tokens().length - 1).max().orElseThrow());
            Packing.Layout lay = LanguageModelTask.layout(train, order, b0, Math.min(6, order.length - b0), T,
                    new LanguageModelTask(probe, train, List.of(), 6, true).rowCap());
            shared |= lay.rows() < lay.sequences();
        }
        assertTrue(shared && packedSlots < paddedSlots, "packed " + packedSlots + " vs padded " + paddedSlots);
        assertTrue(sc.perEpoch() >= 3, "steps per epoch " + sc.perEpoch() + ": the stop below falls mid-epoch");

        Path a = Files.createDirectories(dir.resolve("a"));
        GPT2 straight = GPT2Checkpoint.load(base);
        Recording all = new Recording();
        TrainerLoop.fit(straight, null, -1, -1, new LanguageModelTask(straight, train, List.of(), 6, true), hp, a, all);
        Path b = Files.createDirectories(dir.resolve("b"));
        GPT2 first = GPT2Checkpoint.load(base);
        // evaluations (and checkpoints) every step: stop after 4 (mid-epoch 2), then resume in a fresh model
        int stop = sc.perEpoch() + 1;
        TrainerLoop.fit(first, null, -1, -1, new LanguageModelTask(first, train, List.of(), 6, true), hp, b,
                new LocalTrainingTest.StopAfter(stop));
        GPT2 resumed = GPT2Checkpoint.load(base);
        Recording rest = new Recording();
        TrainerLoop.fit(resumed, null, -1, -1, new LanguageModelTask(resumed, train, List.of(), 6, true), hp, b, rest);
        assertArrayEquals(straight.parameters(), resumed.parameters());
        assertEquals(stop + 1, rest.steps.firstKey(), "the resumed run started after its checkpoint");
        rest.steps.forEach((step, m) -> assertEquals(all.steps.get(step).get("train_loss"), m.get("train_loss"), 0.0,
                "step " + step + " loss"));
        rest.steps.forEach((step, m) -> assertEquals(all.steps.get(step).get("padding_share"), m.get("padding_share"), 0.0));
    }
}
