package dev.finetune.kernel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the kernels once, at start-up: the Vector API GEMM when the JVM has the
 * {@code jdk.incubator.vector} module (run with {@code --add-modules jdk.incubator.vector}; the
 * {@code ./finetune} launcher adds it) and the system property {@code finetune.vector} is not
 * {@code false}; otherwise the plain-Java blocked GEMM. {@link NaiveGemm} stays as the reference both
 * are tested against.
 */
public final class Kernels {
    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);
    private static final Gemm GEMM = choose();
    private static final Dot DOT = chooseDot();
    private static final FloatOps OPS = chooseOps();
    private static final MatVecKernel MAT_VEC = chooseMatVec();

    private Kernels() {
    }

    /** The fastest {@link Gemm} available on this JVM. */
    public static Gemm gemm() {
        return GEMM;
    }

    /** The fastest {@link Dot} available on this JVM. */
    public static Dot dot() {
        return DOT;
    }

    /** The fastest {@link FloatOps} available on this JVM (the Vector API one when present). */
    public static FloatOps floatOps() {
        return OPS;
    }

    private static FloatOps chooseOps() {
        if (vectorAvailable()) {
            try {
                return (FloatOps) Class.forName("dev.finetune.kernel.VectorFloatOps").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                LOG.warn("the Vector API element kernels could not be loaded ({})", e.toString());
            }
        }
        return new PlainFloatOps();
    }

    /** The fastest {@link MatVecKernel} available on this JVM (the decode step's products). */
    public static MatVecKernel matVec() {
        return MAT_VEC;
    }

    /** The Vector API matrix-vector kernels, or empty when the module is missing (never loads the class then). */
    public static java.util.Optional<MatVecKernel> vectorMatVec() {
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of((MatVecKernel) Class.forName("dev.finetune.kernel.VectorMatVec").getDeclaredConstructor()
                    .newInstance());
        } catch (ReflectiveOperationException | LinkageError | UnsupportedOperationException e) {
            LOG.warn("the Vector API matrix-vector kernels could not be loaded ({}); using the plain-Java ones", e.toString());
            return java.util.Optional.empty();
        }
    }

    private static MatVecKernel chooseMatVec() {
        return vectorAvailable() ? vectorMatVec().orElse(MatVecKernel.PLAIN) : MatVecKernel.PLAIN;
    }

    private static Dot chooseDot() {
        if (vectorAvailable()) {
            try {
                return (Dot) Class.forName("dev.finetune.kernel.VectorDot").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                LOG.warn("the Vector API dot product could not be loaded ({})", e.toString());
            }
        }
        return Dot.PLAIN;
    }

    /** Whether the Vector API module is present and allowed. */
    public static boolean vectorAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                && !"false".equalsIgnoreCase(System.getProperty("finetune.vector"));
    }

    /** The Vector API GEMM, or empty when the module is missing (never loads the class then). */
    public static java.util.Optional<Gemm> vectorGemm() {
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of((Gemm) Class.forName("dev.finetune.kernel.VectorGemm").getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("the Vector API GEMM could not be loaded ({}); using the plain-Java kernel", e.toString());
            return java.util.Optional.empty();
        }
    }

    /**
     * The float FMA peak of this machine as the JVM reaches it, in GFLOP/s over all the pool's threads
     * (independent vector FMA chains, no memory traffic), measured for about {@code seconds}; empty
     * without the Vector API.
     */
    public static java.util.OptionalDouble fmaPeakGflops(double seconds) {
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            return java.util.OptionalDouble.empty();
        }
        try {
            Class<?> c = Class.forName("dev.finetune.kernel.FmaPeak");
            java.lang.reflect.Method m = c.getDeclaredMethod("gflops", double.class);
            m.setAccessible(true);
            return java.util.OptionalDouble.of((double) m.invoke(null, seconds));
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("the FMA peak probe could not run ({})", e.toString());
            return java.util.OptionalDouble.empty();
        }
    }

    private static Gemm choose() {
        if (vectorAvailable()) {
            java.util.Optional<Gemm> v = vectorGemm();
            if (v.isPresent()) {
                LOG.debug("GEMM: Vector API kernel, {} threads", Parallel.threads());
                return v.get();
            }
        }
        if ("false".equalsIgnoreCase(System.getProperty("finetune.vector"))) {
            LOG.info("GEMM: plain-Java blocked kernel (-Dfinetune.vector=false), {} threads", Parallel.threads());
        } else {
            LOG.warn("the Vector API is not available to this JVM, so the plain-Java matmul runs: training and decoding are "
                    + "several times slower (about a tenth of the vector kernel's GFLOP/s). Start java with "
                    + "--add-modules jdk.incubator.vector (Maven: Surefire's argLine, exec's <argument>; the ./finetune "
                    + "launcher adds it)");
        }
        return new BlockedGemm();
    }

    /**
     * The kernels in use, for a health check: {@code kernel} is {@code vector} (the Vector API GEMM) or
     * {@code scalar} (plain Java), {@code vector_bits} the preferred vector width when known, and
     * {@code threads} the size of the library's pool.
     */
    public static java.util.Map<String, String> describe() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        boolean vector = !(GEMM instanceof BlockedGemm);
        m.put("kernel", vector ? "vector" : "scalar");
        m.put("gemm", GEMM.getClass().getSimpleName());
        m.put("mat_vec", MAT_VEC.getClass().getSimpleName());
        m.put("threads", Integer.toString(Parallel.threads()));
        if (!vector) {
            m.put("hint", "start java with --add-modules jdk.incubator.vector for the vector kernel");
        }
        return m;
    }
}
