package dev.finetune.pii;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * International bank account numbers: an ISO country code (upper or lower case) from the registry table below, two
 * check digits and the country's BBAN length, written compact ({@code DE89370400440532013000}) or in
 * groups of four separated by single spaces ({@code DE89 3704 0044 0532 0130 00}), passing ISO 7064
 * mod 97-10. The check catches all single-character errors and all but one in 97 random strings of
 * the right shape, so a passing IBAN is reported with confidence 0.95.
 */
final class IbanDetector implements Detector {
    /** Total IBAN length per country (SWIFT IBAN registry). Public so tests can generate valid IBANs. */
    static final Map<String, Integer> LENGTHS;

    static {
        Map<String, Integer> m = new TreeMap<>();
        Object[] table = {
            "AD", 24, "AE", 23, "AL", 28, "AT", 20, "AZ", 28, "BA", 20, "BE", 16, "BG", 22, "BH", 22, "BI", 27,
            "BR", 29, "BY", 28, "CH", 21, "CR", 22, "CY", 28, "CZ", 24, "DE", 22, "DJ", 27, "DK", 18, "DO", 28,
            "EE", 20, "EG", 29, "ES", 24, "FI", 18, "FK", 18, "FO", 18, "FR", 27, "GB", 22, "GE", 22, "GI", 23,
            "GL", 18, "GR", 27, "GT", 28, "HR", 21, "HU", 28, "IE", 22, "IL", 23, "IQ", 23, "IS", 26, "IT", 27,
            "JO", 30, "KW", 30, "KZ", 20, "LB", 28, "LC", 32, "LI", 21, "LT", 20, "LU", 20, "LV", 21, "LY", 25,
            "MC", 27, "MD", 24, "ME", 22, "MK", 19, "MN", 20, "MR", 27, "MT", 31, "MU", 30, "NI", 28, "NL", 18,
            "NO", 15, "OM", 23, "PK", 24, "PL", 28, "PS", 29, "PT", 25, "QA", 29, "RO", 24, "RS", 22, "RU", 33,
            "SA", 24, "SC", 31, "SD", 18, "SE", 24, "SI", 19, "SK", 24, "SM", 27, "SO", 23, "ST", 25, "SV", 28,
            "TL", 23, "TN", 24, "TR", 26, "UA", 29, "VA", 22, "VG", 24, "XK", 20,
        };
        for (int i = 0; i < table.length; i += 2) {
            m.put((String) table[i], (Integer) table[i + 1]);
        }
        LENGTHS = java.util.Collections.unmodifiableMap(m);
    }

    static final double CONFIDENCE = 0.95;

    @Override
    public void detect(String text, List<Finding> out) {
        int n = text.length();
        for (int i = 0; i + 4 <= n; i++) {
            char c0 = text.charAt(i);
            if (!Context.isAsciiLetter(c0)) {
                continue;
            }
            char c1 = text.charAt(i + 1);
            if (!Context.isAsciiLetter(c1) || !Context.isAsciiDigit(text.charAt(i + 2)) || !Context.isAsciiDigit(text.charAt(i + 3))) {
                continue;
            }
            if (i > 0 && Context.isIdentChar(text.charAt(i - 1))) {
                continue;
            }
            // people also type it in lower case ("gb82 west ..."); the check digits decide either way
            Integer length = LENGTHS.get(text.substring(i, i + 2).toUpperCase(java.util.Locale.ROOT));
            if (length == null) {
                continue;
            }
            int end = read(text, i, length);
            if (end < 0) {
                continue;
            }
            String compact = text.substring(i, end).replace(" ", "");
            if (Checksums.ibanMod97(compact) == 1) {
                out.add(Finding.of(PiiType.IBAN, i, end, CONFIDENCE, "iban:" + text.substring(i, i + 2).toUpperCase(java.util.Locale.ROOT),
                        Masks.iban(text.substring(i, end))));
                i = end - 1;
            }
        }
    }

    /**
     * Reads {@code length} alphanumerics from {@code start}, allowing a single space after every fourth one
     * if (and only if) the first group is followed by one; returns the end offset, or -1 when the shape is
     * wrong or the IBAN runs on into more alphanumerics.
     */
    private static int read(String text, int start, int length) {
        int n = text.length();
        int count = 0;
        int pos = start;
        Boolean spaced = null;
        while (count < length) {
            if (pos >= n) {
                return -1;
            }
            char c = text.charAt(pos);
            if (count > 0 && count % 4 == 0 && spaced == null) {
                spaced = c == ' ';
            }
            if (count > 0 && count % 4 == 0 && spaced) {
                if (c != ' ') {
                    return -1;
                }
                pos++;
                if (pos >= n) {
                    return -1;
                }
                c = text.charAt(pos);
            }
            if (!Context.isWordChar(c)) {
                return -1;
            }
            count++;
            pos++;
        }
        if (pos < n && Context.isIdentChar(text.charAt(pos))) {
            return -1;
        }
        return pos;
    }
}
