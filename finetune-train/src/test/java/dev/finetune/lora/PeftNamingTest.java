package dev.finetune.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.model.TensorView;
import dev.finetune.safetensors.SafetensorsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GPT-2 adapters in PEFT's layout: HF module names (transformer.h.N.attn.c_attn, ...), fan_in_fan_out, round trip. */
class PeftNamingTest {
    private static final GPT2Config CFG = GPT2Config.of(31, 8, 16, 2, 2);

    @Test
    void gpt2PresetsNameItsHfModules() {
        GPT2 m = GPT2.randomInit(CFG, 1, 0.1f);
        List<String> qv = new LoraAdapter(m, 2, 4, LoraAdapter.Targets.QV, 1).tensors().stream().map(TensorView::name).toList();
        assertEquals(List.of("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight",
                "base_model.model.transformer.h.0.attn.c_attn.lora_B.weight",
                "base_model.model.transformer.h.1.attn.c_attn.lora_A.weight",
                "base_model.model.transformer.h.1.attn.c_attn.lora_B.weight"), qv);
        List<String> qkvo = new LoraAdapter(m, 2, 4, LoraAdapter.Targets.QKVO, 1).tensors().stream().map(TensorView::name).toList();
        assertTrue(qkvo.contains("base_model.model.transformer.h.1.attn.c_proj.lora_B.weight"));
        assertTrue(qkvo.stream().noneMatch(n -> n.contains("mlp.")), qkvo.toString());
        assertEquals(16, new LoraAdapter(m, 2, 4, LoraAdapter.Targets.QKVO_FFN, 1).tensors().size());
    }

    @Test
    void aGpt2AdapterRoundTripsThroughPeftFiles(@TempDir Path dir) throws Exception {
        GPT2 m = GPT2.randomInit(CFG, 2, 0.2f);
        LoraAdapter a = new LoraAdapter(m, 3, 6, LoraAdapter.Targets.QKVO_FFN, 2);
        Random r = new Random(3);
        for (int i = 0; i < a.parameters().length; i++) {
            a.parameters()[i] += (float) (r.nextGaussian() * 0.05);
        }
        a.savePeft(dir, "gpt2");
        JsonNode c = new ObjectMapper().readTree(Files.readString(dir.resolve("adapter_config.json")));
        assertTrue(c.get("fan_in_fan_out").asBoolean());
        assertEquals("[\"c_attn\",\"c_proj\",\"c_fc\"]", c.get("target_modules").toString());
        try (SafetensorsReader st = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            assertArrayEquals(new long[] {3, 16}, st.tensor("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").shape());
            assertArrayEquals(new long[] {48, 3}, st.tensor("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight").shape());
            assertArrayEquals(new long[] {3, 64}, st.tensor("base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight").shape());
        }
        int[] tokens = r.ints(8, 0, 31).toArray();
        m.setAdapter(a);
        m.forward(tokens, 1, 8);
        float[] adapted = m.logits().clone();
        m.setAdapter(null);
        LoraAdapter b = LoraAdapter.loadPeft(m, dir);
        assertArrayEquals(a.parameters(), b.parameters());
        b.mergeInto(m);
        m.forward(tokens, 1, 8);
        for (int i = 0; i < adapted.length; i++) {
            assertEquals(adapted[i], m.logits()[i], 1e-4 + 1e-4 * Math.abs(adapted[i]), "logit " + i);
        }
    }
}
