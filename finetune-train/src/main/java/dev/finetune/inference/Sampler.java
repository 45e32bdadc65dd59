package dev.finetune.inference;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits the way the service documented its sampling parameters:
 * {@code temperature} 0 is greedy (the arg-max, ties to the lowest id); otherwise logits are divided by
 * the temperature, then {@code k} keeps the k most likely tokens (0 turns it off), then {@code p}
 * keeps the smallest set of the most likely tokens whose probabilities reach p (nucleus sampling; p 0
 * or 1 turns it off). "p acts after k". Draws are reproducible from {@code seed}.
 *
 * <p>Not thread-safe (one per decoding sequence); scratch arrays are sized once for the vocabulary.
 */
public final class Sampler {
    private final float temperature;
    private final int k;
    private final float p;
    private final SplittableRandom random;
    private double[] probs = new double[0];
    private Integer[] order = new Integer[0];

    public Sampler(float temperature, int k, float p, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (k < 0) {
            throw new IllegalArgumentException("k must be >= 0, got " + k);
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("p must be in [0, 1], got " + p);
        }
        this.temperature = temperature;
        this.k = k;
        this.p = p;
        this.random = new SplittableRandom(seed);
    }

    /** A greedy sampler. */
    public static Sampler greedy() {
        return new Sampler(0f, 0, 0f, 0L);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    /** The arg-max of {@code logits[0..n)}, ties to the lowest index. */
    public static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The next token for {@code logits[0..n)}. */
    public int sample(float[] logits, int n) {
        if (isGreedy()) {
            return argmax(logits, n);
        }
        if (probs.length < n) {
            probs = new double[n];
            order = new Integer[n];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[i] / temperature);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp(logits[i] / temperature - max);
            sum += probs[i];
        }
        boolean topK = k > 0 && k < n;
        boolean topP = p > 0 && p < 1;
        if (!topK && !topP) {
            return draw(sum, n);
        }
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[] pr = probs;
        Arrays.sort(order, 0, n, (a, b) -> pr[a] != pr[b] ? Double.compare(pr[b], pr[a]) : Integer.compare(a, b));
        int keep = topK ? k : n;
        double kept = 0;
        for (int i = 0; i < keep; i++) {
            kept += probs[order[i]];
        }
        if (topP) {
            double acc = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                acc += probs[order[i]] / kept;
                if (acc >= p) {
                    cut = i + 1;
                    break;
                }
            }
            keep = cut;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += probs[order[i]];
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            u -= probs[order[i]];
            if (u < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    private int draw(double sum, int n) {
        double u = random.nextDouble() * sum;
        for (int i = 0; i < n; i++) {
            u -= probs[i];
            if (u < 0) {
                return i;
            }
        }
        return n - 1;
    }

    /**
     * log softmax(logits)[token], in nats, computed in double (vectorized when the Vector API is there:
     * it runs once per generated token over the whole vocabulary).
     */
    public static double logProb(float[] logits, int n, int token) {
        dev.finetune.kernel.MatVecKernel k = dev.finetune.kernel.Kernels.matVec();
        double max = k.max(logits, 0, n);
        double sum = k.sumExp(logits, 0, n, max);
        return logits[token] - max - Math.log(sum);
    }
}
