package dev.finetune.kernel;

/** Dot products of float runs: {@code sum a[aOff+i]·b[bOff+i]} for i in 0..n. */
public interface Dot {
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** The plain-Java version: four independent partial sums (a scalar reduction does not vectorize in order). */
    Dot PLAIN = (a, aOff, b, bOff, n) -> {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[aOff + i] * b[bOff + i];
        }
        return (s0 + s1) + (s2 + s3);
    };
}
