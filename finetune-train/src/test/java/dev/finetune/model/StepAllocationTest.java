package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.finetune.lora.LoraAdapter;
import dev.finetune.optim.AdamW;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A warm training step (forward, zeroGrad, backward, clipping, AdamW) allocates no buffer: the
 * stepping thread's allocated bytes per step (the JVM's own count,
 * {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}) stay under 24 KB at two batch sizes,
 * for GPT-2 and Llama, full and LoRA, while the smallest per-step buffer the step could allocate (the
 * logits, B·T·V floats: 128 KB at B·T 32 and V 1000) is five times that. What remains is one small
 * lambda per parallel kernel call (the body handed to the pool, ~40 bytes); no buffer, no name string,
 * no boxed key.
 */
class StepAllocationTest {
    /** Bytes per step allowed: the kernel-call lambdas of a 2-layer step (a few hundred calls of ~40 bytes). */
    private static final long BOUND = 24 * 1024;

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static long bytesPerStep(CausalLM model, LoraAdapter lora, int B, int T) {
        AdamW opt = lora == null ? AdamW.withDefaults(model.optimizerSlices(CausalLM.decayMatricesOnly()), 0.01f)
                : AdamW.withDefaults(List.of(lora.slice()), 0f);
        int V = model.config().vocabSize();
        SplittableRandom r = new SplittableRandom(1);
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(V);
            targets[i] = i % 5 == 0 ? CausalLM.IGNORE_INDEX : r.nextInt(V);
        }
        Runnable step = () -> {
            model.forward(tokens, targets, B, T);
            model.zeroGrad();
            if (lora != null) {
                lora.zeroGrad();
            }
            model.backward();
            opt.clipGradNorm(1.0);
            opt.step(1e-3f);
        };
        // warm-up until the JIT's top tier has compiled the kernels (below it, Vector API code boxes every
        // vector, megabytes per step): windows of steps until one stays under the bound, for at most two
        // minutes (the compiler threads share a loaded machine's cores with everything else)
        long perStep = Long.MAX_VALUE;
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (perStep >= BOUND && System.nanoTime() < deadline) {
            int steps = 10;
            long before = allocated();
            for (int i = 0; i < steps; i++) {
                step.run();
            }
            perStep = (allocated() - before) / steps;
        }
        return perStep;
    }

    private static void check(String what, java.util.function.Supplier<CausalLM> make, boolean lora) {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported(), "this JVM does not count allocated bytes per thread");
        long[] perStep = new long[2];
        int[][] shapes = {{2, 16}, {4, 32}};
        for (int s = 0; s < 2; s++) {
            CausalLM model = make.get();
            LoraAdapter adapter = null;
            if (lora) {
                model.setAllTrainable(false);
                adapter = new LoraAdapter(model, 4, 8.0, LoraAdapter.Targets.QV.modules(model.config().family()), 2);
                model.setAdapter(adapter);
            }
            perStep[s] = bytesPerStep(model, adapter, shapes[s][0], shapes[s][1]);
        }
        assertTrue(perStep[0] < BOUND && perStep[1] < BOUND, what + ": " + perStep[0] + " and " + perStep[1]
                + " bytes allocated per step (B x T = 32 and 128), bound " + BOUND);
    }

    @Test
    void aGpt2StepAllocatesNoBuffers() {
        check("GPT-2 full", () -> GPT2.randomInit(GPT2Config.of(1000, 32, 32, 2, 2), 1, 0.02f), false);
    }

    @Test
    void aGpt2LoraStepAllocatesNoBuffers() {
        check("GPT-2 LoRA", () -> GPT2.randomInit(GPT2Config.of(1000, 32, 32, 2, 2), 1, 0.02f), true);
    }

    @Test
    void aLlamaStepAllocatesNoBuffers() {
        check("Llama full", () -> Llama.randomInit(LlamaConfig.of(1000, 32, 32, 48, 2, 4, 2), 1, 0.02f), false);
    }

    @Test
    void aLlamaLoraStepAllocatesNoBuffers() {
        check("Llama LoRA", () -> Llama.randomInit(LlamaConfig.of(1000, 32, 32, 48, 2, 4, 2), 1, 0.02f), true);
    }
}
