package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.inference.Generator;
import dev.finetune.kernel.WeightMatrix;
import dev.finetune.kernel.WeightType;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decoding on packed weights ({@link InferenceModel}): on every {@link WeightType} the KV-cached decoder
 * equals the float model's full forward pass run on the very weights the packing stores (widened or
 * dequantized), at every position; folders load as stored (2 bytes a weight for BF16/F16) with the
 * checkpoint loaders' checks; Q8_0's effect on likelihoods stays within a stated bound on a pretrained model.
 *
 * <p>Tolerance as for the float decoder against the full forward ({@link LlamaModelTest}): 1e-5 + 1e-4·|e|,
 * the two computing the same products in different orders (GEMM tiles vs row dot products).
 */
class InferenceModelTest {

    static Stream<Arguments> models() {
        // widths that are not multiples of the vector length (8 or 16) nor of the Q8_0 block (32)
        LlamaConfig qwen = new LlamaConfig("qwen2", 75, 36, 52, 2, 6, 2, 6, 14, 1e-6f, 10000, null, true, false, false,
                "float32", -1, -1);
        LlamaConfig llama = LlamaConfig.of(61, 12, 40, 70, 2, 4, 4);
        return Stream.of(
                Arguments.of("gpt2", GPT2.randomInit(GPT2Config.of(97, 13, 40, 2, 4), 3, 0.3f)),
                Arguments.of("qwen2 GQA, biases, untied", Llama.randomInit(qwen, 1, 0.3f)),
                Arguments.of("llama tied", Llama.randomInit(llama, 2, 0.3f)));
    }

    /** A float model holding exactly the weights {@code im} stores (each matrix widened or dequantized). */
    private static CausalLM storedWeights(CausalLM m, InferenceModel im) {
        CausalLM copy = m instanceof GPT2 g ? new GPT2(g.config()) : new Llama(((Llama) m).config());
        float[] src = m.parameters();
        float[] dst = copy.parameters();
        for (TensorView v : m.tensors()) {
            boolean matrix = m instanceof GPT2 ? GPT2Decoder.Weights.isMatrix(v.name()) : LlamaDecoder.Weights.isMatrix(v.name());
            if (!matrix) {
                System.arraycopy(src, v.offset(), dst, v.offset(), v.size());
                continue;
            }
            WeightMatrix w = im.matrix(v.name());
            int[] s = v.shape();
            boolean conv1d = m instanceof GPT2 && !v.name().equals("wte.weight"); // stored [in, out]
            for (int i = 0; i < s[0]; i++) {
                for (int j = 0; j < s[1]; j++) {
                    dst[v.offset() + i * s[1] + j] = conv1d ? w.get(j, i) : w.get(i, j);
                }
            }
        }
        return copy;
    }

