package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.lora.LoraAdapter;
import dev.finetune.optim.AdamW;
import dev.finetune.safetensors.HalfFloats;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A Llama whose matrices are frozen and held in BF16 (2 bytes a weight) trains a LoRA adapter exactly as
 * the float model holding the same weights widened: same losses, logits and adapter gradients bit for bit,
 * step after step (the GEMM widens B while packing it, before any arithmetic, so nothing rounds
 * differently), with the norms and biases trainable too; and it holds the base in about half the bytes.
 */
class FrozenBf16Test {

    static Stream<Arguments> configs() {
        return Stream.of(
                // Llama-style: tied head, no biases, GQA
                Arguments.of(new LlamaConfig("llama", 37, 16, 24, 2, 4, 2, 4, 16, 1e-5f, 10000, null,
                        false, false, true, "bfloat16", -1, -1)),
                // Qwen2-style: q/k/v biases, untied head, head_dim != hidden / heads
                Arguments.of(new LlamaConfig("qwen2", 29, 12, 20, 2, 4, 2, 6, 16, 1e-6f, 10000, null,
                        true, false, false, "bfloat16", -1, -1)));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void loraOnAFrozenBf16BaseEqualsTheFloatModelBitForBit(LlamaConfig config) {
        Llama widened = Llama.randomInit(config, 5, 0.3f);
        // the float model holds BF16 values, as a BF16 checkpoint loaded in float does
        for (TensorView v : widened.tensors()) {
            if (v.rank() == 2) {
                float[] p = widened.parameters();
                for (int i = v.offset(); i < v.offset() + v.size(); i++) {
                    p[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(p[i]));
                }
            }
        }
        Llama frozen = widened.toFrozenBf16();
        assertTrue(frozen.isFrozenBf16());
        long floatBytes = 4L * widened.parameters().length;
        long frozenBytes = 4L * frozen.parameters().length + 2L * frozen.parameters16().length;
        assertTrue(frozenBytes < floatBytes * 0.55, frozenBytes + " bytes against " + floatBytes);
        assertEquals(floatBytes, widened.weightBytes());
        assertTrue(frozen.weightBytes() <= frozenBytes && frozen.weightBytes() < floatBytes * 0.55, frozen.weightBytes() + " bytes");

        List<String> trainedVectors = config.qkvBias()
                ? List.of("model.norm.weight", "model.layers.1.post_attention_layernorm.weight", "model.layers.0.self_attn.k_proj.bias")
                : List.of("model.norm.weight", "model.layers.0.input_layernorm.weight");
        Run a = new Run(widened, trainedVectors);
        Run b = new Run(frozen, trainedVectors);
        Random r = new Random(9);
        int B = 2;
        int T = 7;
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(config.vocabSize());
            targets[i] = i % 5 == 0 ? CausalLM.IGNORE_INDEX : r.nextInt(config.vocabSize());
        }
        for (int step = 0; step < 4; step++) {
            float la = a.step(tokens, targets, B, T);
            float[] logitsA = a.lastLogits;
            float lb = b.step(tokens, targets, B, T);
            assertEquals(Float.floatToRawIntBits(la), Float.floatToRawIntBits(lb), "loss at step " + step + ": " + la + " vs " + lb);
            for (int i = 0; i < logitsA.length; i++) {
                assertEquals(Float.floatToRawIntBits(logitsA[i]), Float.floatToRawIntBits(b.lastLogits[i]), "logit " + i + " at step " + step);
            }
            float[] ga = a.lora.gradients();
            float[] gb = b.lora.gradients();
            for (int i = 0; i < ga.length; i++) {
                assertEquals(Float.floatToRawIntBits(ga[i]), Float.floatToRawIntBits(gb[i]), "adapter gradient " + i + " at step " + step);
            }
            for (String name : trainedVectors) {
                TensorView va = widened.tensor(name);
                TensorView vb = frozen.tensor(name);
                for (int i = 0; i < va.size(); i++) {
                    assertEquals(Float.floatToRawIntBits(widened.gradients()[va.offset() + i]),
                            Float.floatToRawIntBits(frozen.gradients()[vb.offset() + i]), name + "[" + i + "] gradient at step " + step);
                }
            }
            a.update();
            b.update();
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void frozenMatricesRefuseToTrainDecodeOrMergeWithTheirReason(LlamaConfig config) {
        Llama frozen = Llama.randomInit(config, 1, 0.1f).toFrozenBf16();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> frozen.setTrainable("model.layers.0.mlp.up_proj.weight", true));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.up_proj.weight") && e.getMessage().contains("BF16"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> frozen.setAllTrainable(true));
        e = assertThrows(IllegalStateException.class, () -> frozen.newDecoder(8));
        assertTrue(e.getMessage().contains("BF16"), e.getMessage());
        LoraAdapter lora = new LoraAdapter(frozen, 2, 4, LoraAdapter.Targets.QV, 3);
        e = assertThrows(IllegalStateException.class, () -> lora.mergeInto(frozen));
        assertTrue(e.getMessage().contains("BF16"), e.getMessage());
        // the vocabulary: the same size is a BF16 copy, a larger one a float copy whose new rows are the float model's
        Llama same = frozen.withVocabSize(config.vocabSize());
        assertTrue(same != frozen && same.isFrozenBf16());
        assertEquals(java.util.Arrays.toString(frozen.parameters16()), java.util.Arrays.toString(same.parameters16()));
        Llama grown = frozen.withVocabSize(config.vocabSize() + 3);
        assertTrue(!grown.isFrozenBf16());
        org.junit.jupiter.api.Assertions.assertArrayEquals(frozen.toFloat().withVocabSize(config.vocabSize() + 3).parameters(),
                grown.parameters());
        // a vector may train
        frozen.setTrainable("model.norm.weight", true);
        assertTrue(frozen.isTrainable("model.norm.weight"));
    }

    /** The BF16 reference bundles load with their matrices kept in BF16 and compute the float load's logits exactly. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama3-tiny", "qwen2-hd-bf16"})
    void aBf16CheckpointLoadsFrozenAndComputesTheFloatLoadsLogits(String bundle) throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of(FrozenBf16Test.class.getResource("/reference/" + bundle).toURI());
        Llama widened = LlamaCheckpoint.load(dir);
        Llama frozen = LlamaCheckpoint.loadFrozenBf16(dir);
        assertTrue(frozen.isFrozenBf16());
        int V = widened.config().vocabSize();
        int[] tokens = new int[2 * 9];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 37 + 5) % V;
        }
        widened.forward(tokens, 2, 9);
        frozen.forward(tokens, 2, 9);
        float[] a = widened.logits();
        float[] b = frozen.logits();
        for (int i = 0; i < 2 * 9 * V; i++) {
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), bundle + ": logit " + i);
        }
    }

    /** Saved as BF16, a model held in BF16 writes its bits back unchanged (and reloads to the same bits). */
    @ParameterizedTest
    @MethodSource("configs")
    void savingAFrozenModelWritesItsBitsBack(LlamaConfig config, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Llama frozen = Llama.randomInit(config, 2, 0.2f).toFrozenBf16();
        LlamaCheckpoint.save(frozen, dir, dev.finetune.safetensors.DType.BF16);
        Llama again = LlamaCheckpoint.loadFrozenBf16(dir);
        for (TensorView v : frozen.tensors()) {
            TensorView w = again.tensor(v.name());
            for (int i = 0; i < v.size(); i++) {
                if (v.rank() == 2) {
                    assertEquals(frozen.parameters16()[v.offset() + i], again.parameters16()[w.offset() + i], v.name() + "[" + i + "]");
                } else {
                    // vectors are float in memory, rounded to BF16 by the BF16 file
                    assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(frozen.parameters()[v.offset() + i])),
                            again.parameters()[w.offset() + i], 0f, v.name() + "[" + i + "]");
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aFloatCheckpointIsNotSilentlyRoundedToBf16() throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of(FrozenBf16Test.class.getResource("/reference/llama-tiny").toURI());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaCheckpoint.loadFrozenBf16(dir));
        assertTrue(e.getMessage().contains("model.embed_tokens.weight") && e.getMessage().contains("F32")
                && e.getMessage().contains("BF16"), e.getMessage());
    }

    /** A model with a LoRA adapter on every linear layer and some vectors trainable, stepping with AdamW. */
    private static final class Run {
        final Llama model;
        final LoraAdapter lora;
        final AdamW opt;
        float[] lastLogits;

        Run(Llama model, List<String> trainedVectors) {
            this.model = model;
            model.setAllTrainable(false);
            for (String name : trainedVectors) {
                model.setTrainable(name, true);
            }
            lora = new LoraAdapter(model, 3, 6, LoraAdapter.Targets.QKVO_FFN, 11);
            model.setAdapter(lora);
            List<AdamW.Slice> slices = new java.util.ArrayList<>(model.optimizerSlices(v -> true));
            slices.add(lora.slice());
            opt = AdamW.withDefaults(slices, 0.01f);
        }

        float step(int[] tokens, int[] targets, int B, int T) {
            model.zeroGrad();
            lora.zeroGrad();
            float loss = model.forward(tokens, targets, B, T);
            lastLogits = model.logits().clone();
            model.backward(model.validTargets());
            return loss;
        }

        void update() {
            opt.step(1e-2f);
        }
    }
}
