package dev.finetune.pii;

import com.google.i18n.phonenumbers.PhoneNumberMatch;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Phone numbers through Google's libphonenumber: {@code findNumbers} with leniency {@code VALID} (the
 * number must be a valid number of its region per the numbering-plan metadata) once per configured region,
 * so that national formats of each region are recognised; international formats ({@code +44 ...}) are
 * found whatever the region.
 *
 * <p>Validity alone is not enough in running text: most 10-digit strings are valid North American or
 * Indian numbers. So the confidence depends on the shape and the words before it:
 * <ul>
 *   <li>{@code +CC ...} international form 0.85; national form grouped as the region writes it
 *       ({@code (415) 555-2671}, {@code 020 7946 0958}) 0.6; grouped otherwise ({@code 666-12-1234}) 0.45;
 *       a bare digit run 0.35; the last two are below the default threshold without a phone word;</li>
 *   <li>a phone word just before it ({@code call}, {@code phone}, {@code tel}, {@code mobile}, ...) adds 0.3;</li>
 *   <li>an identifier word ({@code order}, {@code invoice}, {@code isbn}, {@code tracking}, {@code version}, ...)
 *       rejects it, as do shapes that are dates, dotted versions, ISBNs, or a fragment of a longer number
 *       ({@code 4111 1111} inside a 16-digit run, {@code 2024-123456} inside {@code ORD-2024-123456}).</li>
 * </ul>
 */
final class PhoneDetector implements Detector {
    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
    /** No valid number anywhere has fewer national digits than this; strings with fewer digits are skipped outright. */
    private static final int MIN_DIGITS = 7;

    static final double INTERNATIONAL = 0.85;
    static final double GROUPED = 0.6;
    static final double MISGROUPED = 0.45;
    static final double BARE = 0.35;
    static final double CONTEXT_BOOST = 0.3;

    static final Set<String> POSITIVE = Set.of(
            "call", "phone", "tel", "telephone", "mobile", "cell", "cellphone", "fax", "whatsapp", "sms", "text",
            "ring", "dial", "number", "contact", "reach", "landline", "hotline", "phoned", "calling", "ph", "mob");
    static final Set<String> NEGATIVE = Set.of(
            "order", "orders", "invoice", "isbn", "tracking", "track", "ref", "reference", "sku", "serial", "version",
            "ver", "build", "release", "ticket", "case", "po", "part", "model", "receipt", "transaction", "txn",
            "confirmation", "booking", "pnr", "id", "account", "acct", "iban", "card", "ssn", "zip", "postcode",
            "postal", "patent", "lot", "batch", "shipment", "parcel", "awb", "item", "product", "upc", "ean",
            "order number", "account number", "tracking number", "card number", "serial number", "reference number",
            "confirmation number", "invoice number", "case number", "ticket number", "part number", "model number",
            "id number", "routing number", "policy number", "member number", "customer number", "social security");

    private static final Pattern DATE = Pattern.compile(
            "\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}|\\d{1,2}[-/.]\\d{1,2}[-/.](?:\\d{4}|\\d{2})");

    private final List<String> regions;

    PhoneDetector(List<String> regions) {
        this.regions = List.copyOf(regions);
    }

    @Override
    public void detect(String text, List<Finding> out) {
        if (countDigits(text) < MIN_DIGITS) {
            return;
        }
        Map<Long, Finding> bySpan = new HashMap<>();
        for (String region : regions) {
            for (PhoneNumberMatch m : UTIL.findNumbers(text, region, PhoneNumberUtil.Leniency.VALID, Long.MAX_VALUE)) {
                int start = m.start();
                int end = m.end();
                double confidence = score(text, start, end, m.rawString(), m.number());
                if (confidence <= 0) {
                    continue;
                }
                long key = ((long) start << 32) | end;
                Finding prev = bySpan.get(key);
                if (prev == null || prev.confidence() < confidence) {
                    String where = UTIL.getRegionCodeForNumber(m.number());
                    bySpan.put(key, Finding.of(PiiType.PHONE_NUMBER, start, end, confidence,
                            "libphonenumber:" + (where == null ? "ZZ" : where), Masks.keepLast(m.rawString(), 2)));
                }
            }
        }
        out.addAll(bySpan.values());
    }

    /** The confidence for a valid number at {@code [start, end)}, or 0 to reject it. */
    static double score(String text, int start, int end, String raw, Phonenumber.PhoneNumber number) {
        if (isFragment(text, start, end) || DATE.matcher(raw).matches() || looksLikeVersion(raw) || looksLikeIsbn(raw)) {
            return 0;
        }
        int polarity = Context.polarity(text, start, 4, POSITIVE, NEGATIVE);
        if (polarity == Context.NEGATIVE) {
            return 0;
        }
        double base;
        if (raw.startsWith("+")) {
            base = INTERNATIONAL;
        } else if (hasSeparators(raw)) {
            base = groupedLikeRegion(raw, number) ? GROUPED : MISGROUPED;
        } else {
            base = BARE;
        }
        return Math.min(0.99, base + (polarity == Context.POSITIVE ? CONTEXT_BOOST : 0));
    }

