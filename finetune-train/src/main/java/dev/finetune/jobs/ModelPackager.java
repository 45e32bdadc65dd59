package dev.finetune.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.heads.TaskHead;
import dev.finetune.json.Json;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsWriter;
import dev.finetune.template.ConversationExamples;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import dev.finetune.workspace.AtomicWrite;
import dev.finetune.workspace.FileOps;
import dev.finetune.workspace.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a trained model's servable folder: under LoRA the adapter in PEFT's layout
 * ({@link ModelFiles#ADAPTER_WEIGHTS}, {@link ModelFiles#ADAPTER_CONFIG} written with Jackson), the
 * trained template-token embedding rows, then the merged full model (HuggingFace config + safetensors),
 * the tokenizer files and the task head. The model files are written to a temporary folder and each
 * moved into place atomically.
 */
final class ModelPackager {
    private ModelPackager() {
    }

    /** What a fine-tune leaves: the model (adapter still attached under LoRA), and what came with it. */
    record Trained(GPT2 model, ByteLevelBpe tokenizer, LoraAdapter adapter, int alpha, int rowFrom, int rowTo,
                   TaskHead head, Path baseDir) {
    }

    static void write(Trained t, Path modelDir) throws IOException {
        GPT2 model = t.model();
        if (t.adapter() != null) {
            t.adapter().save(modelDir.resolve(ModelFiles.ADAPTER_WEIGHTS), t.alpha());
            AtomicWrite.writeBytes(modelDir.resolve(ModelFiles.ADAPTER_CONFIG),
                    Json.prettyWriter().writeValueAsBytes(adapterConfig(t)));
            if (t.rowFrom() >= 0 && t.rowTo() > t.rowFrom()) {
                int C = model.config().channels();
                int off = model.tensor("wte.weight").offset() + t.rowFrom() * C;
                new SafetensorsWriter().addFloats("wte.template_rows", DType.F32, new long[] {t.rowTo() - t.rowFrom(), C},
                        model.parameters(), off).metadata(Map.of("first_token_id", Integer.toString(t.rowFrom())))
                        .write(modelDir.resolve(ModelFiles.ADAPTER_EMBEDDINGS));
            }
            model.setAdapter(null);
            t.adapter().mergeInto(model);
        }
        Path tmp = modelDir.resolve(".model.tmp");
        FileOps.deleteTree(tmp);
        GPT2Checkpoint.save(model, tmp);
        BpeFiles.save(t.tokenizer(), tmp);
        List<String> files = new ArrayList<>(List.of(ModelFiles.CONFIG, ModelFiles.WEIGHTS,
                BpeFiles.TOKENIZER_JSON, BpeFiles.ENCODER_JSON, BpeFiles.VOCAB_BPE));
        if (t.head() != null) {
            t.head().save(tmp);
            files.add(ModelFiles.HEAD);
        }
        // the base's own tokenizer config and chat template travel with the model, so chat renders the same prompts
        for (String f : ConversationExamples.TEMPLATE_FILES) {
            if (Files.isRegularFile(t.baseDir().resolve(f))) {
                Files.copy(t.baseDir().resolve(f), tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                files.add(f);
            }
        }
        for (String f : files) {
            Files.move(tmp.resolve(f), modelDir.resolve(f), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        FileOps.deleteTree(tmp);
    }

    /** PEFT's {@code adapter_config.json}: what PEFT needs to open the adapter on its base. */
    static ObjectNode adapterConfig(Trained t) {
        ObjectNode c = Json.object();
        c.put("peft_type", "LORA");
        c.put("task_type", t.head() == null ? "CAUSAL_LM" : "SEQ_CLS");
        c.put("r", t.adapter().rank());
        c.put("lora_alpha", t.alpha());
        c.put("lora_dropout", 0.0);
        c.put("bias", "none");
        // GPT-2's fused c_attn is adapted on its q and v slices only, which PEFT cannot name: the target set is kept
        // as this library's own name until adapters move to PEFT's module names
        c.put("target_modules", t.adapter().targets().toString());
        if (t.head() != null) {
            c.putArray("modules_to_save").add("head");
        }
        c.put("base_model_name_or_path", t.baseDir().toString());
        return c;
    }
}
