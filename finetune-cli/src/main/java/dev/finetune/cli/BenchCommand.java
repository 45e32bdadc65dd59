package dev.finetune.cli;

import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.Parallel;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.optim.AdamW;
import java.io.PrintWriter;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code finetune bench ...}: quick speed measurements (JMH in finetune-bench for the careful ones). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure training and decoding speed.",
        subcommands = {BenchCommand.TrainStep.class, BenchGenerateCommand.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * A random-initialized model, warm-up steps, then timed steps of forward, backward, gradient
     * clipping and AdamW on random tokens; the last line is {@code tokens_per_second=<number>}.
     */
    @Command(name = "train-step", mixinStandardHelpOptions = true,
            description = "Time full training steps (forward, backward, AdamW) on a random GPT-2 of the given shape.")
    static final class TrainStep implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--layers", defaultValue = "4", description = "n_layer (default ${DEFAULT-VALUE})") int layers;
        @Option(names = "--heads", defaultValue = "4", description = "n_head (default ${DEFAULT-VALUE})") int heads;
        @Option(names = "--channels", defaultValue = "256", description = "n_embd (default ${DEFAULT-VALUE})") int channels;
        @Option(names = "--vocab", defaultValue = "50257", description = "vocab_size (default ${DEFAULT-VALUE})") int vocab;
        @Option(names = "--ctx", defaultValue = "256", description = "n_positions (default ${DEFAULT-VALUE})") int ctx;
        @Option(names = "--batch", defaultValue = "8", description = "sequences per step (default ${DEFAULT-VALUE})") int batch;
        @Option(names = "--seq", defaultValue = "128", description = "tokens per sequence, at most --ctx (default ${DEFAULT-VALUE})") int seq;
        @Option(names = "--steps", defaultValue = "10", description = "timed steps (default ${DEFAULT-VALUE})") int steps;
        @Option(names = "--warmup", defaultValue = "2", description = "untimed steps first (default ${DEFAULT-VALUE})") int warmup;
        @Option(names = "--threads", description = "kernel threads (sets finetune.threads; must come before first use; default: all cores)")
        Integer threads;

        @Override
        public Integer call() {
            if (threads != null) {
                System.setProperty("finetune.threads", Integer.toString(threads));
            }
            if (seq > ctx) {
                throw new ParameterException(spec.commandLine(), "--seq " + seq + " exceeds --ctx " + ctx);
            }
            PrintWriter out = spec.commandLine().getOut();
            GPT2Config cfg = GPT2Config.of(vocab, ctx, channels, layers, heads);
            out.printf("model: layers=%d heads=%d channels=%d vocab=%d ctx=%d (%,d weights); batch %d x %d; %d threads; %s%n",
                    layers, heads, channels, vocab, ctx, cfg.parameterCount(), batch, seq, Parallel.threads(),
                    Kernels.gemm().getClass().getSimpleName());
            out.flush();
            GPT2 model = GPT2.randomInit(cfg, 1, 0.02f);
            AdamW opt = AdamW.withDefaults(model.optimizerSlices(GPT2.decayMatricesOnly()), 0.01f);
            SplittableRandom rnd = new SplittableRandom(7);
            int[] tokens = new int[batch * seq];
            int[] targets = new int[batch * seq];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = rnd.nextInt(vocab);
                targets[i] = rnd.nextInt(vocab);
            }
            for (int s = 0; s < warmup; s++) {
                step(model, opt, tokens, targets);
            }
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                long ts = System.nanoTime();
                float loss = step(model, opt, tokens, targets);
                double secs = (System.nanoTime() - ts) / 1e9;
                out.printf("step %d: loss %.4f, %.3f s, %.0f tokens/s%n", s + 1, loss, secs, batch * seq / secs);
                out.flush();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            out.printf("tokens_per_second=%.1f%n", (double) steps * batch * seq / secs);
            out.flush();
            return 0;
        }

        private float step(GPT2 model, AdamW opt, int[] tokens, int[] targets) {
            float loss = model.forward(tokens, targets, batch, seq);
            model.zeroGrad();
            model.backward();
            opt.clipGradNorm(1.0);
            opt.step(1e-4f);
            return loss;
        }
    }
}
