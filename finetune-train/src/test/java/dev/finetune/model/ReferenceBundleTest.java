package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Conformance to PyTorch: every bundle under test resources {@code reference/} and every folder listed
 * in the system property {@code reference.bundles} (comma-separated) must pass {@link ReferenceCheck}
 * (logits, loss, all gradients, AdamW losses and weights, greedy continuation).
 */
class ReferenceBundleTest {

    static List<Path> bundles() throws IOException, URISyntaxException {
        List<Path> out = new ArrayList<>();
        Path root = Path.of(ReferenceBundleTest.class.getResource("/reference").toURI());
        try (Stream<Path> s = Files.list(root)) {
            s.filter(d -> Files.isRegularFile(d.resolve("expected.safetensors"))).sorted().forEach(out::add);
        }
        String extra = System.getProperty("reference.bundles", "");
        Arrays.stream(extra.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(Path::of).forEach(out::add);
        return out;
    }

    @Test
    void findsTheBundledReferences() throws Exception {
        List<Path> b = bundles();
        assertTrue(b.stream().anyMatch(p -> p.getFileName().toString().equals("gpt2-tiny")), b.toString());
        assertTrue(b.stream().anyMatch(p -> p.getFileName().toString().equals("gpt2-tiny-noprefix")), b.toString());
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorchOnEveryBundle() throws Exception {
        return bundles().stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            ReferenceCheck.Report report = ReferenceCheck.run(dir);
            assertFalse(report.lines().isEmpty());
            assertTrue(report.passed(), report::describe);
        }));
    }
}
