package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.json.Json;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ModelPackagerTest {
    @Test
    void adapterConfigIsValidJsonWhateverThePathHolds() throws Exception {
        GPT2Config cfg = GPT2Config.of(300, 16, 32, 2, 2);
        GPT2 model = GPT2.randomInit(cfg, 1, 0.02f);
        LoraAdapter adapter = new LoraAdapter(cfg, 4, 8, LoraAdapter.Targets.QV, 1);
        Path odd = Path.of("/models/a \"quoted\" \\ back\\slash folder");
        ModelPackager.Trained t = new ModelPackager.Trained(model, null, adapter, 8, -1, -1, null, odd);
        JsonNode back = Json.reader().readTree(Json.prettyWriter().writeValueAsString(ModelPackager.adapterConfig(t)));
        assertEquals(odd.toString(), back.get("base_model_name_or_path").asText());
        assertEquals(4, back.get("r").asInt());
        assertEquals(8, back.get("lora_alpha").asInt());
        assertEquals("CAUSAL_LM", back.get("task_type").asText());
    }
}