    /**
     * Whether the digit groups of a national-format number are those the region writes: libphonenumber's
     * national format of {@code (415) 555-2671} groups 3-3-4, so {@code 415-555-2671} agrees and
     * {@code 666-12-1234} (an SSN shape that happens to be a valid Spanish mobile) does not.
     */
    static boolean groupedLikeRegion(String raw, Phonenumber.PhoneNumber number) {
        String national = UTIL.format(number, PhoneNumberUtil.PhoneNumberFormat.NATIONAL);
        return digitGroups(raw).equals(digitGroups(national));
    }

    private static java.util.List<Integer> digitGroups(String s) {
        java.util.List<Integer> groups = new java.util.ArrayList<>();
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            if (Context.isAsciiDigit(s.charAt(i))) {
                run++;
            } else if (run > 0) {
                groups.add(run);
                run = 0;
            }
        }
        if (run > 0) {
            groups.add(run);
        }
        return groups;
    }

    private static boolean hasSeparators(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            if (!Context.isAsciiDigit(raw.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A match that continues a longer token: a digit group or letters joined by a separator before or after
     * it (one of {@code " -./:_"}), or a decimal point. libphonenumber happily finds {@code 4111 1111} inside
     * {@code 4111 1111 1111 1112}.
     */
    static boolean isFragment(String text, int start, int end) {
        if (start > 0) {
            char p = text.charAt(start - 1);
            if (Context.isIdentChar(p)) {
                return true;
            }
            if (start > 1 && isJoiner(p)) {
                char pp = text.charAt(start - 2);
                if (Context.isAsciiDigit(pp) ? !(p == ' ' && endsTimeOrDecimal(text, start - 2)) : (p != ' ' && Context.isIdentChar(pp))) {
                    return true;
                }
            }
        }
        if (end < text.length()) {
            char q = text.charAt(end);
            if (Context.isIdentChar(q)) {
                return true;
            }
            if (end + 1 < text.length() && isJoiner(q)) {
                char qq = text.charAt(end + 1);
                if (Context.isAsciiDigit(qq) ? !(q == ' ' && startsTimeOrDecimal(text, end + 1)) : (q != ' ' && Context.isIdentChar(qq))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The digit run ending at {@code last} is the tail of a time, date or decimal ({@code 09:15}, {@code 3.5}). */
    private static boolean endsTimeOrDecimal(String text, int last) {
        int i = last;
        while (i >= 0 && Context.isAsciiDigit(text.charAt(i))) {
            i--;
        }
        return i > 0 && (text.charAt(i) == ':' || text.charAt(i) == '.' || text.charAt(i) == ',' || text.charAt(i) == '/')
                && Context.isAsciiDigit(text.charAt(i - 1));
    }

    /** The digit run starting at {@code first} is the head of a time, date or decimal. */
    private static boolean startsTimeOrDecimal(String text, int first) {
        int i = first;
        while (i < text.length() && Context.isAsciiDigit(text.charAt(i))) {
            i++;
        }
        return i + 1 < text.length() && (text.charAt(i) == ':' || text.charAt(i) == '.' || text.charAt(i) == ',' || text.charAt(i) == '/')
                && Context.isAsciiDigit(text.charAt(i + 1));
    }

    private static boolean isJoiner(char c) {
        return c == ' ' || c == '-' || c == '.' || c == '/' || c == ':' || c == '_';
    }

    /** {@code 10.0.19045.2965}: dots, but not the 2-4 digit groups of a dotted phone ({@code 01.23.45.67.89}). */
    private static boolean looksLikeVersion(String raw) {
        if (raw.indexOf('.') < 0) {
            return false;
        }
        String[] groups = raw.split("[.]", -1);
        if (groups.length < 3) {
            return true;
        }
        for (String g : groups) {
            String digits = g.replaceAll("[^0-9]", "");
            if (digits.length() < 2 || digits.length() > 4) {
                return true;
            }
        }
        return false;
    }

    /** An ISBN-13 (978/979 and a valid check digit) or a hyphenated ISBN-10 with a valid check digit. */
    private static boolean looksLikeIsbn(String raw) {
        String digits = raw.replaceAll("[^0-9Xx]", "");
        if (digits.length() == 13 && (digits.startsWith("978") || digits.startsWith("979")) && Checksums.isbn13(digits)) {
            return true;
        }
        return digits.length() == 10 && raw.split("-").length == 4 && Checksums.isbn10(digits);
    }

    private static int countDigits(String text) {
        int d = 0;
        for (int i = 0; i < text.length() && d < MIN_DIGITS; i++) {
            if (Context.isAsciiDigit(text.charAt(i))) {
                d++;
            }
        }
        return d;
    }
}
