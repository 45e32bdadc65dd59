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
 * Phone numbers through Google's libphonenumber: {@code findNumbers} with leniency {@code POSSIBLE} (the
 * right number of digits for the region's numbering plan) once per configured region, so that national
 * formats of each region are recognised; international formats ({@code +44 ...}) are found whatever the
 * region.
 *
 * <p>A value in a recognisable phone format is a phone number whatever the words around it, and even
 * when libphonenumber does not list its range as assigned (customers and test data use such numbers):
 * <ul>
 *   <li>{@code +CC ...} or {@code 00CC ...} with a country calling code that exists and a possible length
 *       ({@code +1 729-943-3738}, {@code +33 1 15 20 95 32}, {@code +14155552671});</li>
 *   <li>the North American {@code (NXX) NXX-XXXX}, {@code NXX-NXX-XXXX}, {@code NXX.NXX.XXXX} with an
 *       optional {@code +1}/{@code 1-} ({@code (733) 876-4483});</li>
 *   <li>a national format grouped as the region writes it ({@code 020 7946 0958}, {@code 01 23 45 67 89},
 *       {@code (030) 1234567}); for an unassigned range it must start with the trunk prefix 0 or a
 *       parenthesis.</li>
 * </ul>
 * Their confidence: valid (assigned range) international 0.9, valid national 0.75, unassigned 0.6; a
 * phone word before it ({@code call}, {@code téléphone}, {@code Telefon}, ...) adds 0.25, an identifier
 * word ({@code order}, {@code account}, {@code Bestellung}, ...) lowers it, never below
 * {@link Context#SURE_SHAPE_FLOOR}.
 *
 * <p>Other shapes are ambiguous: a bare digit run (0.35 valid, 0.2 unassigned) or digits grouped otherwise
 * (0.45 valid, 0.3 unassigned) is reported only after a phone word (+0.3), and never after an identifier
 * word. Shapes that are dates, dotted versions, ISBNs, an SSN ({@code AAA-GG-SSSS}, left to the SSN
 * rules), or a fragment of a longer number ({@code 4111 1111} inside a 16-digit run, {@code 2024-123456}
 * inside {@code ORD-2024-123456}) are never phone numbers.
 */
final class PhoneDetector implements Detector {
    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
    /** No valid number anywhere has fewer national digits than this; strings with fewer digits are skipped outright. */
    private static final int MIN_DIGITS = 7;

    static final double INTERNATIONAL = 0.9;
    static final double NATIONAL = 0.75;
    static final double UNASSIGNED = 0.6;
    static final double MISGROUPED = 0.45;
    static final double MISGROUPED_UNASSIGNED = 0.3;
    static final double BARE = 0.35;
    static final double BARE_UNASSIGNED = 0.2;
    static final double CONTEXT_BOOST = 0.3;
    static final double SURE_CONTEXT_BOOST = 0.25;
    static final double SURE_CONTEXT_PENALTY = 0.25;

    static final Set<String> POSITIVE = Set.of(
            "call", "phone", "tel", "telephone", "mobile", "cell", "cellphone", "fax", "whatsapp", "sms", "text",
            "ring", "dial", "number", "contact", "reach", "landline", "hotline", "phoned", "calling", "ph", "mob",
            "phone number", "mobile number", "cell number", "contact number",
            "téléphone", "tél", "portable", "appeler", "appelez", "joindre", "numéro", "fixe",
            "telefon", "telefonnummer", "handy", "handynummer", "mobil", "mobilnummer", "rufnummer", "anrufen", "nummer",
            "kontakt", "teléfono", "telefono", "móvil", "movil", "celular", "llamar", "llame", "número", "numero",
            "contacto", "cellulare");
    static final Set<String> NEGATIVE = Set.of(
            "order", "orders", "invoice", "isbn", "tracking", "track", "ref", "reference", "sku", "serial", "version",
            "ver", "build", "release", "ticket", "case", "po", "part", "model", "receipt", "transaction", "txn",
            "confirmation", "booking", "pnr", "id", "account", "acct", "iban", "card", "ssn", "zip", "postcode",
            "postal", "patent", "lot", "batch", "shipment", "parcel", "awb", "item", "product", "upc", "ean",
            "order number", "account number", "tracking number", "card number", "serial number", "reference number",
            "confirmation number", "invoice number", "case number", "ticket number", "part number", "model number",
            "id number", "routing number", "policy number", "member number", "customer number", "social security",
            "commande", "facture", "référence", "compte", "carte", "identifiant", "colis", "suivi", "dossier",
            "bestellung", "bestellnummer", "rechnung", "rechnungsnummer", "referenz", "konto", "kontonummer",
            "karte", "kartennummer", "kundennummer", "ausweis", "sendung", "sendungsnummer", "vorgang",
            "pedido", "factura", "referencia", "cuenta", "tarjeta", "identificación", "dni", "nif", "seguimiento",
            "envío", "expediente", "numéro de commande", "numéro de compte", "número de cuenta", "número de pedido",
            "po number", "purchase order", "order no", "ref no", "reference no", "invoice no", "account no", "booking number",
            "receipt number", "transaction number", "confirmation code", "employee number", "employee id", "student number",
            "member id", "batch number", "lot number", "item number", "sku number", "vat number", "tax number",
            "registration number", "license number", "licence number", "passport number", "tracking no", "customer id",
            "order id", "user id", "client id", "ticket id", "case id", "claim number", "claim", "policy", "voucher",
            "coupon", "pin", "otp", "code", "isin", "vin");

    private static final Pattern DATE = Pattern.compile(
            "\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}|\\d{1,2}[-/.]\\d{1,2}[-/.](?:\\d{4}|\\d{2})");
    /** The North American formats: {@code (NXX) NXX-XXXX}, {@code NXX-NXX-XXXX}, {@code NXX.NXX.XXXX}, {@code NXX NXX XXXX}, optionally after {@code +1} or {@code 1-}. */
    private static final Pattern NANP = Pattern.compile(
            "(?:\\+?1[-. ]?)?(?:\\([2-9]\\d{2}\\) ?[2-9]\\d{2}[-. ]\\d{4}|[2-9]\\d{2}-[2-9]\\d{2}-\\d{4}|[2-9]\\d{2}\\.[2-9]\\d{2}\\.\\d{4}"
            + "|[2-9]\\d{2} [2-9]\\d{2} \\d{4})");
    /** An extension after the number, as libphonenumber reads them ({@code ext. 12}, {@code x123}, {@code #12}). */
    private static final Pattern EXTENSION = Pattern.compile(
            "(?i)[\\s,;]*(?:ext(?:ension)?\\.?|x|#|;ext=|доб\\.?|anexo|poste|durchwahl)\\s*[:.]?\\s*\\d{1,7}\\s*$");
    /** The SSN form, which the SSN rules own. */
    private static final Pattern SSN_SHAPE = Pattern.compile("(\\d{3})([- ])(\\d{2})\\2(\\d{4})");

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
            for (PhoneNumberMatch m : UTIL.findNumbers(text, region, PhoneNumberUtil.Leniency.POSSIBLE, Long.MAX_VALUE)) {
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
                            "libphonenumber:" + (where == null ? "ZZ" : where) + (UTIL.isValidNumber(m.number()) ? "" : ":unassigned"),
                            Masks.keepLast(m.rawString(), 2)));
                }
            }
        }
        out.addAll(bySpan.values());
    }

    /** The confidence for a possible number at {@code [start, end)}, or 0 to reject it. */
    static double score(String text, int start, int end, String matched, Phonenumber.PhoneNumber number) {
        // the shape is judged on the number itself; "ext. 12" or "x123" after it is part of the finding
        String raw = number.hasExtension() ? EXTENSION.matcher(matched).replaceFirst("") : matched;
        if (raw.isEmpty()) {
            return 0;
        }
        if (isFragment(text, start, end) || DATE.matcher(raw).matches() || (looksLikeVersion(raw) && !NANP.matcher(raw).matches()) || looksLikeIsbn(raw)
                || isSsnShaped(raw)) {
            return 0;
        }
        if (looksLikeCard(raw)) {
            return 0;
        }
        boolean valid = UTIL.isValidNumber(number);
        int polarity = Context.polarity(text, start, 4, POSITIVE, NEGATIVE);
        PhoneNumberUtil.ValidationResult possible = UTIL.isPossibleNumberWithReason(number);
        if (!valid && possible == PhoneNumberUtil.ValidationResult.IS_POSSIBLE_LOCAL_ONLY) {
            // a local number without its area code ("555-2671"): a phone number only when a phone word says so
            return polarity == Context.POSITIVE && hasSeparators(raw) ? BARE_UNASSIGNED + CONTEXT_BOOST : 0;
        }
        if (!valid && possible != PhoneNumberUtil.ValidationResult.IS_POSSIBLE) {
            return 0; // too short or too long for any number of its country
        }
        double sure = sureShape(raw, number, valid);
        if (sure > 0) {
            if (polarity == Context.POSITIVE) {
                return Math.min(0.99, sure + SURE_CONTEXT_BOOST);
            }
            return polarity == Context.NEGATIVE ? Context.lowered(sure, SURE_CONTEXT_PENALTY) : sure;
        }
        if (polarity == Context.NEGATIVE) {
            return 0;
        }
        double base = hasSeparators(raw) ? (valid ? MISGROUPED : MISGROUPED_UNASSIGNED) : (valid ? BARE : BARE_UNASSIGNED);
        return Math.min(0.99, base + (polarity == Context.POSITIVE ? CONTEXT_BOOST : 0));
    }

    /** The base confidence of a recognisable phone format, or 0 when the shape is ambiguous. */
    private static double sureShape(String raw, Phonenumber.PhoneNumber number, boolean valid) {
        if (isInternational(raw, number)) {
            return valid ? INTERNATIONAL : UNASSIGNED;
        }
        if (number.getCountryCode() == 1 && NANP.matcher(raw).matches()) {
            return valid ? NATIONAL : UNASSIGNED;
        }
        if (hasSeparators(raw) && groupedLikeRegion(raw, number)) {
            if (valid) {
                return NATIONAL;
            }
            char first = raw.charAt(0);
            return first == '0' || first == '(' ? UNASSIGNED : 0;
        }
        return 0;
    }

    /** 13 or more digits, not international, passing Luhn: the card rules decide. */
    private static boolean looksLikeCard(String raw) {
        if (raw.startsWith("+")) {
            return false;
        }
        StringBuilder d = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            if (Context.isAsciiDigit(raw.charAt(i))) {
                d.append(raw.charAt(i));
            }
        }
        return d.length() >= 13 && Checksums.luhn(d);
    }

    /** {@code +CC ...}, or an international call prefix ({@code 00}, {@code 011}), the number's country code and separators ({@code 0033 1 23 45 67 89}). */
    private static boolean isInternational(String raw, Phonenumber.PhoneNumber number) {
        if (raw.startsWith("+")) {
            return true;
        }
        if (!hasSeparators(raw)) {
            return false; // "00524037528719" is as likely an account number
        }
        String digits = raw.replaceAll("[^0-9]", "");
        String cc = String.valueOf(number.getCountryCode());
        return (digits.startsWith("00") && digits.startsWith(cc, 2)) || (digits.startsWith("011") && digits.startsWith(cc, 3));
    }

    /** {@code AAA-GG-SSSS} or {@code AAA GG SSSS} that the SSA could issue: the SSN rules report it. */
    private static boolean isSsnShaped(String raw) {
        java.util.regex.Matcher m = SSN_SHAPE.matcher(raw);
        return m.matches() && SsnDetector.issuable(m.group(1), m.group(3), m.group(4));
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
                // "ORD-2024-..." continues a token; "tel:+1 ..." and "Phone:415-..." are a label and its value
                if (Context.isAsciiDigit(pp) ? !(p == ' ' && endsTimeOrDecimal(text, start - 2))
                        : (p != ' ' && p != ':' && Context.isIdentChar(pp))) {
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
        if (raw.indexOf('.') < 0 || raw.startsWith("+")) {
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
