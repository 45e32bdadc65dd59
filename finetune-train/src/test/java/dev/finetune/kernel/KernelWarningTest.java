package dev.finetune.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A JVM without the Vector API module is told once, at the first kernel use, what it is missing. */
class KernelWarningTest {

    /** The child: uses a kernel twice and prints what {@link Kernels#describe()} reports. */
    public static void main(String[] args) {
        Kernels.gemm();
        Kernels.gemm();
        System.out.println("describe " + Kernels.describe());
    }

    private static String run(String... jvmFlags) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelWarningTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void withoutTheModuleOneWarnNamesTheFlag() throws Exception {
        String out = run();
        long warnings = out.lines().filter(l -> l.contains("WARN") && l.contains("--add-modules jdk.incubator.vector")).count();
        assertEquals(1, warnings, out);
        assertTrue(out.contains("kernel=scalar"), out);
    }

    @Test
    void withTheModuleNoWarningAndTheVectorKernel() throws Exception {
        String out = run("--add-modules=jdk.incubator.vector");
        assertTrue(out.lines().noneMatch(l -> l.contains("WARN") && l.contains("Vector API")), out);
        assertTrue(out.contains("kernel=vector"), out);
    }
}
