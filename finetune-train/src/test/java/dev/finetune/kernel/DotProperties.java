package dev.finetune.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class DotProperties {
    @Property(tries = 300)
    void vectorAndPlainDotsMatchADoubleSum(@ForAll @IntRange(min = 0, max = 300) int n, @ForAll @IntRange(min = 0, max = 5) int off,
                                           @ForAll long seed) {
        Random r = new Random(seed);
        float[] a = new float[n + off];
        float[] b = new float[n + 2 * off];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextFloat() * 2 - 1;
        }
        double exact = 0;
        for (int i = 0; i < n; i++) {
            exact += (double) a[off + i] * b[2 * off + i];
        }
        // float sums in another order: a few ulps of sum |a·b| <= n
        double tol = 1e-5 * (n + 1);
        assertEquals(exact, Dot.PLAIN.dot(a, off, b, 2 * off, n), tol);
        assertEquals(exact, Kernels.dot().dot(a, off, b, 2 * off, n), tol);
        assertEquals(exact, new VectorDot().dot(a, off, b, 2 * off, n), tol);
    }
}
