package dev.finetune.pii;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Precision and recall on the generated labelled corpus (seed 20250915, 3,000 samples), printed as a
 * table. Run alone with {@code mvn -q -B -pl finetune-validation -am verify -Dtest=PiiQualityTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class PiiQualityTest {
    static final long SEED = 20250915L;
    static final int SAMPLES = 3000;

    @Test
    void meetsRecallAndPrecisionTargetsOnLabelledCorpus() {
        List<PiiQuality.Sample> corpus = PiiCorpus.generate(SEED, SAMPLES);
        PiiQuality.Report report = PiiQuality.measure(PiiScanner.defaults(), corpus);
        System.out.println("PII detection quality, seed " + SEED + ":");
        System.out.print(report.table());
        int shown = 0;
        for (PiiQuality.Error e : report.errors()) {
            if (shown++ < 40) {
                // The corpus is synthetic, so showing the text around an error leaks nothing.
                String text = corpus.get(e.sample()).text();
                System.out.printf(Locale.ROOT, "  %s %s [%d,%d) \"%s\" in: %s%n", e.kind(), e.label(), e.start(), e.end(),
                        text.substring(e.start(), e.end()).replace("\n", "\\n"), text.replace("\n", "\\n"));
            }
        }
        for (String type : List.of("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET")) {
            assertTrue(report.byLabel().containsKey(type), "corpus plants " + type);
            assertTrue(report.byLabel().get(type).truePositives() >= 50, "at least 50 planted " + type + " found");
        }
        for (PiiQuality.Score s : report.byLabel().values()) {
            assertTrue(s.recall() >= 0.95, s.label() + " recall " + s.recall() + " >= 0.95");
        }
        assertTrue(report.overall().recall() >= 0.98, "overall recall " + report.overall().recall() + " >= 0.98");
        assertTrue(report.overall().precision() >= 0.95, "overall precision " + report.overall().precision() + " >= 0.95");
    }

    @Test
    void corpusIsAFunctionOfTheSeed() {
        assertEquals(PiiCorpus.generate(7, 50), PiiCorpus.generate(7, 50));
    }

    @Test
    void scoresCountExactSpansOnly() {
        PiiScanner scanner = PiiScanner.builder().enabledTypes(java.util.EnumSet.of(PiiType.EMAIL_ADDRESS)).build();
        String text = "mail ann@example.com and bob@example.org";
        PiiQuality.Report r = PiiQuality.measure(scanner, List.of(new PiiQuality.Sample(text, List.of(
                new PiiQuality.Span("EMAIL_ADDRESS", 5, 20),       // exact: true positive
                new PiiQuality.Span("EMAIL_ADDRESS", 25, 36)))));  // truncated gold: a miss and a false alarm
        PiiQuality.Score s = r.byLabel().get("EMAIL_ADDRESS");
        assertEquals(1, s.truePositives());
        assertEquals(1, s.falsePositives());
        assertEquals(1, s.falseNegatives());
        assertEquals(0.5, s.precision(), 1e-12);
        assertEquals(0.5, s.recall(), 1e-12);
    }
}
