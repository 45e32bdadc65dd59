package dev.finetune.bench;

import dev.finetune.inference.DecodeSession;
import dev.finetune.inference.Sampler;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * KV-cached decoding: one benchmark op is one new token appended at position {@code position} of a
 * session whose cache already holds that many tokens (the cost grows with the position through
 * attention). Scores are tokens/s. Configs: {@code small} (4 layers, 256 channels, GPT-2 vocabulary)
 * and {@code gpt2} (124M).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class DecodeBench {
    @Param({"small", "gpt2"})
    String config;

    @Param({"64"})
    int position;

    private DecodeSession session;
    private int next;

    @Setup
    public void setUp() {
        GPT2Config cfg = config.equals("gpt2") ? GPT2Config.gpt2Small() : GPT2Config.of(50257, 256, 256, 4, 4);
        GPT2 model = GPT2.randomInit(cfg, 1, 0.02f);
        session = new DecodeSession(model, position + 1);
        for (int i = 0; i < position; i++) {
            session.append(i % cfg.vocabSize());
        }
        next = 1;
    }

    @Benchmark
    public int decodeOneToken() {
        float[] logits = session.append(next);
        next = Sampler.argmax(logits, logits.length);
        session.truncate(position);
        return next;
    }
}
