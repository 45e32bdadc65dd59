package dev.finetune.bench;

import dev.finetune.heads.LinearHead;
import dev.finetune.heads.Scoring;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import java.util.ArrayList;
import java.util.List;
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

/**
 * Rerank/classify scoring throughput in sequences/s (the {@code sequences} counter): 64 sequences of
 * 40..200 tokens (a rerank request's shape) through the backbone and a head. {@code hidden} is the
 * library's path (forward to {@code ln_f}, length-sorted batches, head on the last position);
 * {@code logits} runs the same sequences through the full language-model forward (padded to the
 * longest, B·T·V logits), what scoring would cost without the hidden-state path.
 * Model: base-light's shape (4 layers, 4 heads, 256 channels, vocabulary 4096, context 256) or
 * {@code small50k} (the same with GPT-2's 50,257-token vocabulary).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class ScoringBench {
    @Param({"light", "small50k"})
    public String config;

    @Param({"hidden", "logits"})
    public String path;

    private GPT2 model;
    private LinearHead head;
    private List<int[]> seqs;
    private int[] padded;
    private int longest;

    /** Sequences scored, as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Sequences {
        public long sequences;

        @Setup(Level.Iteration)
        public void reset() {
            sequences = 0;
        }
    }

    @Setup
    public void setUp() {
        int vocab = config.equals("light") ? 4096 : 50257;
        GPT2Config cfg = GPT2Config.of(vocab, 256, 256, 4, 4);
        model = GPT2.randomInit(cfg, 1, 0.02f);
        head = new LinearHead(cfg.channels(), 1, 2, 0.02f);
        SplittableRandom r = new SplittableRandom(5);
        seqs = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            int[] s = new int[40 + r.nextInt(161)];
            for (int t = 0; t < s.length; t++) {
                s[t] = r.nextInt(vocab);
            }
            seqs.add(s);
            longest = Math.max(longest, s.length);
        }
        padded = new int[seqs.size() * longest];
        for (int i = 0; i < seqs.size(); i++) {
            System.arraycopy(seqs.get(i), 0, padded, i * longest, seqs.get(i).length);
        }
    }

    @Benchmark
    public float score(Sequences n) {
        float x;
        if (path.equals("hidden")) {
            x = Scoring.outputs(model, head, seqs)[0];
        } else {
            // the language-model forward in batches of 8 (64 x 200 x 50257 logits would not fit)
            x = 0;
            for (int b = 0; b < seqs.size(); b += 8) {
                model.forward(java.util.Arrays.copyOfRange(padded, b * longest, (b + 8) * longest), 8, longest);
                x += model.logits()[0];
            }
        }
        n.sequences += seqs.size();
        return x;
    }
}
