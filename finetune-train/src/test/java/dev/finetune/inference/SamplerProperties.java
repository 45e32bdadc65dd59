package dev.finetune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class SamplerProperties {

    @Property(tries = 300)
    void topKSamplesOnlyAmongTheKMostLikely(@ForAll @Size(min = 2, max = 40) float[] raw,
                                             @ForAll @IntRange(min = 1, max = 5) int k,
                                             @ForAll long seed) {
        float[] logits = finite(raw);
        Sampler s = new Sampler(1f, k, 0f, seed);
        float[] sorted = logits.clone();
        Arrays.sort(sorted);
        float kth = sorted[Math.max(0, sorted.length - k)];
        for (int i = 0; i < 20; i++) {
            int tok = s.sample(logits, logits.length);
            assertTrue(logits[tok] >= kth, "token " + tok + " with logit " + logits[tok] + " is not in the top " + k);
        }
    }

    @Property(tries = 300)
    void zeroTemperatureIsTheArgmax(@ForAll @Size(min = 1, max = 40) float[] raw, @ForAll long seed) {
        float[] logits = finite(raw);
        int tok = new Sampler(0f, 0, 0.5f, seed).sample(logits, logits.length);
        for (float l : logits) {
            assertTrue(logits[tok] >= l);
        }
    }

    @Property(tries = 200)
    void logProbsOfAllTokensSumToOne(@ForAll @Size(min = 1, max = 40) float[] raw) {
        float[] logits = finite(raw);
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            sum += Math.exp(Sampler.logProb(logits, logits.length, i));
        }
        assertEquals(1.0, sum, 1e-9);
    }

    @Property(tries = 100)
    void smallNucleusKeepsOnlyTheMostLikelyToken(@ForAll @Size(min = 2, max = 30) float[] raw,
                                                  @ForAll @FloatRange(min = 0.001f, max = 0.01f) @net.jqwik.api.constraints.Scale(4) float p,
                                                  @ForAll long seed) {
        float[] logits = finite(raw);
        int best = Sampler.argmax(logits, logits.length);
        // a nucleus below the top token's own probability holds the top token alone
        double top = Math.exp(Sampler.logProb(logits, logits.length, best));
        if (top >= p) {
            int tok = new Sampler(1f, 0, p, seed).sample(logits, logits.length);
            assertEquals(logits[best], logits[tok]);
        }
    }

    private static float[] finite(float[] raw) {
        float[] out = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            float v = raw[i];
            out[i] = Float.isFinite(v) ? Math.max(-50f, Math.min(50f, v)) : 0f;
        }
        return out;
    }
}
