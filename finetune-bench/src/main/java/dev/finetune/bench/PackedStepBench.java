package dev.finetune.bench;

import dev.finetune.batching.Packing;
import dev.finetune.model.CausalLM;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.optim.AdamW;
import java.util.Arrays;
import java.util.SplittableRandom;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training step on base-light's shape (4 layers, 256 channels, 4 heads, vocabulary 4096, context 256)
 * over one batch of 16 examples whose lengths spread like a chat dataset's (log-normal, median 60, cut at
 * the context), laid out {@code padded} (every example a row of the longest, T 256, as before packing) or
 * {@code packed} ({@link Packing#pack}, rows of at most the context) or {@code packedLong} (rows up to 4 × the
 * context, T·√mb as the trainer allows for mb = 16, one row per pass as the trainer runs them). The
 * {@code tokens} counter is the examples' own tokens, so the
 * two rates compare work users wait for; {@code padding_share} of each layout is printed at set-up.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
public class PackedStepBench {
    private static final Logger LOG = LoggerFactory.getLogger(PackedStepBench.class);

    @Param({"padded", "packed", "packedLong"})
    public String layout;

    private GPT2 model;
    private AdamW opt;
    private int[] tokens;
    private int[] targets;
    private int[] positions;
    private Packing.Layout lay;
    private int per;

    /** The examples' tokens trained, as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Tokens {
        public long tokens;

        @Setup(Level.Iteration)
        public void reset() {
            tokens = 0;
        }
    }

    @Setup
    public void setUp() {
        GPT2Config cfg = GPT2Config.of(4096, 256, 256, 4, 4);
        model = GPT2.randomInit(cfg, 1, 0.02f);
        opt = AdamW.withDefaults(model.optimizerSlices(GPT2.decayMatricesOnly()), 0.01f);
        SplittableRandom r = new SplittableRandom(5);
        int[] lengths = new int[16];
        for (int i = 0; i < lengths.length; i++) {
            double g = Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
            lengths[i] = (int) Math.max(4, Math.min(256, Math.round(60 * Math.exp(0.8 * g))));
        }
        lengths[0] = 256; // the dataset's longest, which the padded layout pads every row to
        lay = layout.equals("packed") ? Packing.pack(lengths, 256) : layout.equals("packedLong") ? Packing.pack(lengths, 1024)
                : new Packing.Layout(16, 256, seq(16), new int[16], lengths);
        // passes as the trainer runs them: at most 16 rows' positions and attention weights of 256
        per = lay.rowsPerPass(16L * 256, 16L * 256 * 256);
        int n = (int) lay.slots();
        tokens = new int[n];
        targets = new int[n];
        Arrays.fill(targets, CausalLM.IGNORE_INDEX);
        for (int i = 0; i < lengths.length; i++) {
            int at = lay.row()[i] * lay.T() + lay.offset()[i];
            for (int j = 0; j < lengths[i]; j++) {
                tokens[at + j] = r.nextInt(cfg.vocabSize());
                targets[at + j] = r.nextInt(cfg.vocabSize());
            }
        }
        positions = new int[n];
        lay.positions(positions);
        LOG.info("layout {}: {}, padding_share {}, rows per pass {}", layout, lay, lay.paddingShare(), per);
    }

    private static int[] seq(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        return o;
    }

    @Benchmark
    public float step(Tokens t) {
        boolean packed = !layout.equals("padded");
        int T = lay.T();
        int valid = 0;
        for (int x : targets) {
            valid += x == CausalLM.IGNORE_INDEX ? 0 : 1;
        }
        model.zeroGrad();
        float loss = 0;
        for (int r0 = 0; r0 < lay.rows(); r0 += per) {
            int rows = Math.min(per, lay.rows() - r0);
            int from = r0 * T;
            int to = from + rows * T;
            loss += model.forward(Arrays.copyOfRange(tokens, from, to), Arrays.copyOfRange(targets, from, to),
                    packed ? Arrays.copyOfRange(positions, from, to) : null, rows, T);
            model.backward(valid);
        }
        opt.clipGradNorm(1.0);
        opt.step(1e-4f);
        t.tokens += lay.used();
        return loss;
    }
}
