package dev.finetune.cli;

import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.Parallel;
import dev.finetune.kernel.StepProfile;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.CausalLM;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.model.Llama;
import dev.finetune.model.LlamaConfig;
import dev.finetune.optim.AdamW;
import java.io.PrintWriter;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code finetune bench ...}: quick speed measurements (JMH in finetune-bench for the careful ones). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure training and decoding speed.",
        subcommands = {BenchCommand.TrainStep.class, BenchGenerateCommand.class, BenchCommand.FmaPeakCommand.class,
                BenchBandwidthCommand.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The model families the benches build, with the options that shape them. */
    static CausalLM randomModel(String family, int layers, int heads, int kvHeads, int hidden, int intermediate, int vocab,
                                int ctx, long seed) {
        return switch (family) {
            case "gpt2" -> GPT2.randomInit(GPT2Config.of(vocab, ctx, hidden, layers, heads), seed, 0.02f);
            case "llama" -> Llama.randomInit(LlamaConfig.of(vocab, ctx, hidden, intermediate <= 0 ? 4 * hidden : intermediate,
                    layers, heads, kvHeads <= 0 ? heads : kvHeads), seed, 0.02f);
            default -> throw new IllegalArgumentException("--family " + family + " is not known (gpt2, llama)");
        };
    }

    /** "layers=.. heads=.. ..." for the first output line. */
    static String describe(CausalLM m) {
        if (m.config() instanceof LlamaConfig c) {
            return String.format("family=llama layers=%d hidden=%d heads=%d kv-heads=%d head_dim=%d intermediate=%d vocab=%d ctx=%d (%,d weights)",
                    c.layers(), c.hiddenSize(), c.heads(), c.kvHeads(), c.headDim(), c.intermediateSize(), c.vocabSize(),
                    c.maxSeqLen(), c.parameterCount());
        }
        GPT2Config c = (GPT2Config) m.config();
        return String.format("family=gpt2 layers=%d heads=%d channels=%d vocab=%d ctx=%d (%,d weights)", c.layers(), c.heads(),
                c.channels(), c.vocabSize(), c.maxSeqLen(), c.parameterCount());
    }

    /** The machine's float FMA peak as this JVM reaches it: the bar matmul GFLOP/s is compared with. */
    @Command(name = "fma-peak", mixinStandardHelpOptions = true,
            description = "Measure the float FMA peak (GFLOP/s, all kernel threads, Vector API) that matmul speed is compared with.")
    static final class FmaPeakCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seconds", defaultValue = "2", description = "how long to measure (default ${DEFAULT-VALUE})") double seconds;
        @Option(names = "--threads", description = "kernel threads (sets finetune.threads; default: all cores)") Integer threads;

        @Override
        public Integer call() {
            if (threads != null) {
                System.setProperty("finetune.threads", Integer.toString(threads));
            }
            PrintWriter out = spec.commandLine().getOut();
            java.util.OptionalDouble peak = Kernels.fmaPeakGflops(seconds);
            if (peak.isEmpty()) {
                spec.commandLine().getErr().println("the FMA probe needs the Vector API: run java with --add-modules jdk.incubator.vector");
                return 1;
            }
            out.printf("fma_peak_gflops=%.1f (%d threads)%n", peak.getAsDouble(), Parallel.threads());
            out.flush();
            return 0;
        }
    }

    /**
     * A random-initialized model, warm-up steps, then timed steps of forward, backward, gradient
     * clipping and AdamW on random tokens; the last line is {@code tokens_per_second=<number>}.
     */
    @Command(name = "train-step", mixinStandardHelpOptions = true,
            description = "Time training steps (forward, backward, AdamW; full or LoRA on q/v) on a random model of the given shape.")
    static final class TrainStep implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--family", defaultValue = "gpt2", description = "model family: gpt2 or llama (default ${DEFAULT-VALUE})") String family;
        @Option(names = "--layers", defaultValue = "4", description = "decoder blocks (default ${DEFAULT-VALUE})") int layers;
        @Option(names = "--heads", defaultValue = "4", description = "attention heads (default ${DEFAULT-VALUE})") int heads;
        @Option(names = "--kv-heads", defaultValue = "0", description = "llama: key/value heads, 0 for --heads (default ${DEFAULT-VALUE})") int kvHeads;
        @Option(names = {"--channels", "--hidden"}, defaultValue = "256", description = "hidden size (n_embd) (default ${DEFAULT-VALUE})") int channels;
        @Option(names = "--intermediate", defaultValue = "0", description = "llama: MLP width, 0 for 4 x hidden (default ${DEFAULT-VALUE})") int intermediate;
        @Option(names = "--lora-rank", defaultValue = "0",
                description = "> 0: LoRA of this rank (alpha 2r) on q/v with the base frozen (default ${DEFAULT-VALUE})") int loraRank;
        @Option(names = "--base-dtype", defaultValue = "f32",
                description = "llama with --lora-rank: f32, or bf16 to hold the frozen base's matrices in BF16, 2 bytes a weight "
                        + "(default ${DEFAULT-VALUE})") String baseDtype;
        @Option(names = "--vocab", defaultValue = "50257", description = "vocab_size (default ${DEFAULT-VALUE})") int vocab;
        @Option(names = "--ctx", defaultValue = "256", description = "context length, n_positions (default ${DEFAULT-VALUE})") int ctx;
        @Option(names = "--batch", defaultValue = "8", description = "sequences per step (default ${DEFAULT-VALUE})") int batch;
        @Option(names = "--seq", defaultValue = "128", description = "tokens per sequence, at most --ctx (default ${DEFAULT-VALUE})") int seq;
        @Option(names = "--steps", defaultValue = "10", description = "timed steps (default ${DEFAULT-VALUE})") int steps;
        @Option(names = "--warmup", defaultValue = "2", description = "untimed steps first (default ${DEFAULT-VALUE})") int warmup;
        @Option(names = "--threads", description = "kernel threads (sets finetune.threads; must come before first use; default: all cores)")
        Integer threads;
        @Option(names = "--profile", description = "also time each phase of the step (matmuls, cross-entropy, norms, activations, "
                + "attention, AdamW, copies, LoRA) and print its share")
        boolean profile;

        @Override
        public Integer call() {
            if (threads != null) {
                System.setProperty("finetune.threads", Integer.toString(threads));
            }
            if (seq > ctx) {
                throw new ParameterException(spec.commandLine(), "--seq " + seq + " exceeds --ctx " + ctx);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (!baseDtype.equals("f32") && !baseDtype.equals("bf16")) {
                throw new ParameterException(spec.commandLine(), "--base-dtype " + baseDtype + " is not known (f32, bf16)");
            }
            boolean bf16Base = baseDtype.equals("bf16");
            if (bf16Base && (!family.equals("llama") || loraRank <= 0)) {
                throw new ParameterException(spec.commandLine(), "--base-dtype bf16 needs --family llama and --lora-rank > 0 "
                        + "(a BF16 base is held frozen)");
            }
            CausalLM model = randomModel(family, layers, heads, kvHeads, channels, intermediate, vocab, ctx, 1);
            if (bf16Base) {
                model = ((Llama) model).toFrozenBf16();
            }
            AdamW opt;
            LoraAdapter lora = null;
            if (loraRank > 0) {
                model.setAllTrainable(false);
                lora = new LoraAdapter(model, loraRank, 2.0 * loraRank, LoraAdapter.Targets.QV.modules(model.config().family()), 3);
                model.setAdapter(lora);
                opt = AdamW.withDefaults(List.of(lora.slice()), 0.01f);
            } else {
                opt = AdamW.withDefaults(model.optimizerSlices(CausalLM.decayMatricesOnly()), 0.01f);
            }
            out.printf("model: %s; batch %d x %d; %s; %d threads; %s%n", describe(model), batch, seq,
                    loraRank > 0 ? "LoRA rank " + loraRank + " on " + lora.targetModules() + (bf16Base ? ", base frozen in BF16" : "")
                            : "full fine-tuning",
                    Parallel.threads(), Kernels.gemm().getClass().getSimpleName());
            out.flush();
            SplittableRandom rnd = new SplittableRandom(7);
            int[] tokens = new int[batch * seq];
            int[] targets = new int[batch * seq];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = rnd.nextInt(vocab);
                targets[i] = rnd.nextInt(vocab);
            }
            for (int s = 0; s < warmup; s++) {
                step(model, lora, opt, tokens, targets);
            }
            HeapWatch heap = new HeapWatch();
            StepProfile.enable(profile);
            long allocated = HeapWatch.threadAllocatedBytes();
            long allocatedAll = HeapWatch.allThreadsAllocatedBytes();
            long cpu0 = HeapWatch.processCpuNanos();
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                long ts = System.nanoTime();
                float loss = step(model, lora, opt, tokens, targets);
                double secs = (System.nanoTime() - ts) / 1e9;
                out.printf("step %d: loss %.4f, %.3f s, %.0f tokens/s%n", s + 1, loss, secs, batch * seq / secs);
                out.flush();
            }
            long nanos = System.nanoTime() - t0;
            long cpu = HeapWatch.processCpuNanos() - cpu0;
            allocated = HeapWatch.threadAllocatedBytes() - allocated;
            allocatedAll = HeapWatch.allThreadsAllocatedBytes() - allocatedAll;
            java.util.Map<StepProfile.Phase, StepProfile.Totals> phases = StepProfile.snapshot();
            StepProfile.enable(false);
            if (profile) {
                printProfile(out, phases, nanos, steps);
            }
            out.printf("memory: peak heap %.0f MB (sum of the heap pools' peaks since the timed steps began), live after GC %.0f MB, "
                    + "max %.0f MB; allocated per step: %s by the stepping thread, %s by all threads%n", heap.peakMb(),
                    HeapWatch.liveMbAfterGc(), Runtime.getRuntime().maxMemory() / 1e6,
                    allocated < 0 ? "(unknown)" : allocated / steps + " bytes", allocatedAll < 0 ? "(unknown)" : allocatedAll / steps + " bytes");
            double secs = nanos / 1e9;
            if (cpu0 >= 0) {
                // on a machine shared with other work, the CPU time the steps got says what they cost
                out.printf("cpu: the process used %.1f CPU-seconds over the timed steps (%.2f cores busy on average): "
                        + "%.1f tokens per CPU-second%n", cpu / 1e9, cpu / (double) nanos, (double) steps * batch * seq / (cpu / 1e9));
            }
            out.printf("tokens_per_second=%.1f%n", (double) steps * batch * seq / secs);
            out.flush();
            return 0;
        }

        /** The per-phase table: time per step, share of the step, GFLOP/s of the matmul phases. */
        private static void printProfile(PrintWriter out, java.util.Map<StepProfile.Phase, StepProfile.Totals> phases,
                                         long nanos, int steps) {
            out.printf("profile (per step; %s of the step's time is timed by phases, the rest is \"other\"):%n",
                    "the phases below sum to " + String.format("%.1f%%", 100.0 * phases.values().stream()
                            .mapToLong(StepProfile.Totals::nanos).sum() / nanos));
            long matmul = 0;
            long timed = 0;
            double flops = 0;
            for (var e : phases.entrySet()) {
                StepProfile.Totals t = e.getValue();
                timed += t.nanos();
                if (e.getKey().isMatmul()) {
                    matmul += t.nanos();
                    flops += t.flops();
                }
                String rate = t.flops() > 0 ? String.format("  %6.1f GFLOP/s", t.flops() / t.nanos()) : "";
                out.printf("  %-40s %9.1f ms  %5.1f%%%s%n", e.getKey().label(), t.nanos() / 1e6 / steps, 100.0 * t.nanos() / nanos,
                        rate);
            }
            out.printf("  %-40s %9.1f ms  %5.1f%%%n", "other (untimed)", (nanos - timed) / 1e6 / steps, 100.0 * (nanos - timed) / nanos);
            double gflops = flops / Math.max(1, matmul);
            out.printf("  matmul %.1f%% of the step at %.1f GFLOP/s; outside matmul %.1f%% (%.1f ms per step)%n",
                    100.0 * matmul / nanos, gflops, 100.0 * (nanos - matmul) / nanos, (nanos - matmul) / 1e6 / steps);
            java.util.OptionalDouble peak = Kernels.fmaPeakGflops(1.0);
            if (peak.isPresent()) {
                out.printf("  FMA peak measured now: %.1f GFLOP/s (%d threads); the step's matmuls reach %.0f%% of it%n",
                        peak.getAsDouble(), Parallel.threads(), 100 * gflops / peak.getAsDouble());
            }
        }

        private float step(CausalLM model, LoraAdapter lora, AdamW opt, int[] tokens, int[] targets) {
            float loss = model.forward(tokens, targets, batch, seq);
            model.zeroGrad();
            if (lora != null) {
                lora.zeroGrad();
            }
            model.backward();
            opt.clipGradNorm(1.0);
            opt.step(1e-4f);
            return loss;
        }
    }
}
