package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.json.Json;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackagerTest {
    @Test
    void adapterConfigIsValidJsonWhateverThePathHoldsAndNamesTheHead(@TempDir Path dir) throws Exception {
        GPT2 model = GPT2.randomInit(GPT2Config.of(300, 16, 32, 2, 2), 1, 0.02f);
        LoraAdapter adapter = new LoraAdapter(model, 4, 8, LoraAdapter.Targets.QV, 1);
        String odd = "/models/a \"quoted\" \\ back\\slash folder";
        adapter.savePeft(dir, odd);
        Path config = dir.resolve(LoraAdapter.CONFIG_FILE);
        JsonNode plain = Json.reader().readTree(Files.readString(config));
        assertEquals(odd, plain.get("base_model_name_or_path").asText());
        assertEquals(4, plain.get("r").asInt());
        assertEquals(8, plain.get("lora_alpha").asInt());
        assertEquals("CAUSAL_LM", plain.get("task_type").asText());
        ModelPackager.withHead(config);
        JsonNode head = Json.reader().readTree(Files.readString(config));
        assertEquals("SEQ_CLS", head.get("task_type").asText());
        assertEquals("head", head.get("modules_to_save").get(0).asText());
        assertEquals(odd, head.get("base_model_name_or_path").asText());
    }
}
