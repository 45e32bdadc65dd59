package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Llama-family bundles pass {@link ReferenceCheck} with every check their reference.json lists
 * (tolerances in ReferenceCheck's comment), and the report covers what they carry: every weight's
 * gradient and post-AdamW value, every LoRA tensor, greedy decoding by full forward and by KV cache.
 */
class LlamaReferenceTest {

    static Path bundle(String name) throws Exception {
        return Path.of(LlamaReferenceTest.class.getResource("/reference/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny", "llama3-tiny", "qwen2-tiny", "stories260K", "llama-hd-f16", "qwen2-hd-bf16"})
    void matchesPyTorch(String name) throws Exception {
        ReferenceCheck.Report report = ReferenceCheck.run(bundle(name));
        assertTrue(report.passed(), report::describe);
        List<String> labels = report.lines().stream().map(ReferenceCheck.Line::name).toList();
        assertTrue(labels.contains("logits") && labels.contains("logits.kv_cache (row 0)") && labels.contains("greedy")
                && labels.contains("greedy.kv_cache") && labels.contains("logits.kv_cache.packed (row 0)")
                && labels.contains("greedy.kv_cache.packed"), labels.toString());
        if (!name.equals("stories260K")) {
            CausalLM m = CausalLMs.load(bundle(name));
            long grads = labels.stream().filter(l -> l.startsWith("grad.")).count();
            long steps = labels.stream().filter(l -> l.startsWith("step3.")).count();
            assertEquals(m.tensors().size(), grads);
            assertEquals(m.tensors().size(), steps);
            assertTrue(labels.contains("lora.logits") && labels.contains("lora.loss") && labels.contains("lora.losses"));
            assertTrue(labels.stream().anyMatch(l -> l.startsWith("lora.grad.base_model.model.model.layers.0.")), labels.toString());
            assertTrue(labels.stream().anyMatch(l -> l.startsWith("lora.step3.")), labels.toString());
        }
    }
}
