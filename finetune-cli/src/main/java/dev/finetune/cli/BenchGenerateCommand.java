package dev.finetune.cli;

import dev.finetune.inference.Generator;
import dev.finetune.inference.Sampler;
import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.Parallel;
import dev.finetune.kernel.WeightType;
import dev.finetune.model.CausalLM;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.InferenceModel;
import dev.finetune.model.Llama;
import dev.finetune.model.LlamaCheckpoint;
import dev.finetune.safetensors.DType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code finetune bench generate}: decoding speed with the KV cache. A random-initialized model of the
 * given shape is saved to a temporary folder in the {@code --stored} dtype and loaded back the way serving
 * loads it ({@link InferenceModel#load}, matrices in {@code --dtype}), or {@code --model DIR} is loaded;
 * then greedy decoding of {@code --tokens} tokens after a one-token prompt, repeated {@code --runs} times
 * after one warm-up run. Reports the weight bandwidth reached (bytes of the matrices one token reads,
 * times tokens/s) and the heap that loading and decoding took; the last line is
 * {@code tokens_per_second=<number>} (the best run).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Measure KV-cached decoding speed (tokens/s) on a random model of the given shape (--family gpt2 or llama) "
                + "or on a model folder (--model), its weights in --dtype.")
public final class BenchGenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--family", defaultValue = "gpt2", description = "gpt2 or llama (default ${DEFAULT-VALUE})")
    String family;
    @Option(names = "--kv-heads", defaultValue = "0", description = "llama: key/value heads, 0 for --heads (default ${DEFAULT-VALUE})")
    int kvHeads;
    @Option(names = "--intermediate", defaultValue = "0", description = "llama: MLP width, 0 for 4 x hidden (default ${DEFAULT-VALUE})")
    int intermediate;
    @Option(names = "--layers", defaultValue = "12", description = "n_layer (default ${DEFAULT-VALUE})")
    int layers;
    @Option(names = "--heads", defaultValue = "12", description = "n_head (default ${DEFAULT-VALUE})")
    int heads;
    @Option(names = {"--channels", "--hidden"}, defaultValue = "768", description = "n_embd / hidden_size (default ${DEFAULT-VALUE})")
    int channels;
    @Option(names = "--vocab", defaultValue = "50257", description = "vocab_size (default ${DEFAULT-VALUE})")
    int vocab;
    @Option(names = "--ctx", defaultValue = "1024", description = "n_positions (default ${DEFAULT-VALUE})")
    int ctx;
    @Option(names = "--tokens", defaultValue = "128", description = "tokens to generate per run (default ${DEFAULT-VALUE})")
    int tokens;
    @Option(names = "--runs", defaultValue = "3", description = "timed runs after one warm-up (default ${DEFAULT-VALUE})")
    int runs;
    @Option(names = "--seed", defaultValue = "1", description = "weight initialization seed (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--dtype", defaultValue = "f32",
            description = "how the decoder keeps the weight matrices: f32, bf16, f16 or q8_0 (weight-only int8, blocks of 32) "
                    + "(default ${DEFAULT-VALUE})")
    String dtype;
    @Option(names = "--stored",
            description = "dtype the random model is saved in before loading: f32, bf16 or f16 (default: --dtype for bf16/f16, else f32)")
    String stored;
    @Option(names = "--model", description = "decode this HuggingFace model folder instead of a random model (shape options ignored)")
    Path model;
    @Option(names = "--threads", description = "kernel threads (sets finetune.threads; default: all cores)")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        if (threads != null) {
            System.setProperty("finetune.threads", Integer.toString(threads));
        }
        PrintWriter out = spec.commandLine().getOut();
        WeightType type = parse("--dtype", dtype);
        DType storedType = storedType(type);
        if (runs < 1) {
            throw new ParameterException(spec.commandLine(), "--runs must be at least 1, got " + runs);
        }
        Path tmp = null;
        Path dir = model;
        if (dir == null) {
            if (tokens < 1 || tokens >= ctx) {
                throw new ParameterException(spec.commandLine(), "--tokens must be in 1.." + (ctx - 1) + " (below --ctx), got " + tokens);
            }
            CausalLM random = BenchCommand.randomModel(family, layers, heads, kvHeads, channels, intermediate, vocab, ctx, seed);
            out.printf("model: %s%n", BenchCommand.describe(random));
            out.flush();
            tmp = Files.createTempDirectory("finetune-bench-generate");
            long t0 = System.nanoTime();
            if (random instanceof GPT2 g) {
                GPT2Checkpoint.save(g, tmp, storedType);
            } else {
                LlamaCheckpoint.save((Llama) random, tmp, storedType);
            }
            out.printf("saved as %s to a temporary folder (%d MB) in %.1f s%n", storedType,
                    Files.size(tmp.resolve("model.safetensors")) >> 20, (System.nanoTime() - t0) / 1e9);
            out.flush();
            dir = tmp;
        }
        try {
            return decode(out, dir, type);
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
    }

    private int decode(PrintWriter out, Path dir, WeightType type) {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
        long t0 = System.nanoTime();
        InferenceModel m = InferenceModel.load(dir, type);
        double loadSecs = (System.nanoTime() - t0) / 1e9;
        int ctxLen = m.config().maxSeqLen();
        if (tokens < 1 || tokens >= ctxLen) {
            throw new ParameterException(spec.commandLine(), "--tokens must be in 1.." + (ctxLen - 1) + " (below the model's context), got "
                    + tokens);
        }
        long streamed = m.streamedBytesPerToken();
        out.printf("weights: %s, %.1f MB in memory (%.1f MB of matrices read per token), loaded in %.1f s; %s, %d threads%n",
                m.types(), m.weightBytes() / 1e6, streamed / 1e6, loadSecs, Kernels.matVec().getClass().getSimpleName(),
                Parallel.threads());
        out.flush();
        Generator g = new Generator(m);
        int[] prompt = {0};
        g.generate(prompt, tokens, Sampler.greedy(), -1, null);
        double best = 0;
        for (int r = 0; r < runs; r++) {
            long ts = System.nanoTime();
            Generator.Result res = g.generate(prompt, tokens, Sampler.greedy(), -1, null);
            double secs = (System.nanoTime() - ts) / 1e9;
            double tps = res.tokens().length / secs;
            best = Math.max(best, tps);
            out.printf("run %d: %d tokens in %.3f s, %.1f tokens/s, %.1f GB/s of weights%n", r + 1, res.tokens().length, secs, tps,
                    tps * streamed / 1e9);
            out.flush();
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.gc();
        long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        out.printf("heap: peak %.0f MB while loading and decoding (sum of the heap pools' peaks, an upper bound), "
                + "%.0f MB live after decoding, max %.0f MB%n", peak / 1e6, live / 1e6, Runtime.getRuntime().maxMemory() / 1e6);
        out.printf("peak_heap_mb=%.0f%n", peak / 1e6);
        out.printf("weights_gb_per_second=%.1f%n", best * streamed / 1e9);
        out.printf("tokens_per_second=%.1f%n", best);
        out.flush();
        java.lang.ref.Reference.reachabilityFence(m); // the live figure above includes the weights
        return 0;
    }

    private WeightType parse(String option, String value) {
        try {
            return WeightType.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
    }

    private DType storedType(WeightType type) {
        String s = stored != null ? stored : switch (type) {
            case BF16 -> "bf16";
            case F16 -> "f16";
            default -> "f32";
        };
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new ParameterException(spec.commandLine(), "--stored " + s + " is not one of f32, bf16, f16");
        };
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
