package dev.finetune.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.safetensors.SafetensorsReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    private static final GPT2Config TINY = GPT2Config.of(61, 24, 16, 2, 4);

    private static Path bundle(String name) throws Exception {
        return Path.of(GeneratorTest.class.getResource("/reference/" + name).toURI());
    }

    @Test
    void cachedDecodingGivesTheFullForwardLogitsAtEveryPosition() {
        GPT2 model = GPT2.randomInit(TINY, 11, 0.3f);
        int[] tokens = {3, 17, 42, 0, 60, 5, 5, 9, 33, 12, 1, 58, 7, 7, 20, 44, 2, 19, 23, 31, 8, 16, 40, 50};
        int T = tokens.length;
        model.forward(tokens, 1, T);
        float[] full = model.logits().clone();
        DecodeSession s = new DecodeSession(model, T);
        for (int t = 0; t < T; t++) {
            float[] step = s.append(tokens[t]);
            int off = model.logitsOffset(0, t);
            for (int v = 0; v < TINY.vocabSize(); v++) {
                float e = full[off + v];
                assertEquals(e, step[v], 1e-5 + 1e-4 * Math.abs(e), "position " + t + ", token " + v);
            }
        }
        assertEquals(T, s.position());
        assertThrows(IllegalStateException.class, () -> s.append(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "gpt2-tiny-noprefix"})
    void greedyDecodingReproducesPyTorchsContinuation(String name) throws Exception {
        Path dir = bundle(name);
        GPT2 model = GPT2Checkpoint.load(dir);
        int[] prompt;
        int[] expected;
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("expected.safetensors"))) {
            prompt = r.readInts("prompt");
            expected = r.readInts("greedy");
        }
        Generator.Result res = new Generator(model).generate(prompt, expected.length, Sampler.greedy(), -1, null);
        assertArrayEquals(expected, res.tokens());
        assertEquals(Generator.FinishReason.MAX_TOKENS, res.finish());
    }

    @Test
    void scoresAreTheLogSoftmaxOfTheFullForward() {
        GPT2 model = GPT2.randomInit(TINY, 5, 0.5f);
        int[] tokens = {1, 2, 3, 50, 49, 48, 0, 7, 9, 11};
        double[] scores = new Generator(model).score(tokens);
        assertTrue(Double.isNaN(scores[0]));
        model.forward(tokens, 1, tokens.length);
        float[] logits = model.logits();
        double sum = 0;
        for (int t = 1; t < tokens.length; t++) {
            int off = model.logitsOffset(0, t - 1);
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < TINY.vocabSize(); v++) {
                max = Math.max(max, logits[off + v]);
            }
            double z = 0;
            for (int v = 0; v < TINY.vocabSize(); v++) {
                z += Math.exp(logits[off + v] - max);
            }
            double expected = logits[off + tokens[t]] - max - Math.log(z);
            assertEquals(expected, scores[t], 1e-4, "token " + t);
            assertTrue(scores[t] < 0);
            sum += expected;
        }
        assertEquals(sum / (tokens.length - 1), Generator.averageLogLikelihood(scores), 1e-4);
    }

    @Test
    void seededSamplingIsReproducibleAndSeedsDiffer() {
        GPT2 model = GPT2.randomInit(TINY, 3, 0.8f);
        Generator g = new Generator(model);
        int[] prompt = {4, 8, 15};
        int[] a = g.generate(prompt, 16, new Sampler(1.0f, 0, 0f, 42), -1, null).tokens();
        int[] b = g.generate(prompt, 16, new Sampler(1.0f, 0, 0f, 42), -1, null).tokens();
        assertArrayEquals(a, b);
        boolean anyDiffers = false;
        for (long seed = 43; seed < 53 && !anyDiffers; seed++) {
            anyDiffers = !java.util.Arrays.equals(a, g.generate(prompt, 16, new Sampler(1.0f, 0, 0f, seed), -1, null).tokens());
        }
        assertTrue(anyDiffers, "ten other seeds all gave the same 16 tokens");
    }

    @Test
    void topKOfOneIsGreedy() {
        GPT2 model = GPT2.randomInit(TINY, 9, 0.8f);
        Generator g = new Generator(model);
        int[] prompt = {1, 2};
        assertArrayEquals(g.generate(prompt, 12, Sampler.greedy(), -1, null).tokens(),
                g.generate(prompt, 12, new Sampler(0.7f, 1, 0f, 1), -1, null).tokens());
    }

    @Test
    void endTokenAndListenerStopGeneration() {
        GPT2 model = GPT2.randomInit(TINY, 9, 0.8f);
        Generator g = new Generator(model);
        int[] prompt = {1, 2};
        int[] free = g.generate(prompt, 10, Sampler.greedy(), -1, null).tokens();
        Generator.Result ended = g.generate(prompt, 10, Sampler.greedy(), free[2], null);
        assertEquals(Generator.FinishReason.COMPLETE, ended.finish());
        assertTrue(ended.tokens().length <= 2);
        List<Integer> seen = new ArrayList<>();
        Generator.Result stopped = g.generate(prompt, 10, Sampler.greedy(), -1, (tok, lp) -> {
            seen.add(tok);
            return seen.size() < 3;
        });
        assertEquals(Generator.FinishReason.STOP_SEQUENCE, stopped.finish());
        assertEquals(3, stopped.tokens().length);
    }

    @Test
    void aPromptLongerThanTheContextKeepsItsNewestTokens() {
        GPT2 model = GPT2.randomInit(TINY, 9, 0.8f);
        Generator g = new Generator(model);
        int[] prompt = new int[40];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 7) % TINY.vocabSize();
        }
        Generator.Result r = g.generate(prompt, 4, Sampler.greedy(), -1, null);
        assertEquals(TINY.maxSeqLen() - 4, r.promptTokensUsed());
        int[] tail = java.util.Arrays.copyOfRange(prompt, prompt.length - 20, prompt.length);
        assertArrayEquals(g.generate(tail, 4, Sampler.greedy(), -1, null).tokens(), r.tokens());
    }

    @Test
    void manyThreadsDecodingOneModelAgreeWithASerialRun() throws Exception {
        GPT2 model = GPT2.randomInit(TINY, 21, 0.6f);
        Generator g = new Generator(model);
        int[][] prompts = new int[16][];
        int[][] serial = new int[16][];
        for (int i = 0; i < prompts.length; i++) {
            prompts[i] = new int[] {i, (i * 5) % 61, (i * 11) % 61};
            serial[i] = g.generate(prompts[i], 12, new Sampler(0.9f, 10, 0.9f, i), -1, null).tokens();
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<int[]>> futures = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                int j = i;
                futures.add(pool.submit(() -> g.generate(prompts[j], 12, new Sampler(0.9f, 10, 0.9f, j), -1, null).tokens()));
            }
            for (int i = 0; i < prompts.length; i++) {
                assertArrayEquals(serial[i], futures.get(i).get(), "prompt " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
