package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.kernel.Kernels;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of the Llama-family layers' backward functions: for a random upstream
 * gradient w, the loss Σ w·out(x) is differentiated numerically (central differences in float, step
 * 1e-2) and compared with the backward pass. Float32 central differences of an O(1) loss carry about
 * 1e-4 of rounding and O(h²) of truncation, hence the 2e-3 + 2e-2·|g| tolerance.
 */
class LlamaLayersGradientTest {
    private static final float H = 1e-2f;

    private static float[] random(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    /** Σ w·f(x) for the current contents of x. */
    private interface Loss {
        double at();
    }

    private static void checkAgainstFiniteDifferences(String what, float[] x, float[] analytic, Loss loss) {
        for (int i = 0; i < x.length; i++) {
            float keep = x[i];
            x[i] = keep + H;
            double up = loss.at();
            x[i] = keep - H;
            double down = loss.at();
            x[i] = keep;
            double numeric = (up - down) / (2 * H);
            assertEquals(numeric, analytic[i], 2e-3 + 2e-2 * Math.abs(numeric), what + " element " + i);
        }
    }

    private static double dot(float[] w, float[] out, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) w[i] * out[i];
        }
        return s;
    }

    @Test
    void rmsnormBackwardMatchesFiniteDifferences() {
        Random r = new Random(1);
        int N = 3;
        int C = 8;
        float[] x = random(r, N * C, 1);
        float[] p = random(r, C, 0.5);
        for (int i = 0; i < C; i++) {
            p[i] += 1;
        }
        float[] w = random(r, N * C, 1);
        float[] out = new float[N * C];
        float[] rstd = new float[N];
        Loss loss = () -> {
            Layers.rmsnormForward(out, rstd, x, p, 0, N, C, 1e-5f);
            return dot(w, out, N * C);
        };
        loss.at();
        float[] dx = new float[N * C];
        float[] dp = new float[C];
        Layers.rmsnormBackward(dx, dp, 0, w, x, p, 0, rstd, N, C);
        checkAgainstFiniteDifferences("d x", x, dx, loss);
        checkAgainstFiniteDifferences("d weight", p, dp, loss);
    }

    @Test
    void ropeBackwardIsTheInverseRotationAndMatchesFiniteDifferences() {
        Random r = new Random(2);
        LlamaConfig cfg = new LlamaConfig("llama", 10, 8, 8, 1, 2, 1, 6, 16, 1e-5f, 500000, 
                new LlamaConfig.RopeScaling(8, 1, 4, 4), false, false, true, "float32", -1, -1);
        Llama m = new Llama(cfg);
        int B = 2;
        int T = 5;
        int H = 2;
        int hd = 6;
        int n = B * T * H * hd;
        float[] x = random(r, n, 1);
        float[] w = random(r, n, 1);
        float[] out = new float[n];
        Loss loss = () -> {
            System.arraycopy(x, 0, out, 0, n);
            Layers.ropeForward(out, B * T, T, 0, H, hd, m.cos, m.sin);
            return dot(w, out, n);
        };
        loss.at();
        float[] dx = w.clone();
        Layers.ropeBackward(dx, B * T, T, 0, H, hd, m.cos, m.sin);
        checkAgainstFiniteDifferences("d x", x, dx, loss);
        // rotating forward then backward gives the input back (a rotation is orthogonal)
        float[] y = x.clone();
        Layers.ropeForward(y, B * T, T, 0, H, hd, m.cos, m.sin);
        Layers.ropeBackward(y, B * T, T, 0, H, hd, m.cos, m.sin);
        for (int i = 0; i < n; i++) {
            assertEquals(x[i], y[i], 1e-5, "element " + i);
        }
    }

    @Test
    void groupedQueryAttentionBackwardMatchesFiniteDifferences() {
        groupedQueryAttentionBackwardMatchesFiniteDifferences(Layers.ATTENTION_ROWS);
    }

    /** In bands of 1 and 3 query rows (the band loop's edges: every row its own band, a short last band). */
    @Test
    void bandedAttentionBackwardMatchesFiniteDifferences() {
        groupedQueryAttentionBackwardMatchesFiniteDifferences(1);
        groupedQueryAttentionBackwardMatchesFiniteDifferences(3);
    }

    private void groupedQueryAttentionBackwardMatchesFiniteDifferences(int band) {
        Random r = new Random(3);
        int B = 2;
        int T = 4;
        int NH = 4;
        int KVH = 2;
        int hs = 3;
        int Q = NH * hs;
        int KV = KVH * hs;
        float[] q = random(r, B * T * Q, 1);
        float[] k = random(r, B * T * KV, 1);
        float[] v = random(r, B * T * KV, 1);
        float[] w = random(r, B * T * Q, 1);
        float[] out = new float[B * T * Q];
        float[] att = new float[B * NH * T * T];
        Loss loss = () -> {
            Layers.attentionForward(out, att, q, Q, 0, k, KV, 0, v, KV, 0, null, B, T, NH, KVH, hs, band);
            return dot(w, out, out.length);
        };
        loss.at();
        float[] dq = new float[q.length];
        float[] dk = new float[k.length];
        float[] dv = new float[v.length];
        Layers.attentionBackward(dq, dk, dv, new float[B * NH * T * T], w, att, q, Q, 0, k, KV, 0, v, KV, 0, null, B, T,
                NH, KVH, hs, band);
        checkAgainstFiniteDifferences("d q", q, dq, loss);
        checkAgainstFiniteDifferences("d k", k, dk, loss);
        checkAgainstFiniteDifferences("d v", v, dv, loss);
    }

    @Test
    void swigluBackwardMatchesFiniteDifferences() {
        Random r = new Random(4);
        int n = 40;
        float[] g = random(r, n, 2);
        float[] u = random(r, n, 1);
        float[] w = random(r, n, 1);
        float[] out = new float[n];
        Loss loss = () -> {
            Layers.swigluForward(out, g, u, n);
            return dot(w, out, n);
        };
        float[] dg = new float[n];
        float[] du = new float[n];
        Layers.swigluBackward(dg, du, w, g, u, n);
        checkAgainstFiniteDifferences("d gate", g, dg, loss);
        checkAgainstFiniteDifferences("d up", u, du, loss);
    }

    @Test
    void linearBackwardMatchesFiniteDifferences() {
        Random r = new Random(5);
        int N = 3;
        int C = 4;
        int OC = 5;
        float[] x = random(r, N * C, 1);
        float[] p = random(r, OC * C + OC, 1);
        float[] w = random(r, N * OC, 1);
        float[] out = new float[N * OC];
        Loss loss = () -> {
            Layers.linearForward(Kernels.gemm(), out, x, p, 0, OC * C, N, C, OC);
            return dot(w, out, out.length);
        };
        float[] dx = new float[x.length];
        float[] dp = new float[p.length];
        Layers.linearBackward(Kernels.gemm(), dx, dp, 0, OC * C, w, x, p, 0, N, C, OC);
        checkAgainstFiniteDifferences("d x", x, dx, loss);
        checkAgainstFiniteDifferences("d weight and bias", p, dp, loss);
    }

    /** The whole model, with what the bundles do not all have at once: head_dim != hidden/heads, biases, untied head, llama3 RoPE. */
    @Test
    void wholeModelGradientMatchesFiniteDifferences() {
        LlamaConfig cfg = new LlamaConfig("qwen2", 11, 12, 10, 2, 4, 2, 4, 8, 1e-6f, 1000, new LlamaConfig.RopeScaling(4, 1, 4, 4),
                true, false, false, "float32", -1, -1);
        Llama m = Llama.randomInit(cfg, 7, 0.4f);
        Random r = new Random(8);
        for (TensorView t : m.tensors()) {
            if (t.rank() == 1) {
                for (int i = 0; i < t.size(); i++) {
                    m.parameters()[t.offset() + i] += (float) (r.nextGaussian() * 0.1);
                }
            }
        }
        int B = 2;
        int T = 6;
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(11);
            targets[i] = i % 4 == 1 ? CausalLM.IGNORE_INDEX : r.nextInt(11);
        }
        m.forward(tokens, targets, B, T);
        m.zeroGrad();
        m.backward();
        float[] analytic = m.gradients().clone();
        Consumer<String> check = name -> {
            TensorView v = m.tensor(name);
            float[] p = m.parameters();
            for (int i = 0; i < v.size(); i += Math.max(1, v.size() / 7)) {
                int at = v.offset() + i;
                float keep = p[at];
                p[at] = keep + H;
                double up = m.forward(tokens, targets, B, T);
                p[at] = keep - H;
                double down = m.forward(tokens, targets, B, T);
                p[at] = keep;
                double numeric = (up - down) / (2 * H);
                assertEquals(numeric, analytic[at], 2e-3 + 2e-2 * Math.abs(numeric), name + " element " + i);
            }
        };
        for (TensorView v : m.tensors()) {
            check.accept(v.name());
        }
    }
}
