package dev.finetune.cli;

import dev.finetune.model.ReferenceCheck;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code finetune reference-check DIR...}: this library's models (GPT-2, Llama, Qwen2; the family from the
 * bundle's config.json) against PyTorch reference bundles (made by {@code gpt2_reference.py} or
 * {@code llama_reference.py}); one line per tensor and check, exit 0 when every bundle passes.
 */
@Command(name = "reference-check", mixinStandardHelpOptions = true,
        description = {"Compare logits, loss, every gradient, AdamW steps, greedy and KV-cached decoding, and the",
                "LoRA part (PEFT adapter) with PyTorch reference bundles (GPT-2 or Llama family); exit 0 when all pass."})
public final class ReferenceCheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", arity = "1..*", description = "bundle folders (config.json, model.safetensors or shards + "
            + "index, expected.safetensors, reference.json, adapter_model.safetensors + adapter_config.json for lora)")
    List<Path> dirs;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean allPass = true;
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir) || !Files.isRegularFile(dir.resolve("reference.json"))) {
                err.println("error: " + dir + ": not a reference bundle (no reference.json)");
                allPass = false;
                continue;
            }
            try {
                ReferenceCheck.Report r = ReferenceCheck.run(dir);
                out.print(r.describe());
                allPass &= r.passed();
            } catch (RuntimeException e) {
                err.println("error: " + dir + ": " + e.getMessage());
                allPass = false;
            }
            out.flush();
        }
        out.println(allPass ? "all bundles pass" : "FAILED");
        out.flush();
        err.flush();
        return allPass ? 0 : 1;
    }
}
