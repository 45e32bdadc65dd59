package dev.finetune.cli;

import dev.finetune.inference.Generator;
import dev.finetune.inference.Sampler;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code finetune bench generate}: decoding speed with the KV cache on a random-initialized model.
 * Greedy decoding of {@code --tokens} tokens after a one-token prompt, repeated {@code --runs} times
 * after one warm-up run; the last line is {@code tokens_per_second=<number>} (the best run).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Measure KV-cached decoding speed (tokens/s) on a random GPT-2 of the given shape.")
public final class BenchGenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--layers", defaultValue = "12", description = "n_layer (default ${DEFAULT-VALUE})")
    int layers;
    @Option(names = "--heads", defaultValue = "12", description = "n_head (default ${DEFAULT-VALUE})")
    int heads;
    @Option(names = "--channels", defaultValue = "768", description = "n_embd (default ${DEFAULT-VALUE})")
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

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (tokens < 1 || tokens >= ctx) {
            throw new ParameterException(spec.commandLine(), "--tokens must be in 1.." + (ctx - 1) + " (below --ctx), got " + tokens);
        }
        if (runs < 1) {
            throw new ParameterException(spec.commandLine(), "--runs must be at least 1, got " + runs);
        }
        GPT2Config cfg = GPT2Config.of(vocab, ctx, channels, layers, heads);
        out.printf("model: layers=%d heads=%d channels=%d vocab=%d ctx=%d (%,d weights)%n", layers, heads, channels,
                vocab, ctx, cfg.parameterCount());
        out.flush();
        GPT2 model = GPT2.randomInit(cfg, seed, 0.02f);
        Generator g = new Generator(model);
        int[] prompt = {0};
        g.generate(prompt, tokens, Sampler.greedy(), -1, null);
        double best = 0;
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            Generator.Result res = g.generate(prompt, tokens, Sampler.greedy(), -1, null);
            double secs = (System.nanoTime() - t0) / 1e9;
            double tps = res.tokens().length / secs;
            best = Math.max(best, tps);
            out.printf("run %d: %d tokens in %.3f s, %.1f tokens/s%n", r + 1, res.tokens().length, secs, tps);
            out.flush();
        }
        out.printf("tokens_per_second=%.1f%n", best);
        out.flush();
        return 0;
    }
}
