package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.HalfFloats;
import dev.finetune.safetensors.SafetensorsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Llama family behind the seam: KV-cached decoding, PEFT adapters in and out, merged folders, config.json rules. */
class LlamaModelTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> models() {
        LlamaConfig hd = new LlamaConfig("qwen2", 23, 12, 20, 2, 4, 2, 6, 16, 1e-6f, 10000, new LlamaConfig.RopeScaling(8, 1, 4, 8),
                true, false, false, "float32", -1, -1);
        return Stream.of(
                Arguments.of("llama GQA, head_dim != hidden/heads", Llama.randomInit(hd, 1, 0.3f)),
                Arguments.of("llama tied MHA", Llama.randomInit(LlamaConfig.of(19, 12, 16, 24, 3, 4, 4), 2, 0.3f)),
                Arguments.of("gpt2", GPT2.randomInit(GPT2Config.of(19, 12, 16, 2, 4), 3, 0.3f)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void kvCachedDecodingEqualsTheFullForwardAtEveryPosition(String what, CausalLM m) {
        int T = m.config().maxSeqLen();
        int V = m.config().vocabSize();
        int[] tokens = new Random(4).ints(T, 0, V).toArray();
        m.forward(tokens, 1, T);
        float[] full = m.logits().clone();
        CausalLM.Decoder d = m.newDecoder(T);
        for (int t = 0; t < T; t++) {
            float[] step = d.step(tokens[t], t);
            for (int i = 0; i < V; i++) {
                float e = full[t * V + i];
                assertEquals(e, step[i], 1e-5 + 1e-4 * Math.abs(e), what + ": position " + t + ", logit " + i);
            }
        }
    }

    private static Path bundle(String name) throws Exception {
        return Path.of(LlamaModelTest.class.getResource("/reference/" + name).toURI());
    }

    @Test
    void peftAdapterSavedLoadedAndMergedGivesTheUnmergedLogits(@TempDir Path dir) throws Exception {
        Llama m = LlamaCheckpoint.load(bundle("qwen2-tiny"));
        LoraAdapter lora = new LoraAdapter(m, 3, 6, LoraAdapter.Targets.QKVO_FFN, 5);
        Random r = new Random(6);
        for (int i = 0; i < lora.parameters().length; i++) {
            lora.parameters()[i] += (float) (r.nextGaussian() * 0.05); // B no longer zero: the adapter matters
        }
        int[] tokens = r.ints(2 * 9, 0, m.config().vocabSize()).toArray();
        m.forward(tokens, 2, 9);
        float[] base = m.logits().clone();
        m.setAdapter(lora);
        m.forward(tokens, 2, 9);
        float[] adapted = m.logits().clone();
        assertNotEquals(base[0], adapted[0]);

        lora.savePeft(dir.resolve("adapter"), "qwen2-tiny");
        JsonNode cfg = JSON.readTree(Files.readString(dir.resolve("adapter/adapter_config.json")));
        assertEquals("LORA", cfg.get("peft_type").asText());
        assertEquals("CAUSAL_LM", cfg.get("task_type").asText());
        assertEquals(3, cfg.get("r").asInt());
        assertEquals(6, cfg.get("lora_alpha").asInt());
        assertEquals("qwen2-tiny", cfg.get("base_model_name_or_path").asText());
        assertEquals(7, cfg.get("target_modules").size());
        try (SafetensorsReader st = SafetensorsReader.open(dir.resolve("adapter/adapter_model.safetensors"))) {
            assertArrayEquals(new long[] {3, 64}, st.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape());
            assertArrayEquals(new long[] {64, 3}, st.tensor("base_model.model.model.layers.1.self_attn.o_proj.lora_B.weight").shape());
            assertArrayEquals(new long[] {96, 3}, st.tensor("base_model.model.model.layers.1.mlp.up_proj.lora_B.weight").shape());
        }

        Llama fresh = LlamaCheckpoint.load(bundle("qwen2-tiny"));
        LoraAdapter back = LoraAdapter.loadPeft(fresh, dir.resolve("adapter"));
        assertArrayEquals(lora.parameters(), back.parameters());
        fresh.setAdapter(back);
        fresh.forward(tokens, 2, 9);
        assertArrayEquals(adapted, fresh.logits());
        fresh.setAdapter(null);
        back.mergeInto(fresh);
        fresh.forward(tokens, 2, 9);
        float[] merged = fresh.logits();
        for (int i = 0; i < adapted.length; i++) {
            assertEquals(adapted[i], merged[i], 1e-4 + 1e-4 * Math.abs(adapted[i]), "logit " + i);
        }
    }

    @Test
    void theBundlesPeftAdapterLoadsAndAnUnknownTensorIsNamed(@TempDir Path dir) throws Exception {
        Llama m = LlamaCheckpoint.load(bundle("llama-tiny"));
        LoraAdapter a = LoraAdapter.loadPeft(m, bundle("llama-tiny"));
        assertEquals(List.of("q_proj", "v_proj"), a.targetModules());
        assertEquals(8, a.tensors().size());
        Files.copy(bundle("llama-tiny").resolve("adapter_model.safetensors"), dir.resolve("adapter_model.safetensors"));
        ObjectNode cfg = (ObjectNode) JSON.readTree(Files.readString(bundle("llama-tiny").resolve("adapter_config.json")));
        cfg.putArray("target_modules").add("q_proj");
        Files.writeString(dir.resolve("adapter_config.json"), cfg.toString());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LoraAdapter.loadPeft(m, dir));
        assertTrue(e.getMessage().contains("v_proj.lora_A.weight"), e.getMessage());
        cfg.put("use_dora", true);
        Files.writeString(dir.resolve("adapter_config.json"), cfg.toString());
        e = assertThrows(ModelFormatException.class, () -> LoraAdapter.loadPeft(m, dir));
        assertTrue(e.getMessage().contains("use_dora"), e.getMessage());
    }

    @Test
    void aMergedModelIsSavedAsAFullFolderInTheBasesDtype(@TempDir Path dir) throws Exception {
        Llama m = LlamaCheckpoint.load(bundle("llama3-tiny"));
        assertEquals("bfloat16", m.config().dtype());
        LoraAdapter.loadPeft(m, bundle("llama3-tiny")).mergeInto(m);
        LlamaCheckpoint.save(m, dir);
        try (SafetensorsReader st = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
            assertEquals(DType.BF16, st.tensor("model.layers.0.self_attn.q_proj.weight").dtype());
        }
        assertEquals("bfloat16", JSON.readTree(Files.readString(dir.resolve("config.json"))).get("torch_dtype").asText());
        assertEquals("llama", CausalLMs.family(dir));
        Llama back = LlamaCheckpoint.load(dir);
        assertEquals(m.config(), back.config());
        for (int i = 0; i < m.parameters().length; i++) {
            float rounded = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(m.parameters()[i]));
            assertEquals(rounded, back.parameters()[i], "weight " + i);
        }
    }

