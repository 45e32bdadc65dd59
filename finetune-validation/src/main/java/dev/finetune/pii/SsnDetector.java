package dev.finetune.pii;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * US Social Security numbers: {@code AAA-GG-SSSS} or {@code AAA GG SSSS} (one separator kind), and a bare
 * nine-digit run only when an SSN word ({@code ssn}, {@code social security}, {@code ss#}) is among the
 * four words before it. The SSA never issues area 000, 666 or 900-999, group 00 or serial 0000; we also
 * reject all-same-digit numbers and the well-known specimen numbers 078-05-1120 (the Woolworth wallet
 * card), 219-09-9999 (an SSA advertisement) and 123-45-6789 (never issued; it is the textbook
 * placeholder, so flagging it would only redact examples).
 *
 * <p>Confidence: dashed 0.85, spaced 0.6, bare 0.6; an SSN word before it adds 0.3 (capped at 0.99);
 * a phone, order or account word before it subtracts 0.5.
 */
final class SsnDetector implements Detector {
    // Look-behind and look-ahead keep the match off longer numbers; every quantifier is a fixed count.
    private static final Pattern SEPARATED = Pattern.compile("(?<![\\w\\-/.])(\\d{3})([- ])(\\d{2})\\2(\\d{4})(?![\\w\\-/]|\\.\\d)");
    private static final Pattern BARE = Pattern.compile("(?<![\\w\\-/.])(\\d{3})(\\d{2})(\\d{4})(?![\\w\\-/]|\\.\\d)");

    static final Set<String> POSITIVE = Set.of(
            "ssn", "ss", "ssns", "social security", "social", "security", "taxpayer", "tin", "itin", "ssa");
    static final Set<String> NEGATIVE = Set.of(
            "phone", "tel", "call", "mobile", "fax", "order", "invoice", "tracking", "ref", "reference", "account",
            "acct", "routing", "zip", "isbn", "sku", "serial", "ticket", "id", "batch", "lot", "order number", "routing number");
    private static final Set<String> SPECIMENS = Set.of("078051120", "219099999", "123456789");

    @Override
    public void detect(String text, List<Finding> out) {
        Matcher m = SEPARATED.matcher(text);
        while (m.find()) {
            double base = m.group(2).equals("-") ? 0.85 : 0.6;
            add(text, m.start(), m.end(), m.group(1), m.group(3), m.group(4), base, false, out);
        }
        m = BARE.matcher(text);
        while (m.find()) {
            add(text, m.start(), m.end(), m.group(1), m.group(2), m.group(3), 0.6, true, out);
        }
    }

    private static void add(String text, int start, int end, String area, String group, String serial, double base,
                            boolean needsContext, List<Finding> out) {
        if (!plausible(area, group, serial)) {
            return;
        }
        int polarity = Context.polarity(text, start, 4, POSITIVE, NEGATIVE);
        if (needsContext && polarity != Context.POSITIVE) {
            return;
        }
        double confidence = base + (polarity == Context.POSITIVE ? 0.3 : polarity == Context.NEGATIVE ? -0.5 : 0);
        if (confidence <= 0) {
            return;
        }
        out.add(Finding.of(PiiType.US_SSN, start, end, Math.min(confidence, 0.99), needsContext ? "ssn:bare+context" : "ssn",
                Masks.keepLast(text.substring(start, end), 4)));
    }

    /** The SSA's never-issued ranges, repeated digits and specimen numbers are not SSNs. */
    static boolean plausible(String area, String group, String serial) {
        int a = Integer.parseInt(area);
        if (a == 0 || a == 666 || a >= 900) {
            return false;
        }
        if (group.equals("00") || serial.equals("0000")) {
            return false;
        }
        String all = area + group + serial;
        if (all.chars().allMatch(c -> c == all.charAt(0))) {
            return false;
        }
        return !SPECIMENS.contains(all);
    }
}
