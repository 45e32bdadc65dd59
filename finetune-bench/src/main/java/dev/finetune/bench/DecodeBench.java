package dev.finetune.bench;

import dev.finetune.inference.DecodeSession;
import dev.finetune.inference.Sampler;
import dev.finetune.kernel.WeightType;
import dev.finetune.model.CausalLM;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.model.InferenceModel;
import dev.finetune.model.Llama;
import dev.finetune.model.LlamaConfig;
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
 * {@code gpt2} (124M) and {@code smollm2_135m} (the Llama family at SmolLM2-135M's shape: 30 layers, hidden
 * 576, 9/3 heads, MLP 1536, vocabulary 49152; {@code torchllama.py decode K} on the PyTorch side).
 * {@code dtype}: the weight matrices as the decoder keeps them ({@link InferenceModel#of}): f32 (the
 * model's own floats), bf16, f16, or q8_0 (weight-only int8).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class DecodeBench {
    @Param({"small", "gpt2", "smollm2_135m"})
    String config;

    @Param({"64"})
    int position;

    @Param({"f32", "bf16", "f16", "q8_0"})
    String dtype;

    private DecodeSession session;
    private int next;

    @Setup
    public void setUp() {
        CausalLM model = switch (config) {
            case "gpt2" -> GPT2.randomInit(GPT2Config.gpt2Small(), 1, 0.02f);
            case "smollm2_135m" -> Llama.randomInit(LlamaConfig.of(49152, 256, 576, 1536, 30, 9, 3), 1, 0.02f);
            default -> GPT2.randomInit(GPT2Config.of(50257, 256, 256, 4, 4), 1, 0.02f);
        };
        session = new DecodeSession(InferenceModel.of(model, WeightType.parse(dtype)), position + 1);
        for (int i = 0; i < position; i++) {
            session.append(i % model.config().vocabSize());
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