    @Test
    void bothConfigSpellingsReadTheSameModel() throws Exception {
        ObjectNode v4 = (ObjectNode) JSON.readTree(Files.readString(bundle("llama3-tiny").resolve("config.json")));
        ObjectNode v5 = v4.deepCopy();
        ObjectNode rp = ((ObjectNode) v5.remove("rope_scaling")).deepCopy();
        rp.put("rope_theta", v5.remove("rope_theta").asDouble());
        v5.set("rope_parameters", rp);
        v5.put("dtype", v5.remove("torch_dtype").asText());
        assertEquals(LlamaConfig.parse("v4", v4, false), LlamaConfig.parse("v5", v5, false));
        assertEquals(500000.0, LlamaConfig.parse("v5", v5, false).ropeTheta());
        assertEquals(32.0, LlamaConfig.parse("v5", v5, false).ropeScaling().factor());
    }

    static Stream<Arguments> unsupported() {
        return Stream.of(
                Arguments.of("hidden_act", "\"gelu\"", "hidden_act"),
                Arguments.of("rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_scaling.rope_type \"yarn\""),
                Arguments.of("mlp_bias", "true", "mlp_bias"),
                Arguments.of("torch_dtype", "\"float8\"", "torch_dtype"),
                Arguments.of("num_key_value_heads", "3", "num_key_value_heads"),
                Arguments.of("quantization_config", "{\"quant_method\": \"gptq\"}", "quantization_config"),
                Arguments.of("model_type", "\"mistral\"", "model_type"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupported")
    void aConfigThisBuildCannotRunFailsNamingTheKey(String key, String value, String expected) throws Exception {
        ObjectNode c = (ObjectNode) JSON.readTree(Files.readString(bundle("llama-tiny").resolve("config.json")));
        c.set(key, JSON.readTree(value));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaConfig.parse("config.json", c, false));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void qwenSlidingWindowAndUnknownArchitecturesAreNamed(@TempDir Path dir) throws Exception {
        ObjectNode c = (ObjectNode) JSON.readTree(Files.readString(bundle("qwen2-tiny").resolve("config.json")));
        c.put("use_sliding_window", true);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaConfig.parse("config.json", c, false));
        assertTrue(e.getMessage().contains("use_sliding_window"), e.getMessage());
        c.putArray("architectures").add("MistralForCausalLM");
        Files.writeString(dir.resolve("config.json"), c.toString());
        e = assertThrows(ModelFormatException.class, () -> CausalLMs.load(dir));
        assertTrue(e.getMessage().contains("architectures") && e.getMessage().contains("MistralForCausalLM"), e.getMessage());
    }

    @Test
    void aMissingOrMisshapenTensorIsNamed(@TempDir Path dir) throws Exception {
        Files.copy(bundle("llama-tiny").resolve("config.json"), dir.resolve("config.json"));
        ObjectNode c = (ObjectNode) JSON.readTree(Files.readString(dir.resolve("config.json")));
        c.put("intermediate_size", 64);
        Files.writeString(dir.resolve("config.json"), c.toString());
        Files.copy(bundle("llama-tiny").resolve("model.safetensors"), dir.resolve("model.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaCheckpoint.load(dir));
        assertTrue(e.getMessage().contains("mlp.gate_proj.weight") && e.getMessage().contains("[96, 64]"), e.getMessage());
    }

    @Test
    void loraOnAFrozenBaseTrainsOnlyTheAdapter() throws Exception {
        Llama m = LlamaCheckpoint.load(bundle("llama-tiny"));
        m.setAllTrainable(false);
        LoraAdapter lora = new LoraAdapter(m, 2, 4, LoraAdapter.Targets.QV, 1);
        m.setAdapter(lora);
        assertTrue(m.optimizerSlices(CausalLM.decayAll()).isEmpty());
        int[] tokens = new int[16];
        m.forward(tokens, tokens, 1, 16);
        m.zeroGrad();
        lora.zeroGrad();
        m.backward();
        double norm = 0;
        for (float g : lora.gradients()) {
            norm += g * g;
        }
        assertTrue(norm > 0);
    }
}
