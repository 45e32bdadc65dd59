package dev.finetune.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The element and row kernels: the float exp against Math.exp, each function against its double
 * definition, and the Vector API version against the plain one (bit for bit on element-wise results,
 * whatever the split of the range into pieces, as the thread pool splits it; within float rounding on
 * sums).
 */
class FloatOpsProperties {
    private static final FloatOps PLAIN = new PlainFloatOps();
    private static final FloatOps VECTOR = new VectorFloatOps();

    private static float[] random(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    private static double ulps(float got, double want) {
        return Math.abs(got - want) / Math.ulp((float) want);
    }

    @Property(tries = 2000)
    void expIsWithinTwoUlpOfMathExp(@ForAll @FloatRange(min = -87f, max = 88f) float x) {
        float got = PlainFloatOps.exp(x);
        assertTrue(ulps(got, Math.exp(x)) <= 2, "exp(" + x + ") = " + got + ", Math.exp " + Math.exp(x));
    }

    @Test
    void expClampsOutsideItsRangeAndKeepsNaN() {
        assertEquals(PlainFloatOps.exp(-87f), PlainFloatOps.exp(-1000f));
        assertTrue(PlainFloatOps.exp(-1000f) < 1e-37f && PlainFloatOps.exp(-1000f) > 0);
        assertEquals(PlainFloatOps.exp(88f), PlainFloatOps.exp(Float.POSITIVE_INFINITY));
        assertTrue(Float.isFinite(PlainFloatOps.exp(1000f)));
        assertTrue(Float.isNaN(PlainFloatOps.exp(Float.NaN)));
        assertEquals(1f, PlainFloatOps.exp(0f));
        // every float in a dense sweep of [-20, 20] within 2 ulp
        for (float x = -20f; x <= 20f; x += 1e-3f) {
            assertTrue(ulps(PlainFloatOps.exp(x), Math.exp(x)) <= 2, "exp(" + x + ")");
        }
    }

    /** Runs f over [0, n) in pieces cut at {@code cuts} (as threads would split it). */
    private interface Piece {
        void run(int from, int to);
    }

    private static void inPieces(int n, int[] cuts, Piece f) {
        int from = 0;
        for (int c : cuts) {
            int to = Math.min(n, Math.max(from, c));
            f.run(from, to);
            from = to;
        }
        f.run(from, n);
    }

    @Property(tries = 200)
    void elementwiseKernelsAreBitIdenticalVectorAndPlainForAnySplit(@ForAll @IntRange(min = 0, max = 300) int n,
                                                                     @ForAll @IntRange(min = 0, max = 300) int cut1,
                                                                     @ForAll @IntRange(min = 0, max = 300) int cut2,
                                                                     @ForAll boolean accumulate, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = random(r, n, 3);
        float[] up = random(r, n, 1);
        float[] dout = random(r, n, 1);
        float[] base = random(r, n, 1);
        int[] cuts = {Math.min(cut1, cut2), Math.max(cut1, cut2)};

        float[] a = new float[n];
        float[] b = new float[n];
        inPieces(n, cuts, (f, t) -> VECTOR.gelu(a, x, f, t));
        PLAIN.gelu(b, x, 0, n);
        assertArrayEquals(b, a, "gelu");

        float[] da = base.clone();
        float[] db = base.clone();
        inPieces(n, cuts, (f, t) -> VECTOR.geluBackward(da, x, dout, f, t, accumulate));
        PLAIN.geluBackward(db, x, dout, 0, n, accumulate);
        assertArrayEquals(db, da, "gelu backward");

        inPieces(n, cuts, (f, t) -> VECTOR.swiglu(a, x, up, f, t));
        PLAIN.swiglu(b, x, up, 0, n);
        assertArrayEquals(b, a, "swiglu");

        float[] dga = base.clone();
        float[] dgb = base.clone();
        float[] dua = dout.clone();
        float[] dub = dout.clone();
        inPieces(n, cuts, (f, t) -> VECTOR.swigluBackward(dga, dua, dout, x, up, f, t, accumulate));
        PLAIN.swigluBackward(dgb, dub, dout, x, up, 0, n, accumulate);
        assertArrayEquals(dgb, dga, "swiglu backward (gate)");
        assertArrayEquals(dub, dua, "swiglu backward (up)");

        float[] ea = new float[n];
        float[] eb = new float[n];
        VECTOR.expScaled(ea, 0, x, 0, n, 1.5f, 0.25f);
        PLAIN.expScaled(eb, 0, x, 0, n, 1.5f, 0.25f);
        assertArrayEquals(eb, ea, "exp scaled");
    }

    @Property(tries = 200)
    void activationsMatchTheirDoubleDefinitions(@ForAll @FloatRange(min = -12f, max = 12f) float x,
                                                @ForAll @FloatRange(min = -3f, max = 3f) float u) {
        double k = Math.sqrt(2 / Math.PI);
        double th = Math.tanh(k * (x + 0.044715 * x * x * x));
        double gelu = 0.5 * x * (1 + th);
        double dgelu = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * k * (1 + 3 * 0.044715 * x * x);
        double sig = 1 / (1 + Math.exp(-x));
        float[] in = {x};
        float[] out = new float[1];
        float[] one = {1f};
        for (FloatOps ops : new FloatOps[] {PLAIN, VECTOR}) {
            ops.gelu(out, in, 0, 1);
            assertEquals(gelu, out[0], 2e-6 * (1 + Math.abs(gelu)), "gelu(" + x + ")");
            ops.geluBackward(out, in, one, 0, 1, false);
            assertEquals(dgelu, out[0], 2e-6 * (1 + Math.abs(dgelu)), "gelu'(" + x + ")");
            ops.swiglu(out, in, new float[] {u}, 0, 1);
            assertEquals(x * sig * u, out[0], 2e-6 * (1 + Math.abs(x * sig * u)), "swiglu");
            float[] dg = new float[1];
            float[] du = new float[1];
            ops.swigluBackward(dg, du, one, in, new float[] {u}, 0, 1, false);
            assertEquals(x * sig, du[0], 2e-6 * (1 + Math.abs(x)), "d up");
            double dgate = u * sig * (1 + x * (1 - sig));
            assertEquals(dgate, dg[0], 2e-6 * (1 + Math.abs(dgate)), "d gate");
        }
    }

    @Property(tries = 200)
    void rowSumsMatchDoubleSums(@ForAll @IntRange(min = 0, max = 3000) int n, @ForAll @IntRange(min = 0, max = 7) int off,
                                @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = random(r, n + off, 2);
        float[] w = random(r, n + off, 1);
        float[] d = random(r, n + off, 1);
        float c = 0.3f;
        double sum = 0;
        double sq = 0;
        double dot = 0;
        double dotc = 0;
        double sexp = 0;
        float max = Float.NEGATIVE_INFINITY;
        double abs = 0;
        for (int i = off; i < off + n; i++) {
            sum += x[i];
            sq += (double) (x[i] - c) * (x[i] - c);
            dot += (double) w[i] * d[i];
            dotc += (double) w[i] * d[i] * (x[i] - c);
            sexp += Math.exp(x[i] - 1.0);
            max = Math.max(max, x[i]);
            abs += Math.abs(x[i]) + Math.abs(w[i] * d[i] * (x[i] - c));
        }
        // float lanes of at most FLUSH elements, then double: a few ulps of the sum of magnitudes
        double tol = 1e-6 * (abs + sq + sexp + 1);
        for (FloatOps ops : new FloatOps[] {PLAIN, VECTOR}) {
            assertEquals(max, ops.max(x, off, n));
            assertEquals(sum, ops.sum(x, off, n), tol);
            assertEquals(sq, ops.sumSquares(x, off, n, c), tol);
            assertEquals(dot, ops.dot(w, off, d, off, n), tol);
            assertEquals(dotc, ops.dotCentered(w, off, d, off, x, off, n, c), tol);
            assertEquals(sexp, ops.sumExp(x, off, n, 1f), tol);
        }
    }

    @Property(tries = 200)
    void adamwIsBitIdenticalVectorAndPlainAndMatchesTheDoubleUpdate(@ForAll @IntRange(min = 0, max = 100) int n,
                                                                     @ForAll boolean decay, @ForAll long seed) {
        Random r = new Random(seed);
        float[] p = random(r, n, 1);
        float[] g = random(r, n, 1e-2);
        float[] m = random(r, n, 1e-3);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.abs(r.nextGaussian() * 1e-5);
        }
        float b1 = 0.9f;
        float b2 = 0.999f;
        float keep = decay ? 1 - 1e-3f * 0.01f : 1f;
        float stepSize = (float) (1e-3 / (1 - Math.pow(b1, 3)));
        float bc2 = (float) Math.sqrt(1 - Math.pow(b2, 3));
        float scale = 0.5f;
        float[] p2 = p.clone();
        float[] m2 = m.clone();
        float[] v2 = v.clone();
        VECTOR.adamw(p, g, 0, m, v, 0, n, scale, b1, b2, keep, stepSize, bc2, 1e-8f);
        for (int i = 0; i < n; i++) {
            double gi = g[i] * scale;
            double mi = b1 * (double) m2[i] + (1 - b1) * gi;
            double vi = b2 * (double) v2[i] + (1 - b2) * gi * gi;
            double pi = p2[i] * (double) keep - stepSize * mi / (Math.sqrt(vi) / bc2 + 1e-8);
            // float rounding relative to the two terms (they may nearly cancel)
            assertEquals(mi, m[i], 1e-6 * (Math.abs(b1 * m2[i]) + Math.abs((1 - b1) * gi)) + 1e-12, "m");
            assertEquals(vi, v[i], 1e-6 * vi + 1e-15, "v");
            // the update is about lr = 1e-3; float rounding of it and of p
            assertEquals(pi, p[i], 1e-6 * Math.abs(pi) + 1e-8, "p");
        }
        PLAIN.adamw(p2, g, 0, m2, v2, 0, n, scale, b1, b2, keep, stepSize, bc2, 1e-8f);
        assertArrayEquals(p2, p);
        assertArrayEquals(m2, m);
        assertArrayEquals(v2, v);
    }