    private static void assertDecodesAsTheFullForward(String what, Decodable decodable, CausalLM reference, int[] tokens) {
        int T = tokens.length;
        int V = reference.config().vocabSize();
        reference.forward(tokens, 1, T);
        float[] full = reference.logits().clone();
        CausalLM.Decoder d = decodable.newDecoder(T);
        for (int t = 0; t < T; t++) {
            float[] step = d.step(tokens[t], t);
            for (int i = 0; i < V; i++) {
                float e = full[t * V + i];
                assertEquals(e, step[i], 1e-5 + 1e-4 * Math.abs(e), what + ": position " + t + ", logit " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void onEveryTypeDecodingEqualsTheFullForwardOfTheStoredWeights(String what, CausalLM m) {
        int[] tokens = new Random(4).ints(m.config().maxSeqLen(), 0, m.config().vocabSize()).toArray();
        for (WeightType type : WeightType.values()) {
            InferenceModel im = InferenceModel.of(m, type);
            assertEquals(type.optionName(), im.types());
            assertDecodesAsTheFullForward(what + " " + type, im, storedWeights(m, im), tokens);
        }
    }

    @Test
    void packedCopiesTakeTheirTypesBytesAndF32SharesTheParameters() {
        GPT2 m = GPT2.randomInit(GPT2Config.of(97, 13, 64, 2, 4), 3, 0.3f);
        long matrices = 0;
        for (TensorView v : m.tensors()) {
            if (GPT2Decoder.Weights.isMatrix(v.name())) {
                matrices += v.size();
            }
        }
        InferenceModel f32 = InferenceModel.of(m, WeightType.F32);
        InferenceModel bf16 = InferenceModel.of(m, WeightType.BF16);
        InferenceModel q8 = InferenceModel.of(m, WeightType.Q8_0);
        assertEquals(4 * matrices, f32.streamedBytesPerToken());
        assertEquals(2 * matrices, bf16.streamedBytesPerToken());
        assertEquals(matrices + 4 * matrices / 32, q8.streamedBytesPerToken()); // 64-wide rows: whole blocks
        assertEquals(f32.weightBytes() - 2 * matrices, bf16.weightBytes());
        // F32 views the model's own parameters: a change shows through; the packed copy does not move
        float before = bf16.newDecoder(1).step(5, 0)[7];
        float f32Before = f32.newDecoder(1).step(5, 0)[7];
        for (TensorView v : m.tensors()) {
            if (v.name().equals("ln_f.bias")) {
                java.util.Arrays.fill(m.parameters(), v.offset(), v.offset() + v.size(), 1f);
            }
        }
        assertEquals(before, bf16.newDecoder(1).step(5, 0)[7]);
        assertTrue(f32.newDecoder(1).step(5, 0)[7] != f32Before);
    }

    static Stream<Arguments> stored() {
        return Stream.of(Arguments.of(DType.BF16, "bf16"), Arguments.of(DType.F16, "f16"), Arguments.of(DType.F32, "f32"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stored")
    void foldersLoadInTheirStoredDtypeAndDecodeAsTheCheckpointLoadersModel(DType dtype, String type, @TempDir Path dir) {
        int[] tokens = new Random(5).ints(12, 0, 61).toArray();
        Path g = dir.resolve("gpt2");
        GPT2Checkpoint.save(GPT2.randomInit(GPT2Config.of(61, 12, 24, 2, 4), 7, 0.3f), g, dtype);
        Path l = dir.resolve("llama");
        LlamaConfig lc = new LlamaConfig("qwen2", 61, 36, 52, 2, 6, 2, 6, 12, 1e-6f, 10000, null, true, false, false,
                "float32", -1, -1);
        LlamaCheckpoint.save(Llama.randomInit(lc, 8, 0.3f), l, dtype);
        for (Path folder : List.of(g, l)) {
            InferenceModel im = InferenceModel.load(folder);
            assertEquals(type, im.types(), folder.toString());
            CausalLM floats = CausalLMs.load(folder);
            long matrices = floats.tensors().stream().filter(v -> floats instanceof GPT2 ? GPT2Decoder.Weights.isMatrix(v.name())
                    : LlamaDecoder.Weights.isMatrix(v.name())).mapToLong(TensorView::size).sum();
            // a step reads every matrix but an untied embedding, of which it reads one row
            long untiedEmbedding = floats instanceof Llama && !((Llama) floats).config().tiedEmbeddings()
                    ? floats.tokenEmbedding().size() : 0;
            assertEquals((long) dtype.bytes() * (matrices - untiedEmbedding), im.streamedBytesPerToken(), folder.toString());
            // the stored values widen exactly: decoding them equals the float model's forward pass
            assertDecodesAsTheFullForward(folder + " as stored", im, floats, tokens);
            // converted on load (a few rows at a time, Conv1D transposed): the stored weights of that type
            for (WeightType t : WeightType.values()) {
                InferenceModel conv = InferenceModel.load(folder, t);
                assertEquals(t.optionName(), conv.types());
                assertDecodesAsTheFullForward(folder + " as " + t, conv, storedWeights(floats, conv), tokens);
            }
        }
    }

    @Test
    void theReferenceBundlesLoadAsStored() throws Exception {
        // F16, BF16, sharded, GPT-2 without the transformer. prefix: each loads with its matrices as stored
        String[][] cases = {{"llama-hd-f16", "f16"}, {"qwen2-hd-bf16", "bf16"}, {"llama3-tiny", "bf16"}, {"qwen2-tiny", "f32"},
            {"gpt2-tiny-noprefix", "f32"}};
        for (String[] c : cases) {
            Path dir = Path.of(InferenceModelTest.class.getResource("/reference/" + c[0]).toURI());
            InferenceModel im = InferenceModel.load(dir);
            assertEquals(c[1], im.types(), c[0]);
            CausalLM floats = CausalLMs.load(dir);
            int[] tokens = new Random(6).ints(Math.min(10, floats.config().maxSeqLen()), 0, floats.config().vocabSize()).toArray();
            assertDecodesAsTheFullForward(c[0], im, floats, tokens);
        }
    }

    @Test
    void badFoldersFailAsTheCheckpointLoaderDoesNamingTheTensor(@TempDir Path dir) throws Exception {
        GPT2 m = GPT2.randomInit(GPT2Config.of(31, 8, 16, 1, 2), 1, 0.3f);
        GPT2Checkpoint.save(m, dir);
        // an untied lm_head
        SafetensorsWriter w = new SafetensorsWriter();
        for (TensorView v : m.tensors()) {
            w.addFloats("transformer." + v.name(), DType.F32, v.longShape(), m.parameters(), v.offset());
        }
        float[] head = new float[31 * 16];
        head[3] = 1;
        w.addFloats("lm_head.weight", DType.F32, new long[] {31, 16}, head, 0);
        w.write(dir.resolve("model.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> InferenceModel.load(dir));
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("tied"), e.getMessage());
        // a missing tensor
        SafetensorsWriter w2 = new SafetensorsWriter();
        for (TensorView v : m.tensors()) {
            if (!v.name().equals("h.0.mlp.c_fc.bias")) {
                w2.addFloats(v.name(), DType.F32, v.longShape(), m.parameters(), v.offset());
            }
        }
        w2.write(dir.resolve("model.safetensors"));
        e = assertThrows(ModelFormatException.class, () -> InferenceModel.load(dir));
        assertTrue(e.getMessage().contains("h.0.mlp.c_fc.bias") && e.getMessage().contains("missing"), e.getMessage());
    }

    /**
     * Q8_0 against the weights as shipped, on a pretrained model (base-light: GPT-2 shape, 4 layers, 256
     * channels, trained on Sherlock Holmes; BF16 on disk, so "as stored" is exact BF16 widened to float):
     * the mean log-likelihood per token of a passage of the book moves by at most 0.02 nats and no token's by
     * more than 0.1. Why these bounds: Q8_0 rounds each weight to within d/2 of itself, d = max|block|/127,
     * a relative error of about 1/440 RMS per weight (uniform rounding error d/√12 against Gaussian blocks whose
     * max is ~2.1σ), independent across weights, so each product's output moves by ~0.2% of its size; through 4
     * blocks and the head a logit moves by a few thousandths of its scale, so log-probabilities by a few
     * hundredths at most and on average by far less. Measured: see the assertion message.
     */
    @Test
    void q8DecodingStaysWithinAStatedLikelihoodOfTheStoredWeights() throws Exception {
        Path dir = Path.of(InferenceModelTest.class.getResource("/dev/finetune/basemodels/base-light").toURI());
        String text = Files.readString(Path.of(InferenceModelTest.class.getResource("/dev/finetune/corpora/sherlock-holmes.txt").toURI()));
        dev.finetune.tokenizer.ByteLevelBpe bpe = dev.finetune.tokenizer.BpeFiles.load(dir);
        int[] all = bpe.encode(text.substring(20_000, 24_000));
        int[] tokens = java.util.Arrays.copyOf(all, Math.min(all.length, 256));
        double[] stored = new Generator(InferenceModel.load(dir)).score(tokens);
        double[] q8 = new Generator(InferenceModel.load(dir, WeightType.Q8_0)).score(tokens);
        double meanStored = Generator.averageLogLikelihood(stored);
        double meanQ8 = Generator.averageLogLikelihood(q8);
        double worst = 0;
        List<Double> diffs = new ArrayList<>();
        for (int i = 1; i < tokens.length; i++) {
            worst = Math.max(worst, Math.abs(q8[i] - stored[i]));
            diffs.add(q8[i] - stored[i]);
        }
        String measured = String.format("%d tokens: mean log-likelihood %.5f as stored, %.5f in Q8_0 (diff %.2e); worst token %.2e",
                tokens.length, meanStored, meanQ8, meanQ8 - meanStored, worst);
        System.out.println("q8_0 likelihood: " + measured);
        assertTrue(meanStored > -6, "the pretrained model predicts its book: " + measured);
        assertTrue(Math.abs(meanQ8 - meanStored) <= 0.02, measured);
        assertTrue(worst <= 0.1, measured);
        assertTrue(diffs.stream().anyMatch(d -> d != 0), "Q8_0 changed nothing: " + measured);
    }
}
