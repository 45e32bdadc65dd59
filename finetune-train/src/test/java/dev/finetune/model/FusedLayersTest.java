package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vectorised layers outside matmul against plain double-precision versions written out here: the
 * fused cross-entropy (loss, log-sum-exp and dlogits without a probability buffer) against a
 * two-pass softmax in double and against finite differences of the loss; layernorm and RMSNorm
 * forward and backward (rows in parallel, weight sums by columns) against the scalar formulas.
 */
class FusedLayersTest {
    private static float[] random(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    @Test
    void fusedCrossEntropyMatchesTheTwoPassSoftmaxInDouble() {
        Random r = new Random(5);
        int N = 37;
        int V = 5003; // not a multiple of any vector width
        float[] logits = random(r, N * V, 4);
        int[] targets = new int[N];
        for (int i = 0; i < N; i++) {
            targets[i] = i % 7 == 3 ? CausalLM.IGNORE_INDEX : r.nextInt(V);
        }
        float[] lse = new float[N];
        float[] rowLoss = new float[N];
        double total = Layers.crossEntropyForward(lse, rowLoss, logits, targets, CausalLM.IGNORE_INDEX, N, V);
        float scale = 1f / 31;
        float[] dlogits = logits.clone();
        Layers.crossEntropyBackward(dlogits, dlogits, lse, targets, CausalLM.IGNORE_INDEX, scale, N, V);

        double want = 0;
        for (int n = 0; n < N; n++) {
            int x = n * V;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < V; i++) {
                max = Math.max(max, logits[x + i]);
            }
            double sum = 0;
            for (int i = 0; i < V; i++) {
                sum += Math.exp(logits[x + i] - max);
            }
            double l = max + Math.log(sum);
            assertEquals(l, lse[n], 2e-6 * Math.abs(l), "lse of row " + n);
            if (targets[n] == CausalLM.IGNORE_INDEX) {
                assertEquals(0f, rowLoss[n]);
                for (int i = 0; i < V; i++) {
                    assertEquals(0f, dlogits[x + i], "ignored row " + n);
                }
                continue;
            }
            double loss = l - logits[x + targets[n]];
            want += loss;
            assertEquals(loss, rowLoss[n], 1e-5 * (1 + loss), "loss of row " + n);
            for (int i = 0; i < V; i++) {
                double g = (Math.exp(logits[x + i] - l) - (i == targets[n] ? 1 : 0)) * scale;
                // softmax entries to a few float ulps of their size, relative to the largest (the scale)
                assertEquals(g, dlogits[x + i], 1e-6 * scale + 1e-5 * Math.abs(g), "dlogits[" + n + ", " + i + "]");
            }
        }
        assertEquals(want, total, 1e-5 * want);
    }

    @Test
    void fusedCrossEntropyGradientMatchesFiniteDifferences() {
        Random r = new Random(6);
        int N = 3;
        int V = 41;
        float[] logits = random(r, N * V, 2);
        int[] targets = {4, CausalLM.IGNORE_INDEX, 40};
        float[] lse = new float[N];
        float[] rowLoss = new float[N];
        Layers.crossEntropyForward(lse, rowLoss, logits, targets, CausalLM.IGNORE_INDEX, N, V);
        float[] d = new float[N * V];
        Layers.crossEntropyBackward(d, logits, lse, targets, CausalLM.IGNORE_INDEX, 1f, N, V);
        double h = 1e-2;
        for (int i = 0; i < N * V; i++) {
            float keep = logits[i];
            logits[i] = (float) (keep + h);
            double up = Layers.crossEntropyForward(lse, rowLoss, logits, targets, CausalLM.IGNORE_INDEX, N, V);
            logits[i] = (float) (keep - h);
            double down = Layers.crossEntropyForward(lse, rowLoss, logits, targets, CausalLM.IGNORE_INDEX, N, V);
            logits[i] = keep;
            double numeric = (up - down) / (2 * h);
            assertEquals(numeric, d[i], 2e-4 + 1e-3 * Math.abs(numeric), "d logits " + i);
        }
    }

