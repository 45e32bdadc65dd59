package dev.finetune.pii;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * US Social Security numbers: {@code AAA-GG-SSSS} or {@code AAA GG SSSS} (one separator kind), and a bare
 * nine-digit run only when an SSN word ({@code ssn}, {@code social security}, {@code ss#}) is among the
 * four words before it. The SSA never issues area 000, 666 or 900-999, group 00 or serial 0000: those
 * are never reported.
 *
 * <p>A separated number that passes those rules is an SSN whatever the words around it (customers write
 * "my account: 536-22-1945"): dashed 0.85, spaced 0.6; an SSN word before it adds 0.3 (capped at 0.99);
 * a phone, order or account word lowers it, never below {@link Context#SURE_SHAPE_FLOOR}. The
 * placeholders everybody copies (078-05-1120 from the Woolworth wallet card, 219-09-9999 from an SSA
 * advertisement, 123-45-6789) and all-same-digit numbers are reported at the floor: redacting a
 * placeholder costs nothing, missing a real number does.
 */
final class SsnDetector implements Detector {
    // Look-behind and look-ahead keep the match off longer numbers; every quantifier is a fixed count.
    private static final Pattern SEPARATED = Pattern.compile("(?<![\\w\\-/.])(\\d{3})([- ])(\\d{2})\\2(\\d{4})(?![\\w\\-/]|\\.\\d)");
    private static final Pattern BARE = Pattern.compile("(?<![\\w\\-/.])(\\d{3})(\\d{2})(\\d{4})(?![\\w\\-/]|\\.\\d)");

    static final Set<String> POSITIVE = Set.of(
            "ssn", "ss", "ssns", "social security", "social", "security", "taxpayer", "tin", "itin", "ssa",
            "seguro social");
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
        if (!issuable(area, group, serial)) {
            return;
        }
        int polarity = Context.polarity(text, start, 4, POSITIVE, NEGATIVE);
        if (needsContext && polarity != Context.POSITIVE) {
            return;
        }
        double confidence;
        if (!plausible(area, group, serial)) {
            confidence = Context.SURE_SHAPE_FLOOR; // a placeholder or repeated digits
        } else if (polarity == Context.POSITIVE) {
            confidence = Math.min(base + 0.3, 0.99);
        } else if (polarity == Context.NEGATIVE) {
            confidence = Context.lowered(base, 0.3);
        } else {
            confidence = base;
        }
        out.add(Finding.of(PiiType.US_SSN, start, end, confidence, needsContext ? "ssn:bare+context" : "ssn",
                Masks.keepLast(text.substring(start, end), 4)));
    }

    /** The SSA's rules: never area 000, 666 or 900-999, group 00 or serial 0000. */
    static boolean issuable(String area, String group, String serial) {
        int a = Integer.parseInt(area);
        return a != 0 && a != 666 && a < 900 && !group.equals("00") && !serial.equals("0000");
    }

    /** Issuable, and neither repeated digits nor a well-known specimen number. */
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
