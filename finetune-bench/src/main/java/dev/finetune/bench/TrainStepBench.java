package dev.finetune.bench;

import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.optim.AdamW;
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
 * One whole training step (forward, backward, gradient clipping, AdamW) in tokens/s (the {@code tokens}
 * counter). {@code small}: 4 layers, 4 heads, 256 channels, vocabulary 50257, context 256, B 8, T 128.
 * {@code gpt2}: GPT-2 124M at B 4, T 64. Run with {@code -prof gc} to see the allocation per step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class TrainStepBench {
    @Param({"small", "gpt2"})
    public String config;

    private GPT2 model;
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
        GPT2Config cfg;
        if (config.equals("gpt2")) {
            cfg = GPT2Config.gpt2Small();
            batch = 4;
            seq = 64;
        } else {
            cfg = GPT2Config.of(50257, 256, 256, 4, 4);
            batch = 8;
            seq = 128;
        }
        model = GPT2.randomInit(cfg, 1, 0.02f);
        opt = AdamW.withDefaults(model.optimizerSlices(GPT2.decayMatricesOnly()), 0.01f);
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
        model.backward();
        opt.clipGradNorm(1.0);
        opt.step(1e-4f);
        t.tokens += (long) batch * seq;
        return loss;
    }
}
