package dev.finetune.bench;

import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.MatVec;
import dev.finetune.kernel.Parallel;
import dev.finetune.kernel.WeightMatrix;
import dev.finetune.kernel.WeightType;
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
 * The decode step's matrix-vector product on each weight storage, split across the library's pool, as
 * bytes of weights streamed per second in the {@code bytes} counter (divide by 1e9 for GB/s), beside
 * {@code readBandwidth}, a plain streaming sum over as many bytes: the machine's read bandwidth, what a
 * batch-1 decoder is bound by. Shape {@code 50257x768} is GPT-2's vocabulary head (far larger than the
 * caches in every dtype); {@code f32t} is an F32 weight stored [in, out] (GPT-2's Conv1D, as the trainable
 * model's decoder reads it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class MatVecBench {
    @Param({"50257x768"})
    public String shape;

    @Param({"f32", "f32t", "bf16", "f16", "q8_0"})
    public String dtype;

    private WeightMatrix w;
    private float[] x;
    private float[] y;
    private float[] stream;

    /** Weight bytes streamed, as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public double bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Setup
    public void setUp() {
        String[] s = shape.split("x");
        int rows = Integer.parseInt(s[0]);
        int cols = Integer.parseInt(s[1]);
        Random r = new Random(1);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextGaussian() * 0.02);
        }
        w = dtype.equals("f32t") ? WeightMatrix.f32Transposed(a, 0, cols, rows) : WeightMatrix.pack(WeightType.parse(dtype), a, 0, rows, cols);
        x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) r.nextGaussian();
        }
        y = new float[rows];
        stream = new float[(int) (w.bytes() / 4)];
        java.util.Arrays.fill(stream, 1f);
    }

    @Benchmark
    public float matVec(Bytes b) {
        MatVec.multiply(w, x, 0, y, 0);
        b.bytes += w.bytes();
        return y[0];
    }

    @Benchmark
    public float readBandwidth(Bytes b) {
        float[] sums = new float[Parallel.threads()];
        int parts = sums.length;
        Parallel.forRange(parts, 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                sums[p] = Kernels.matVec().sum(stream, (int) ((long) stream.length * p / parts), (int) ((long) stream.length * (p + 1) / parts));
            }
        });
        b.bytes += 4.0 * stream.length;
        return sums[0];
    }
}
