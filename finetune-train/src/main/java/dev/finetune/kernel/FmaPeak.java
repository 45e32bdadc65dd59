package dev.finetune.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A probe of the machine's float FMA peak as this JVM reaches it: on every thread of the library's
 * pool, twelve independent chains of vector fused multiply-adds that never touch memory (enough
 * chains to cover the FMA latency on two FMA pipes), counted as 2 flops per lane per FMA. Each chain
 * is {@code c = a·b + c}, the accumulating form the GEMM kernels use, which C2 compiles to one
 * {@code vfmadd231ps} per step; the form {@code c = c·a + b} costs a register copy per FMA and measured
 * some 40% under the machine's peak (a C loop of the same FMAs agrees with this probe, not with that one). What a
 * matmul's GFLOP/s is compared with. Only loaded when {@code jdk.incubator.vector} is present
 * ({@link Kernels#fmaPeakGflops}).
 */
final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;

    private FmaPeak() {
    }

    /**
     * The best GFLOP/s of windows of about 50 ms over about {@code seconds}, all pool threads at once; the
     * first windows also warm the JIT up (until the loop is compiled, vector code runs boxed, far slower).
     */
    static double gflops(double seconds) {
        int threads = Parallel.threads();
        long n = 1 << 14;
        double best = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        float sink = 0;
        int windows = 0;
        while (System.nanoTime() < end || windows < 10) {
            long t0 = System.nanoTime();
            sink += run(threads, n);
            double secs = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, 2.0 * S.length() * CHAINS * n * threads / secs / 1e9);
            if (secs < 0.05) {
                n *= 2;
            }
            windows++;
        }
        return sink == 42f ? best + 1e-12 : best; // keeps the sums live
    }

    private static float run(int threads, long n) {
        float[] out = new float[threads];
        Parallel.forRange(threads, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                out[t] = chains(n, t);
            }
        });
        float s = 0;
        for (float f : out) {
            s += f;
        }
        return s;
    }

    private static float chains(long n, int seed) {
        FloatVector a = FloatVector.broadcast(S, 0.999999f);
        FloatVector b = FloatVector.broadcast(S, 1e-7f * (seed + 1));
        FloatVector c0 = FloatVector.broadcast(S, 0.1f);
        FloatVector c1 = FloatVector.broadcast(S, 0.2f);
        FloatVector c2 = FloatVector.broadcast(S, 0.3f);
        FloatVector c3 = FloatVector.broadcast(S, 0.4f);
        FloatVector c4 = FloatVector.broadcast(S, 0.5f);
        FloatVector c5 = FloatVector.broadcast(S, 0.6f);
        FloatVector c6 = FloatVector.broadcast(S, 0.7f);
        FloatVector c7 = FloatVector.broadcast(S, 0.8f);
        FloatVector c8 = FloatVector.broadcast(S, 0.9f);
        FloatVector c9 = FloatVector.broadcast(S, 1.0f);
        FloatVector c10 = FloatVector.broadcast(S, 1.1f);
        FloatVector c11 = FloatVector.broadcast(S, 1.2f);
        for (long i = 0; i < n; i++) {
            c0 = a.fma(b, c0);
            c1 = a.fma(b, c1);
            c2 = a.fma(b, c2);
            c3 = a.fma(b, c3);
            c4 = a.fma(b, c4);
            c5 = a.fma(b, c5);
            c6 = a.fma(b, c6);
            c7 = a.fma(b, c7);
            c8 = a.fma(b, c8);
            c9 = a.fma(b, c9);
            c10 = a.fma(b, c10);
            c11 = a.fma(b, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
