package dev.finetune.kernel;

import static dev.finetune.kernel.PlainFloatOps.C2;
import static dev.finetune.kernel.PlainFloatOps.C3;
import static dev.finetune.kernel.PlainFloatOps.C4;
import static dev.finetune.kernel.PlainFloatOps.C5;
import static dev.finetune.kernel.PlainFloatOps.C6;
import static dev.finetune.kernel.PlainFloatOps.C7;
import static dev.finetune.kernel.PlainFloatOps.EXP_HI;
import static dev.finetune.kernel.PlainFloatOps.EXP_LO;
import static dev.finetune.kernel.PlainFloatOps.K2;
import static dev.finetune.kernel.PlainFloatOps.K2C;
import static dev.finetune.kernel.PlainFloatOps.K2C3;
import static dev.finetune.kernel.PlainFloatOps.LN2_HI;
import static dev.finetune.kernel.PlainFloatOps.LN2_LO;
import static dev.finetune.kernel.PlainFloatOps.LOG2E;
import static dev.finetune.kernel.PlainFloatOps.ROUND;
import static dev.finetune.kernel.PlainFloatOps.ROUND_BITS;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatOps} with the Vector API: each lane runs {@link PlainFloatOps}'s float operations in the
 * same order (so element-wise results equal the plain ones bit for bit, and tails use the plain
 * methods), sums in two vector accumulators flushed into a double every {@link #FLUSH} elements. Only
 * loaded when {@code jdk.incubator.vector} is present.
 *
 * <p>The exp is written out in each loop rather than called: a helper that takes or returns a vector
 * and is compiled on its own (it is hot from several callers) can be too big for C2 to inline, and a
 * vector that crosses a call is boxed, an allocation per group of lanes.
 */
public final class VectorFloatOps implements FloatOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final PlainFloatOps PLAIN = new PlainFloatOps();

    @Override
    public float max(float[] x, int off, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector a = FloatVector.fromArray(S, x, off);
            FloatVector b = a;
            i = L;
            for (; i + 2 * L <= n; i += 2 * L) {
                a = a.max(FloatVector.fromArray(S, x, off + i));
                b = b.max(FloatVector.fromArray(S, x, off + i + L));
            }
            m = a.max(b).reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    @Override
    public double sumExp(float[] x, int off, int n, float shift) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector c2 = FloatVector.broadcast(S, C2);
        FloatVector c3 = FloatVector.broadcast(S, C3);
        FloatVector c4 = FloatVector.broadcast(S, C4);
        FloatVector c5 = FloatVector.broadcast(S, C5);
        FloatVector nLn2Hi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector nLn2Lo = FloatVector.broadcast(S, -LN2_LO);
        double total = 0;
        int i = 0;
        while (i + 2 * L <= n) {
            int end = Math.min(n - 2 * L + 1, i + FLUSH);
            FloatVector a = FloatVector.zero(S);
            FloatVector b = FloatVector.zero(S);
            for (; i < end; i += 2 * L) {
                FloatVector x0 = FloatVector.fromArray(S, x, off + i).sub(shift).max(EXP_LO).min(EXP_HI); // e^x: PlainFloatOps.exp lane by lane
                FloatVector t0 = x0.fma(LOG2E, ROUND);
                FloatVector k0 = t0.sub(ROUND);
                FloatVector r0 = k0.fma(nLn2Hi, x0);
                r0 = k0.fma(nLn2Lo, r0);
                FloatVector p0 = r0.fma(C7, C6);
                p0 = p0.fma(r0, c5);
                p0 = p0.fma(r0, c4);
                p0 = p0.fma(r0, c3);
                p0 = p0.fma(r0, c2);
                p0 = p0.fma(r0, one);
                p0 = p0.fma(r0, one);
                FloatVector e0 = p0.mul(t0.reinterpretAsInts().sub(ROUND_BITS - 127)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                FloatVector x1 = FloatVector.fromArray(S, x, off + i + L).sub(shift).max(EXP_LO).min(EXP_HI); // e^x: PlainFloatOps.exp lane by lane
                FloatVector t1 = x1.fma(LOG2E, ROUND);
                FloatVector k1 = t1.sub(ROUND);
                FloatVector r1 = k1.fma(nLn2Hi, x1);
                r1 = k1.fma(nLn2Lo, r1);
                FloatVector p1 = r1.fma(C7, C6);
                p1 = p1.fma(r1, c5);
                p1 = p1.fma(r1, c4);
                p1 = p1.fma(r1, c3);
                p1 = p1.fma(r1, c2);
                p1 = p1.fma(r1, one);
                p1 = p1.fma(r1, one);
                FloatVector e1 = p1.mul(t1.reinterpretAsInts().sub(ROUND_BITS - 127)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                a = a.add(e0);
                b = b.add(e1);
            }
            total += a.add(b).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            total += PlainFloatOps.exp(x[off + i] - shift);
        }
        return total;
    }

    @Override
    public void expScaled(float[] out, int oOff, float[] x, int xOff, int n, float shift, float scale) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector c2 = FloatVector.broadcast(S, C2);
        FloatVector c3 = FloatVector.broadcast(S, C3);
        FloatVector c4 = FloatVector.broadcast(S, C4);
        FloatVector c5 = FloatVector.broadcast(S, C5);
        FloatVector nLn2Hi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector nLn2Lo = FloatVector.broadcast(S, -LN2_LO);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector xE = FloatVector.fromArray(S, x, xOff + i).sub(shift).max(EXP_LO).min(EXP_HI); // e^x: PlainFloatOps.exp lane by lane
            FloatVector tE = xE.fma(LOG2E, ROUND);
            FloatVector kE = tE.sub(ROUND);
            FloatVector rE = kE.fma(nLn2Hi, xE);
            rE = kE.fma(nLn2Lo, rE);
            FloatVector pE = rE.fma(C7, C6);
            pE = pE.fma(rE, c5);
            pE = pE.fma(rE, c4);
            pE = pE.fma(rE, c3);
            pE = pE.fma(rE, c2);
            pE = pE.fma(rE, one);
            pE = pE.fma(rE, one);
            FloatVector e = pE.mul(tE.reinterpretAsInts().sub(ROUND_BITS - 127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e.mul(scale).intoArray(out, oOff + i);
        }
        for (; i < n; i++) {
            out[oOff + i] = PlainFloatOps.exp(x[xOff + i] - shift) * scale;
        }
    }

    @Override
    public double sum(float[] x, int off, int n) {
        double total = 0;
        int i = 0;
        while (i + 2 * L <= n) {
            int end = Math.min(n - 2 * L + 1, i + FLUSH);
            FloatVector a = FloatVector.zero(S);
            FloatVector b = FloatVector.zero(S);
            for (; i < end; i += 2 * L) {
                a = a.add(FloatVector.fromArray(S, x, off + i));
                b = b.add(FloatVector.fromArray(S, x, off + i + L));
            }
            total += a.add(b).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            total += x[off + i];
        }
        return total;
    }

    @Override
    public double sumSquares(float[] x, int off, int n, float c) {
        double total = 0;
        int i = 0;
        while (i + 2 * L <= n) {
            int end = Math.min(n - 2 * L + 1, i + FLUSH);
            FloatVector a = FloatVector.zero(S);
            FloatVector b = FloatVector.zero(S);
            for (; i < end; i += 2 * L) {
                FloatVector d0 = FloatVector.fromArray(S, x, off + i).sub(c);
                FloatVector d1 = FloatVector.fromArray(S, x, off + i + L).sub(c);
                a = d0.fma(d0, a);
                b = d1.fma(d1, b);
            }
            total += a.add(b).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float d = x[off + i] - c;
            total += d * d;
        }
        return total;
    }

    @Override
    public double dot(float[] w, int wOff, float[] d, int dOff, int n) {
        double total = 0;
        int i = 0;
        while (i + 2 * L <= n) {
            int end = Math.min(n - 2 * L + 1, i + FLUSH);
            FloatVector a = FloatVector.zero(S);
            FloatVector b = FloatVector.zero(S);
            for (; i < end; i += 2 * L) {
                a = FloatVector.fromArray(S, w, wOff + i).fma(FloatVector.fromArray(S, d, dOff + i), a);
                b = FloatVector.fromArray(S, w, wOff + i + L).fma(FloatVector.fromArray(S, d, dOff + i + L), b);
            }
            total += a.add(b).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            total += w[wOff + i] * d[dOff + i];
        }
        return total;
    }

    @Override
    public double dotCentered(float[] w, int wOff, float[] d, int dOff, float[] x, int xOff, int n, float c) {
        double total = 0;
        int i = 0;
        while (i + 2 * L <= n) {
            int end = Math.min(n - 2 * L + 1, i + FLUSH);
            FloatVector a = FloatVector.zero(S);
            FloatVector b = FloatVector.zero(S);
            for (; i < end; i += 2 * L) {
                FloatVector wd0 = FloatVector.fromArray(S, w, wOff + i).mul(FloatVector.fromArray(S, d, dOff + i));
                FloatVector wd1 = FloatVector.fromArray(S, w, wOff + i + L).mul(FloatVector.fromArray(S, d, dOff + i + L));
                a = wd0.fma(FloatVector.fromArray(S, x, xOff + i).sub(c), a);
                b = wd1.fma(FloatVector.fromArray(S, x, xOff + i + L).sub(c), b);
            }
            total += a.add(b).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            total += w[wOff + i] * d[dOff + i] * (x[xOff + i] - c);
        }
        return total;
    }

    @Override
    public void normalize(float[] out, int oOff, float[] x, int xOff, int n, float c, float s, float[] p, int wOff, int bOff) {
        int i = 0;
        if (bOff >= 0) {
            for (; i + L <= n; i += L) {
                FloatVector nrm = FloatVector.fromArray(S, x, xOff + i).sub(c).mul(s);
                nrm.fma(FloatVector.fromArray(S, p, wOff + i), FloatVector.fromArray(S, p, bOff + i)).intoArray(out, oOff + i);
            }
        } else {
            for (; i + L <= n; i += L) {
                FloatVector nrm = FloatVector.fromArray(S, x, xOff + i).sub(c).mul(s);
                nrm.mul(FloatVector.fromArray(S, p, wOff + i)).intoArray(out, oOff + i);
            }
        }
        if (i < n) {
            PLAIN.normalize(out, oOff + i, x, xOff + i, n - i, c, s, p, wOff + i, bOff >= 0 ? bOff + i : -1);
        }
    }

    @Override
    public void normBackward(float[] dinp, float[] dy, float[] x, int off, int n, float c, float s, float[] p, int wOff,
                             float a, float k, boolean accumulate) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector nrm = FloatVector.fromArray(S, x, off + i).sub(c).mul(s);
            FloatVector t = FloatVector.fromArray(S, p, wOff + i).mul(FloatVector.fromArray(S, dy, off + i)).sub(a);
            FloatVector r = nrm.fma(FloatVector.broadcast(S, -k), t).mul(s);
            if (accumulate) {
                r = FloatVector.fromArray(S, dinp, off + i).add(r);
            }
            r.intoArray(dinp, off + i);
        }
        for (; i < n; i++) {
            float r = PlainFloatOps.normGrad(dy[off + i], x[off + i], c, s, p[wOff + i], a, k);
            dinp[off + i] = accumulate ? dinp[off + i] + r : r;
        }
    }

    @Override
    public void normWeightGrad(float[] g, int dwOff, int dbOff, float[] dy, float[] x, int off, int from, int to, float c,
                               float s) {
        int i = from;
        if (dwOff >= 0) {
            for (; i + L <= to; i += L) {
                FloatVector nrm = FloatVector.fromArray(S, x, off + i).sub(c).mul(s);
                nrm.fma(FloatVector.fromArray(S, dy, off + i), FloatVector.fromArray(S, g, dwOff + i)).intoArray(g, dwOff + i);
            }
            for (; i < to; i++) {
                g[dwOff + i] = Math.fma((x[off + i] - c) * s, dy[off + i], g[dwOff + i]);
            }
        }
        if (dbOff >= 0) {
            i = from;
            for (; i + L <= to; i += L) {
                FloatVector.fromArray(S, g, dbOff + i).add(FloatVector.fromArray(S, dy, off + i)).intoArray(g, dbOff + i);
            }
            for (; i < to; i++) {
                g[dbOff + i] += dy[off + i];
            }
        }
    }

    @Override
    public void gelu(float[] out, float[] x, int from, int to) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector c2 = FloatVector.broadcast(S, C2);
        FloatVector c3 = FloatVector.broadcast(S, C3);
        FloatVector c4 = FloatVector.broadcast(S, C4);
        FloatVector c5 = FloatVector.broadcast(S, C5);
        FloatVector nLn2Hi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector nLn2Lo = FloatVector.broadcast(S, -LN2_LO);
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector z = v.mul(v.mul(v).fma(K2C, K2));
            FloatVector xE = z.neg().max(EXP_LO).min(EXP_HI); // e^x: PlainFloatOps.exp lane by lane
            FloatVector tE = xE.fma(LOG2E, ROUND);
            FloatVector kE = tE.sub(ROUND);
            FloatVector rE = kE.fma(nLn2Hi, xE);
            rE = kE.fma(nLn2Lo, rE);
            FloatVector pE = rE.fma(C7, C6);
            pE = pE.fma(rE, c5);
            pE = pE.fma(rE, c4);
            pE = pE.fma(rE, c3);
            pE = pE.fma(rE, c2);
            pE = pE.fma(rE, one);
            pE = pE.fma(rE, one);
            FloatVector e = pE.mul(tE.reinterpretAsInts().sub(ROUND_BITS - 127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            v.mul(one.div(e.add(1f))).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = PlainFloatOps.gelu(x[i]);
        }
    }

    @Override
    public void geluBackward(float[] dinp, float[] x, float[] dout, int from, int to, boolean accumulate) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector c2 = FloatVector.broadcast(S, C2);
        FloatVector c3 = FloatVector.broadcast(S, C3);
        FloatVector c4 = FloatVector.broadcast(S, C4);
        FloatVector c5 = FloatVector.broadcast(S, C5);
        FloatVector nLn2Hi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector nLn2Lo = FloatVector.broadcast(S, -LN2_LO);
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector x2 = v.mul(v);
            FloatVector z = v.mul(x2.fma(K2C, K2));
            FloatVector xE = z.neg().max(EXP_LO).min(EXP_HI); // e^x: PlainFloatOps.exp lane by lane
            FloatVector tE = xE.fma(LOG2E, ROUND);
            FloatVector kE = tE.sub(ROUND);
            FloatVector rE = kE.fma(nLn2Hi, xE);
            rE = kE.fma(nLn2Lo, rE);
            FloatVector pE = rE.fma(C7, C6);
            pE = pE.fma(rE, c5);
            pE = pE.fma(rE, c4);
            pE = pE.fma(rE, c3);
            pE = pE.fma(rE, c2);
            pE = pE.fma(rE, one);
            pE = pE.fma(rE, one);
            FloatVector e = pE.mul(tE.reinterpretAsInts().sub(ROUND_BITS - 127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector s = one.div(e.add(1f));
            FloatVector t = v.mul(s).mul(one.sub(s));
            FloatVector r = t.fma(x2.fma(K2C3, K2), s).mul(FloatVector.fromArray(S, dout, i));
            if (accumulate) {
                r = FloatVector.fromArray(S, dinp, i).add(r);
            }
            r.intoArray(dinp, i);
        }
        for (; i < to; i++) {
            float r = PlainFloatOps.geluGrad(x[i]) * dout[i];
            dinp[i] = accumulate ? dinp[i] + r : r;
        }
    }

    @Override
    public void swiglu(float[] out, float[] gate, float[] up, int from, int to) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector c2 = FloatVector.broadcast(S, C2);
        FloatVector c3 = FloatVector.broadcast(S, C3);
        FloatVector c4 = FloatVector.broadcast(S, C4);
        FloatVector c5 = FloatVector.broadcast(S, C5);
        FloatVector nLn2Hi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector nLn2Lo = FloatVector.broadcast(S, -LN2_LO);
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            FloatVector xE = g.neg().max(EXP_LO).min(EXP_HI); // e^x: PlainFloatOps.exp lane by lane
            FloatVector tE = xE.fma(LOG2E, ROUND);
            FloatVector kE = tE.sub(ROUND);
            FloatVector rE = kE.fma(nLn2Hi, xE);
            rE = kE.fma(nLn2Lo, rE);
            FloatVector pE = rE.fma(C7, C6);
            pE = pE.fma(rE, c5);
            pE = pE.fma(rE, c4);
            pE = pE.fma(rE, c3);
            pE = pE.fma(rE, c2);
            pE = pE.fma(rE, one);
            pE = pE.fma(rE, one);
            FloatVector e = pE.mul(tE.reinterpretAsInts().sub(ROUND_BITS - 127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            g.mul(one.div(e.add(1f))).mul(FloatVector.fromArray(S, up, i)).intoArray(out, i);
        }
        if (i < to) {
            PLAIN.swiglu(out, gate, up, i, to);
        }
    }

    @Override
    public void swigluBackward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int from, int to,
                               boolean accumulate) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector c2 = FloatVector.broadcast(S, C2);
        FloatVector c3 = FloatVector.broadcast(S, C3);
        FloatVector c4 = FloatVector.broadcast(S, C4);
        FloatVector c5 = FloatVector.broadcast(S, C5);
        FloatVector nLn2Hi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector nLn2Lo = FloatVector.broadcast(S, -LN2_LO);
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            FloatVector xE = g.neg().max(EXP_LO).min(EXP_HI); // e^x: PlainFloatOps.exp lane by lane
            FloatVector tE = xE.fma(LOG2E, ROUND);
            FloatVector kE = tE.sub(ROUND);
            FloatVector rE = kE.fma(nLn2Hi, xE);
            rE = kE.fma(nLn2Lo, rE);
            FloatVector pE = rE.fma(C7, C6);
            pE = pE.fma(rE, c5);
            pE = pE.fma(rE, c4);
            pE = pE.fma(rE, c3);
            pE = pE.fma(rE, c2);
            pE = pE.fma(rE, one);
            pE = pE.fma(rE, one);
            FloatVector e = pE.mul(tE.reinterpretAsInts().sub(ROUND_BITS - 127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector s = one.div(e.add(1f));
            FloatVector d = FloatVector.fromArray(S, dout, i);
            FloatVector ru = d.mul(g.mul(s));
            FloatVector rg = d.mul(FloatVector.fromArray(S, up, i)).mul(s).mul(g.fma(one.sub(s), one));
            if (accumulate) {
                ru = FloatVector.fromArray(S, dup, i).add(ru);
                rg = FloatVector.fromArray(S, dgate, i).add(rg);
            }
            ru.intoArray(dup, i);
            rg.intoArray(dgate, i);
        }
        if (i < to) {
            PLAIN.swigluBackward(dgate, dup, dout, gate, up, i, to, accumulate);
        }
    }

    @Override
    public void add(float[] out, float[] a, float[] b, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = a[i] + b[i];
        }
    }

    @Override
    public void adamw(float[] p, float[] g, int off, float[] m, float[] v, int mOff, int n, float gradScale, float beta1,
                      float beta2, float keep, float stepSize, float bc2Sqrt, float eps) {
        float ob1 = 1f - beta1;
        float ob2 = 1f - beta2;
        float inv = 1f / bc2Sqrt;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, off + i).mul(gradScale);
            FloatVector mi = FloatVector.fromArray(S, m, mOff + i).fma(FloatVector.broadcast(S, beta1), gi.mul(ob1));
            FloatVector vi = FloatVector.fromArray(S, v, mOff + i).fma(FloatVector.broadcast(S, beta2), gi.mul(ob2).mul(gi));
            mi.intoArray(m, mOff + i);
            vi.intoArray(v, mOff + i);
            FloatVector den = vi.sqrt().fma(inv, eps);
            FloatVector upd = mi.mul(stepSize).div(den);
            FloatVector.fromArray(S, p, off + i).fma(FloatVector.broadcast(S, keep), upd.neg()).intoArray(p, off + i);
        }
        if (i < n) {
            PLAIN.adamw(p, g, off + i, m, v, mOff + i, n - i, gradScale, beta1, beta2, keep, stepSize, bc2Sqrt, eps);
        }
    }
}
