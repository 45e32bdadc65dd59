package dev.finetune.kernel;

import java.util.EnumMap;
import java.util.Map;

/**
 * Optional phase timers for a training step: where the time of forward, backward and the optimizer
 * goes (the matmuls, by direction, the vocabulary product apart, cross-entropy, norms, activations,
 * attention, AdamW, copies, LoRA). Off by default; then {@link #start()} returns 0 and
 * {@link #stop} does nothing, so the instrumented code pays one static read per layer call.
 *
 * <p>Meant for one driving thread (the one that runs the step; the kernels it calls parallelise
 * inside a phase, which is timed as a whole from the driver). {@link #enable} before the steps,
 * {@link #snapshot} after them. Phases do not nest: each instrumented call is inside exactly one.
 */
public final class StepProfile {
    /** The phases of a step, in the order a report lists them. */
    public enum Phase {
        MATMUL_FORWARD("matmul forward (x.W)"),
        MATMUL_BACKWARD_INPUT("matmul backward dX"),
        MATMUL_BACKWARD_WEIGHT("matmul backward dW"),
        HEAD_FORWARD("vocab matmul forward (logits)"),
        HEAD_BACKWARD_INPUT("vocab matmul backward dX"),
        HEAD_BACKWARD_WEIGHT("vocab matmul backward dW"),
        CROSS_ENTROPY("cross-entropy (softmax, loss, dlogits)"),
        NORM("layernorm/RMSNorm fwd+bwd"),
        ACTIVATION("GELU/SwiGLU fwd+bwd"),
        ATTENTION("attention fwd+bwd"),
        ROPE("RoPE fwd+bwd"),
        RESIDUAL_EMBEDDING("residual, embedding, bias grads"),
        COPIES("zero-fills and copies"),
        LORA("LoRA adapter fwd+bwd"),
        ZERO_GRAD("zeroGrad"),
        CLIP("gradient norm and clipping"),
        ADAMW("AdamW update");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** Whether the phase is matrix multiplication (the rest is what a step spends outside it). */
        public boolean isMatmul() {
            return ordinal() <= HEAD_BACKWARD_WEIGHT.ordinal();
        }
    }

    /** Time and floating-point operations of one phase. */
    public record Totals(long nanos, long calls, double flops) {
    }

    private static final Phase[] PHASES = Phase.values();
    private static boolean enabled;
    private static final long[] NANOS = new long[PHASES.length];
    private static final long[] CALLS = new long[PHASES.length];
    private static final double[] FLOPS = new double[PHASES.length];

    private StepProfile() {
    }

    /** Turns the timers on or off (and clears them). */
    public static synchronized void enable(boolean on) {
        reset();
        enabled = on;
    }

    public static boolean enabled() {
        return enabled;
    }

    /** Clears every total. */
    public static synchronized void reset() {
        java.util.Arrays.fill(NANOS, 0);
        java.util.Arrays.fill(CALLS, 0);
        java.util.Arrays.fill(FLOPS, 0);
    }

    /** A start time for {@link #stop}, or 0 when the timers are off. */
    public static long start() {
        return enabled ? System.nanoTime() : 0L;
    }

    /** Adds the time since {@code t0} (from {@link #start()}) to {@code phase}; nothing when t0 is 0. */
    public static void stop(Phase phase, long t0) {
        if (t0 != 0) {
            int i = phase.ordinal();
            NANOS[i] += System.nanoTime() - t0;
            CALLS[i]++;
        }
    }

    /** As {@link #stop(Phase, long)}, counting {@code flops} floating-point operations done in the phase. */
    public static void stop(Phase phase, long t0, double flops) {
        if (t0 != 0) {
            int i = phase.ordinal();
            NANOS[i] += System.nanoTime() - t0;
            CALLS[i]++;
            FLOPS[i] += flops;
        }
    }

    /** The totals since the last reset, per phase (phases never entered are left out). */
    public static synchronized Map<Phase, Totals> snapshot() {
        Map<Phase, Totals> m = new EnumMap<>(Phase.class);
        for (Phase p : PHASES) {
            int i = p.ordinal();
            if (CALLS[i] > 0) {
                m.put(p, new Totals(NANOS[i], CALLS[i], FLOPS[i]));
            }
        }
        return m;
    }
}