    @Test
    void layernormForwardAndBackwardMatchTheScalarFormulas() {
        Random r = new Random(7);
        int N = 19;
        int C = 77;
        float[] x = random(r, N * C, 2);
        for (int i = 0; i < N * C; i++) {
            x[i] += 3; // an offset the mean must remove
        }
        float[] p = random(r, 2 * C, 0.5);
        float[] dy = random(r, N * C, 1);
        float[] out = new float[N * C];
        float[] mean = new float[N];
        float[] rstd = new float[N];
        float eps = 1e-5f;
        Layers.layernormForward(out, mean, rstd, x, p, 0, C, N, C, eps);
        float[] dx = random(r, N * C, 1);
        float[] dx0 = dx.clone();
        float[] g = random(r, 2 * C, 1);
        float[] g0 = g.clone();
        Layers.layernormBackward(dx, g, 0, C, dy, x, p, 0, mean, rstd, N, C);
        double[] dw = new double[C];
        double[] db = new double[C];
        for (int n = 0; n < N; n++) {
            int o = n * C;
            double m = 0;
            for (int i = 0; i < C; i++) {
                m += x[o + i];
            }
            m /= C;
            double var = 0;
            for (int i = 0; i < C; i++) {
                var += (x[o + i] - m) * (x[o + i] - m);
            }
            double s = 1 / Math.sqrt(var / C + eps);
            assertEquals(m, mean[n], 1e-6 * Math.abs(m));
            assertEquals(s, rstd[n], 1e-6 * s);
            double dMean = 0;
            double dNorm = 0;
            for (int i = 0; i < C; i++) {
                double nrm = (x[o + i] - m) * s;
                assertEquals(nrm * p[i] + p[C + i], out[o + i], 1e-5 * (1 + Math.abs(nrm * p[i])), "out");
                dMean += p[i] * dy[o + i];
                dNorm += p[i] * dy[o + i] * nrm;
                dw[i] += nrm * dy[o + i];
                db[i] += dy[o + i];
            }
            dMean /= C;
            dNorm /= C;
            for (int i = 0; i < C; i++) {
                double nrm = (x[o + i] - m) * s;
                double want = dx0[o + i] + (p[i] * dy[o + i] - dMean - nrm * dNorm) * s;
                assertEquals(want, dx[o + i], 2e-5 * (1 + Math.abs(want)), "dx[" + n + ", " + i + "]");
            }
        }
        for (int i = 0; i < C; i++) {
            assertEquals(g0[i] + dw[i], g[i], 2e-5 * (1 + Math.abs(dw[i])), "d weight " + i);
            assertEquals(g0[C + i] + db[i], g[C + i], 2e-5 * (1 + Math.abs(db[i])), "d bias " + i);
        }
    }

    @Test
    void rmsnormForwardAndBackwardMatchTheScalarFormulas() {
        Random r = new Random(8);
        int N = 23;
        int C = 61;
        float[] x = random(r, N * C, 2);
        float[] p = random(r, C, 0.5);
        float[] dy = random(r, N * C, 1);
        float[] out = new float[N * C];
        float[] rstd = new float[N];
        float eps = 1e-6f;
        Layers.rmsnormForward(out, rstd, x, p, 0, N, C, eps);
        float[] dx = new float[N * C];
        float[] g = new float[C];
        Layers.rmsnormBackward(dx, false, g, 0, dy, x, p, 0, rstd, N, C);
        double[] dw = new double[C];
        for (int n = 0; n < N; n++) {
            int o = n * C;
            double ss = 0;
            for (int i = 0; i < C; i++) {
                ss += (double) x[o + i] * x[o + i];
            }
            double s = 1 / Math.sqrt(ss / C + eps);
            assertEquals(s, rstd[n], 1e-6 * s);
            double dNorm = 0;
            for (int i = 0; i < C; i++) {
                assertEquals(x[o + i] * s * p[i], out[o + i], 1e-5 * (1 + Math.abs(x[o + i] * s * p[i])), "out");
                dNorm += p[i] * dy[o + i] * x[o + i] * s;
                dw[i] += x[o + i] * s * dy[o + i];
            }
            dNorm /= C;
            for (int i = 0; i < C; i++) {
                double want = (p[i] * dy[o + i] - x[o + i] * s * dNorm) * s;
                assertEquals(want, dx[o + i], 2e-5 * (1 + Math.abs(want)), "dx[" + n + ", " + i + "]");
            }
        }
        for (int i = 0; i < C; i++) {
            assertEquals(dw[i], g[i], 2e-5 * (1 + Math.abs(dw[i])), "d weight " + i);
        }
    }
}