    @Property(tries = 100)
    void normKernelsAreBitIdenticalVectorAndPlain(@ForAll @IntRange(min = 1, max = 200) int n, @ForAll boolean bias,
                                                  @ForAll @IntRange(min = 0, max = 200) int cut, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = random(r, n, 1);
        float[] p = random(r, 2 * n, 1);
        float[] dy = random(r, n, 1);
        float[] a = new float[n];
        float[] b = new float[n];
        VECTOR.normalize(a, 0, x, 0, n, 0.1f, 1.3f, p, 0, bias ? n : -1);
        PLAIN.normalize(b, 0, x, 0, n, 0.1f, 1.3f, p, 0, bias ? n : -1);
        assertArrayEquals(b, a, "normalize");
        VECTOR.normBackward(a, dy, x, 0, n, 0.1f, 1.3f, p, 0, 0.2f, -0.4f, true);
        PLAIN.normBackward(b, dy, x, 0, n, 0.1f, 1.3f, p, 0, 0.2f, -0.4f, true);
        assertArrayEquals(b, a, "norm backward");
        float[] ga = random(new Random(seed + 1), 2 * n, 1);
        float[] gb = ga.clone();
        int c = Math.min(cut, n);
        VECTOR.normWeightGrad(ga, 0, bias ? n : -1, dy, x, 0, 0, c, 0.1f, 1.3f);
        VECTOR.normWeightGrad(ga, 0, bias ? n : -1, dy, x, 0, c, n, 0.1f, 1.3f);
        PLAIN.normWeightGrad(gb, 0, bias ? n : -1, dy, x, 0, 0, n, 0.1f, 1.3f);
        assertArrayEquals(gb, ga, "norm weight gradient");
    }
}
