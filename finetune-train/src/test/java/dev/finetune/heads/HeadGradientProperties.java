package dev.finetune.heads;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Every analytic gradient of the heads checked against central finite differences in double. */
class HeadGradientProperties {

    @Property(tries = 100)
    void listwiseSoftmaxGradientMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 8) int n,
                                                         @ForAll long seed) {
        Random r = new Random(seed);
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = (float) (r.nextGaussian() * 3);
        }
        int pos = r.nextInt(n);
        float[] d = new float[n];
        Losses.listwiseSoftmax(s, 0, n, pos, d, 1.0);
        for (int i = 0; i < n; i++) {
            double num = numeric(x -> Losses.listwiseSoftmax(x, 0, n, pos, new float[n], 1.0), s, i);
            assertEquals(num, d[i], 2e-3 + 1e-2 * Math.abs(num), "d score " + i);
        }
    }

    @Property(tries = 100)
    void sigmoidBceGradientMatchesFiniteDifferences(@ForAll @IntRange(min = 1, max = 6) int k, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = new float[k];
        boolean[] y = new boolean[k];
        for (int i = 0; i < k; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
            y[i] = r.nextBoolean();
        }
        float[] d = new float[k];
        double loss = Losses.sigmoidBinaryCrossEntropy(x, 0, k, y, d, 1.0);
        assertEquals(true, loss >= 0);
        for (int i = 0; i < k; i++) {
            double num = numeric(v -> Losses.sigmoidBinaryCrossEntropy(v, 0, k, y, new float[k], 1.0), x, i);
            assertEquals(num, d[i], 2e-3 + 1e-2 * Math.abs(num), "d logit " + i);
        }
    }

    @Property(tries = 50)
    void linearHeadGradientsMatchFiniteDifferences(@ForAll @IntRange(min = 1, max = 6) int c,
                                                   @ForAll @IntRange(min = 1, max = 4) int k, @ForAll long seed) {
        Random r = new Random(seed);
        LinearHead head = new LinearHead(c, k, seed, 0.7f);
        int rows = 3;
        float[] h = new float[rows * c];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) r.nextGaussian();
        }
        int[] offs = {0, c, 2 * c};
        float[] g = new float[rows * k];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) r.nextGaussian();
        }
        // objective: sum(out ⊙ g)
        java.util.function.Supplier<Double> f = () -> {
            float[] out = new float[rows * k];
            head.forward(out, h, offs);
            double s = 0;
            for (int i = 0; i < out.length; i++) {
                s += out[i] * g[i];
            }
            return s;
        };
        head.zeroGrad();
        float[] dh = new float[h.length];
        head.backward(dh, g, h, offs);
        float[] p = head.parameters();
        for (int i = 0; i < p.length; i++) {
            double num = central(p, i, f);
            assertEquals(num, head.gradients()[i], 2e-2 + 1e-2 * Math.abs(num), "d param " + i);
        }
        for (int i = 0; i < h.length; i++) {
            double num = central(h, i, f);
            assertEquals(num, dh[i], 2e-2 + 1e-2 * Math.abs(num), "d h " + i);
        }
    }

    private static double central(float[] a, int i, java.util.function.Supplier<Double> f) {
        float keep = a[i];
        float eps = 1e-2f;
        a[i] = keep + eps;
        double up = f.get();
        a[i] = keep - eps;
        double down = f.get();
        a[i] = keep;
        return (up - down) / (2 * eps);
    }

    private static double numeric(java.util.function.ToDoubleFunction<float[]> f, float[] x, int i) {
        float keep = x[i];
        float eps = 1e-2f;
        x[i] = keep + eps;
        double up = f.applyAsDouble(x);
        x[i] = keep - eps;
        double down = f.applyAsDouble(x);
        x[i] = keep;
        return (up - down) / (2 * eps);
    }
}
