package dev.finetune.cli;

import dev.finetune.kernel.Kernels;
import dev.finetune.kernel.MatVecKernel;
import dev.finetune.kernel.Parallel;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code finetune bench bandwidth}: the machine's memory read bandwidth, what batch-1 decoding is bound
 * by. Streams an array much larger than the caches ({@code --mb}) once per run, summing it (the
 * {@link MatVecKernel#sum} loop: loads and adds, nothing else), split into contiguous parts across the
 * library's pool, then on one thread; the best run of each. The last line is {@code read_gb_per_second=N}
 * (all threads).
 */
@Command(name = "bandwidth", mixinStandardHelpOptions = true,
        description = "Measure the memory read bandwidth (GB/s) by streaming a large array on all kernel threads, then on one.")
public final class BenchBandwidthCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--mb", defaultValue = "512", description = "array size in MB, far above the last-level cache (default ${DEFAULT-VALUE})")
    int mb;
    @Option(names = "--runs", defaultValue = "10", description = "timed passes over the array (default ${DEFAULT-VALUE})")
    int runs;
    @Option(names = "--threads", description = "kernel threads (sets finetune.threads; default: all cores)")
    Integer threads;

    @Override
    public Integer call() {
        if (threads != null) {
            System.setProperty("finetune.threads", Integer.toString(threads));
        }
        if (mb < 1 || mb > 8000 || runs < 1) {
            throw new ParameterException(spec.commandLine(), "--mb must be in 1..8000 and --runs at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        MatVecKernel k = Kernels.matVec();
        int n = (int) Math.min(Integer.MAX_VALUE - 8L, (long) mb * (1 << 20) / 4);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (i & 7) * 0.125f;
        }
        int pool = Parallel.threads();
        out.printf("array: %d MB; %s; %d threads%n", 4L * n >> 20, k.getClass().getSimpleName(), pool);
        out.flush();
        double all = best(out, k, a, pool);
        double one = best(out, k, a, 1);
        out.printf("read_gb_per_second_1_thread=%.1f%n", one);
        out.printf("read_gb_per_second=%.1f%n", all);
        out.flush();
        return 0;
    }

    private double best(PrintWriter out, MatVecKernel k, float[] a, int parts) {
        float[] sums = new float[parts];
        double best = 0;
        for (int r = 0; r <= runs; r++) {
            long t0 = System.nanoTime();
            Parallel.forRange(parts, 1, (p0, p1) -> {
                for (int p = p0; p < p1; p++) {
                    int from = (int) ((long) a.length * p / parts);
                    int to = (int) ((long) a.length * (p + 1) / parts);
                    sums[p] += k.sum(a, from, to);
                }
            });
            double gbps = 4.0 * a.length / ((System.nanoTime() - t0) / 1e9) / 1e9;
            if (r > 0) { // the first pass warms up the JIT
                best = Math.max(best, gbps);
            }
        }
        float check = 0;
        for (float s : sums) {
            check += s;
        }
        out.printf("%d thread%s: best %.1f GB/s over %d runs (checksum %.3g)%n", parts, parts == 1 ? "" : "s", best, runs, check);
        out.flush();
        return best;
    }
}
