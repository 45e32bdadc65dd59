package dev.finetune.bench;

import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.CausalLM;
import dev.finetune.model.Llama;
import dev.finetune.model.LlamaConfig;
import dev.finetune.optim.AdamW;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A Llama-family training step in tokens/s (the {@code tokens} counter), on SmolLM2-135M's shape
 * ({@code smollm2_135m}: 30 layers, hidden 576, 9 heads, 3 key/value heads, MLP 1536, vocabulary 49152;
 * B 4, T 128) or a small one ({@code small}: 4 layers, hidden 256, 4/2 heads, MLP 688, vocabulary 8192,
 * B 8, T 128): {@code full} fine-tuning (forward, backward, clipping, AdamW over every weight) or
 * {@code lora} (rank 8, alpha 16 on q_proj and v_proj, base frozen; {@code lora_bf16} with it held in BF16), the shapes
 * {@code ../shared/bench/torchllama.py train 4 128 [8]} times on the PyTorch side.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 20)
@Measurement(iterations = 2, time = 30)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class LlamaStepBench {
    @Param({"small", "smollm2_135m"})
    public String shape;

    /** {@code lora_bf16}: LoRA with the frozen base's matrices held in BF16 ({@code Llama.toFrozenBf16}). */
    @Param({"full", "lora", "lora_bf16"})
    public String mode;

    private CausalLM model;
    private LoraAdapter lora;
    private AdamW opt;
    private int[] tokens;
    private int[] targets;
    private int batch;
    private int seq;

    /** Tokens trained, as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Tokens {
        public long tokens;

        @Setup(Level.Iteration)
        public void reset() {
            tokens = 0;
        }
    }

    @Setup
    public void setUp() {
        LlamaConfig cfg;
        if (shape.equals("smollm2_135m")) {
            cfg = LlamaConfig.of(49152, 256, 576, 1536, 30, 9, 3);
            batch = 4;
        } else {
            cfg = LlamaConfig.of(8192, 256, 256, 688, 4, 4, 2);
            batch = 8;
        }
        seq = 128;
        model = Llama.randomInit(cfg, 1, 0.02f);
        if (mode.equals("lora_bf16")) {
            model = ((Llama) model).toFrozenBf16();
        }
        if (mode.startsWith("lora")) {
            model.setAllTrainable(false);
            lora = new LoraAdapter(model, 8, 16.0, List.of("q_proj", "v_proj"), 2);
            model.setAdapter(lora);
            opt = AdamW.withDefaults(List.of(lora.slice()), 0.01f);
        } else {
            opt = AdamW.withDefaults(model.optimizerSlices(CausalLM.decayMatricesOnly()), 0.01f);
        }
        SplittableRandom r = new SplittableRandom(3);
        tokens = new int[batch * seq];
        targets = new int[batch * seq];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(cfg.vocabSize());
            targets[i] = r.nextInt(cfg.vocabSize());
        }
    }

    @Benchmark
    public float step(Tokens t) {
        float loss = model.forward(tokens, targets, batch, seq);
        model.zeroGrad();
        if (lora != null) {
            lora.zeroGrad();
        }
        model.backward();
        opt.clipGradNorm(1.0);
        opt.step(1e-4f);
        t.tokens += (long) batch * seq;
        return loss;
    }
}
