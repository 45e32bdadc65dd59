package dev.finetune.pii;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user-supplied named pattern ({@code EMPLOYEE_ID = E\d{6}}). The whole match is the value. Matching
 * runs under a budget of character reads proportional to the text length, so a pattern that backtracks
 * catastrophically is abandoned on that string with a warning (which names the pattern and the length,
 * never the text) instead of stalling the scan.
 */
final class CustomDetector implements Detector {
    private static final Logger LOG = LoggerFactory.getLogger(CustomDetector.class);
    /** Character reads allowed per character of input, plus a floor for short strings. */
    static final long READS_PER_CHAR = 200;
    static final long MIN_READS = 100_000;

    private final String name;
    private final Pattern pattern;
    private final double confidence;

    CustomDetector(String name, Pattern pattern, double confidence) {
        this.name = name;
        this.pattern = pattern;
        this.confidence = confidence;
    }

    String name() {
        return name;
    }

    Pattern pattern() {
        return pattern;
    }

    double confidence() {
        return confidence;
    }

    @Override
    public void detect(String text, List<Finding> out) {
        long budget = Math.max(MIN_READS, READS_PER_CHAR * (long) text.length());
        Matcher m = pattern.matcher(new BudgetedCharSequence(text, budget));
        try {
            while (m.find()) {
                if (m.end() > m.start()) {
                    out.add(Finding.custom(name, m.start(), m.end(), confidence, Masks.generic(text.substring(m.start(), m.end()))));
                }
            }
        } catch (BudgetedCharSequence.BudgetExceeded e) {
            LOG.warn("custom PII pattern {} exceeded its matching budget ({} character reads) on a {}-character value; "
                    + "its matches in this value are incomplete. Simplify the pattern (avoid nested quantifiers).",
                    name, budget, text.length());
        }
    }
}
