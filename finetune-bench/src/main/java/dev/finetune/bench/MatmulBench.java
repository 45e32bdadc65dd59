package dev.finetune.bench;

import dev.finetune.kernel.BlockedGemm;
import dev.finetune.kernel.Gemm;
import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.NaiveGemm;
import java.util.Random;
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
 * Matmul in the shapes of a GPT-2 training step, as GFLOP/s in the {@code flops} counter (divide by
 * 1e9): {@code forward} out (M,N) = inp (M,K) · W (K,N); {@code backwardInput} dinp (M,K) = dout (M,N) ·
 * Wᵀ; {@code backwardWeight} dW (K,N) += inpᵀ · dout. Shapes {@code MxKxN}: M 256 with GPT-2's
 * K x N, and 1024³. {@code impl}: vector (Vector API), blocked (plain Java), naive (reference; slow).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class MatmulBench {
    @Param({"256x768x2304", "256x768x768", "256x768x3072", "256x3072x768", "256x768x50304", "1024x1024x1024"})
    public String shape;

    @Param({"vector", "blocked"})
    public String impl;

    private int m;
    private int k;
    private int n;
    private float[] a;
    private float[] w;
    private float[] out;
    private float[] dout;
    private float[] dinp;
    private float[] dw;
    private Gemm gemm;

    /** Floating-point operations done, as a rate (2·M·K·N per call). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double flops;

        @Setup(Level.Iteration)
        public void reset() {
            flops = 0;
        }
    }

    @Setup
    public void setUp() {
        String[] s = shape.split("x");
        m = Integer.parseInt(s[0]);
        k = Integer.parseInt(s[1]);
        n = Integer.parseInt(s[2]);
        Random r = new Random(1);
        a = fill(r, m * k);
        w = fill(r, k * n);
        dout = fill(r, m * n);
        out = new float[m * n];
        dinp = new float[m * k];
        dw = new float[k * n];
        gemm = switch (impl) {
            case "vector" -> Kernels.vectorGemm().orElseThrow(() -> new IllegalStateException("no jdk.incubator.vector"));
            case "blocked" -> new BlockedGemm();
            case "naive" -> new NaiveGemm();
            default -> throw new IllegalArgumentException(impl);
        };
    }

    private static float[] fill(Random r, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = r.nextFloat() - 0.5f;
        }
        return x;
    }

    @Benchmark
    public float forward(Flops f) {
        gemm.gemm(false, false, m, n, k, a, 0, k, w, 0, n, out, 0, n, false);
        f.flops += 2.0 * m * k * n;
        return out[0];
    }

    @Benchmark
    public float backwardInput(Flops f) {
        gemm.gemm(false, true, m, k, n, dout, 0, n, w, 0, n, dinp, 0, k, false);
        f.flops += 2.0 * m * k * n;
        return dinp[0];
    }

    @Benchmark
    public float backwardWeight(Flops f) {
        gemm.gemm(true, false, k, n, m, a, 0, k, dout, 0, n, dw, 0, n, true);
        f.flops += 2.0 * m * k * n;
        return dw[0];
    }
}
