package dev.finetune.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.heads.TaskHead;
import dev.finetune.json.Json;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.CausalLM;
import dev.finetune.model.CausalLMs;
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
    record Trained(CausalLM model, ByteLevelBpe tokenizer, LoraAdapter adapter, int alpha, int rowFrom, int rowTo,
                   TaskHead head, Path baseDir) {
    }

    static void write(Trained t, Path modelDir) throws IOException {
        CausalLM model = t.model();
        if (t.adapter() != null) {
            t.adapter().savePeft(modelDir, t.baseDir().toString());
            if (t.head() != null) {
                withHead(modelDir.resolve(ModelFiles.ADAPTER_CONFIG));
            }
            if (t.rowFrom() >= 0 && t.rowTo() > t.rowFrom()) {
                int C = model.config().hiddenSize();
                int off = model.tokenEmbedding().offset() + t.rowFrom() * C;
                new SafetensorsWriter().addFloats("wte.template_rows", DType.F32, new long[] {t.rowTo() - t.rowFrom(), C},
                        model.parameters(), off).metadata(Map.of("first_token_id", Integer.toString(t.rowFrom())))
                        .write(modelDir.resolve(ModelFiles.ADAPTER_EMBEDDINGS));
            }
            model.setAdapter(null);
            if (model instanceof dev.finetune.model.Llama llama) {
                model = llama.toFloat(); // a base held in BF16 merges in float, as the float base would, and saves in its dtype
            }
            t.adapter().mergeInto(model);
        }
        Path tmp = modelDir.resolve(".model.tmp");
        FileOps.deleteTree(tmp);
        CausalLMs.save(model, tmp);
        BpeFiles.save(t.tokenizer(), tmp);
        List<String> files = new ArrayList<>();
        for (String f : List.of(ModelFiles.CONFIG, ModelFiles.WEIGHTS, BpeFiles.TOKENIZER_JSON, BpeFiles.ENCODER_JSON,
                BpeFiles.VOCAB_BPE)) {
            if (Files.isRegularFile(tmp.resolve(f))) {
                files.add(f);
            }
        }
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

    /**
     * A rerank or classify model's {@code adapter_config.json}: PEFT's sequence-classification task type,
     * with the head saved beside the adapter ({@code modules_to_save}).
     */
    static void withHead(Path adapterConfig) throws IOException {
        ObjectNode c = (ObjectNode) Json.reader().readTree(Files.readString(adapterConfig));
        c.put("task_type", "SEQ_CLS");
        c.putArray("modules_to_save").add("head");
        AtomicWrite.writeBytes(adapterConfig, Json.prettyWriter().writeValueAsBytes(c));
    }
}
