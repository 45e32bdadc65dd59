package dev.finetune.pii;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Payment card numbers (PANs): 13-19 digits, either one run or groups separated by single spaces or
 * single dashes (one kind per number, first group of four: {@code 4111 1111 1111 1111},
 * {@code 3782-822463-10005}), that pass the Luhn check. A Luhn-invalid number is never reported.
 *
 * <p>A number that passes Luhn, starts with a card brand's issuer prefix (IIN) and stands alone (not a
 * window of a longer run of digit groups) is a card number whatever the words around it: 0.9 when the
 * brand issues that length, 0.55 otherwise; card words before it raise it (up to 0.99), identifier
 * words ({@code order}, {@code account}, {@code Bestellung}, ...) lower it, but never below
 * {@link Context#SURE_SHAPE_FLOOR}, so the default threshold keeps it. Since one random digit string
 * in ten passes Luhn, a number with no known IIN (0.35) or one that is only part of a longer chain (a
 * 22-digit tracking number, minus 0.45) is reported only after a card word. A card followed by a short
 * group that does not make the whole a card-shaped number (two digits at most: the month of an expiry date, {@code 12/27})
 * is still a card.
 */
final class CardDetector implements Detector {
    private static final int MIN_DIGITS = 13;
    private static final int MAX_DIGITS = 19;

    static final Set<String> POSITIVE = Set.of(
            "card", "credit", "debit", "visa", "mastercard", "amex", "discover", "maestro", "jcb", "diners",
            "unionpay", "cc", "pan", "payment", "paid", "pay", "charged", "charge", "cardholder", "cvv", "number",
            "carte", "cb", "bancaire", "paiement", "payé", "karte", "kartennummer", "kreditkarte", "zahlung", "bezahlt",
            "tarjeta", "crédito", "credito", "débito", "debito", "pago", "pagado", "card number", "numéro de carte");
    static final Set<String> NEGATIVE = Set.of(
            "order", "orders", "invoice", "isbn", "tracking", "track", "ref", "reference", "sku", "serial", "ticket",
            "receipt", "transaction", "txn", "confirmation", "booking", "shipment", "parcel", "awb", "upc", "ean",
            "imei", "iccid", "id", "account", "acct", "iban", "phone", "tel", "call", "ssn", "version",
            "order number", "tracking number", "serial number", "reference number", "confirmation number",
            "invoice number", "account number", "phone number", "mobile number", "order id",
            "commande", "facture", "référence", "compte", "colis", "suivi", "bestellung", "bestellnummer", "rechnung",
            "referenz", "konto", "kontonummer", "kundennummer", "sendung", "pedido", "factura", "referencia", "cuenta",
            "seguimiento", "envío");

    /** Issuer prefix ranges: {@code [low, high]} over the first {@code digits} digits, with the lengths issued. */
    private static final class Iin {
        final String brand;
        final int digits;
        final int low;
        final int high;
        final int[] lengths;

        Iin(String brand, int digits, int low, int high, int... lengths) {
            this.brand = brand;
            this.digits = digits;
            this.low = low;
            this.high = high;
            this.lengths = lengths;
        }

        boolean matches(String pan) {
            int p = Integer.parseInt(pan.substring(0, digits));
            return p >= low && p <= high;
        }

        boolean issuesLength(int n) {
            for (int l : lengths) {
                if (l == n) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Public IIN ranges of the major brands (ISO/IEC 7812 registrations as the brands publish them). */
    private static final List<Iin> IINS = List.of(
            new Iin("amex", 2, 34, 34, 15), new Iin("amex", 2, 37, 37, 15),
            new Iin("visa", 1, 4, 4, 13, 16, 19),
            new Iin("mastercard", 2, 51, 55, 16), new Iin("mastercard", 4, 2221, 2720, 16),
            new Iin("discover", 4, 6011, 6011, 16, 17, 18, 19), new Iin("discover", 3, 644, 649, 16, 17, 18, 19),
            new Iin("discover", 2, 65, 65, 16, 17, 18, 19),
            new Iin("diners", 3, 300, 305, 14, 15, 16, 17, 18, 19), new Iin("diners", 4, 3095, 3095, 14, 15, 16, 17, 18, 19),
            new Iin("diners", 2, 36, 36, 14, 15, 16, 17, 18, 19), new Iin("diners", 2, 38, 39, 14, 15, 16, 17, 18, 19),
            new Iin("jcb", 4, 3528, 3589, 16, 17, 18, 19),
            new Iin("unionpay", 2, 62, 62, 16, 17, 18, 19),
            new Iin("mir", 4, 2200, 2204, 16, 17, 18, 19),
            new Iin("maestro", 2, 50, 50, 12, 13, 14, 15, 16, 17, 18, 19),
            new Iin("maestro", 2, 56, 58, 12, 13, 14, 15, 16, 17, 18, 19),
            new Iin("maestro", 2, 67, 67, 12, 13, 14, 15, 16, 17, 18, 19),
            new Iin("rupay", 2, 60, 60, 16), new Iin("rupay", 2, 81, 82, 16));

    @Override
    public void detect(String text, List<Finding> out) {
        int n = text.length();
        int i = 0;
        List<int[]> groups = new ArrayList<>();
        while (i < n) {
            if (!Context.isAsciiDigit(text.charAt(i))) {
                i++;
                continue;
            }
            // A chain: digit groups joined by exactly one space or dash.
            groups.clear();
            int j = i;
            while (true) {
                int gs = j;
                while (j < n && Context.isAsciiDigit(text.charAt(j))) {
                    j++;
                }
                groups.add(new int[] {gs, j});
                if (j + 1 < n && (text.charAt(j) == ' ' || text.charAt(j) == '-') && Context.isAsciiDigit(text.charAt(j + 1))) {
                    j++;
                } else {
                    break;
                }
            }
            examineChain(text, groups, out);
            i = j;
        }
    }

    private void examineChain(String text, List<int[]> groups, List<Finding> out) {
        int chainStart = groups.get(0)[0];
        int chainEnd = groups.get(groups.size() - 1)[1];
        if (gluedToToken(text, chainStart, chainEnd)) {
            return;
        }
        int chainDigits = 0;
        for (int[] g : groups) {
            chainDigits += g[1] - g[0];
        }
        boolean wholeChainIsCardShaped = chainDigits >= MIN_DIGITS && chainDigits <= MAX_DIGITS
                && groupedLikeACard(groups, 0, groups.size() - 1) && oneSeparator(text, groups);
        for (int a = 0; a < groups.size(); a++) {
            int digits = 0;
            char sep = 0;
            for (int b = a; b < groups.size(); b++) {
                int len = groups.get(b)[1] - groups.get(b)[0];
                digits += len;
                if (digits > MAX_DIGITS) {
                    break;
                }
                if (b > a) {
                    char s = text.charAt(groups.get(b)[0] - 1);
                    if (sep == 0) {
                        sep = s;
                    } else if (s != sep) {
                        break;
                    }
                }
                // Dropping the leading groups of a chain that could itself be a card (19 digits or fewer) makes a
                // number nobody wrote: a Luhn-invalid 4815-6787-7577-8124-014 holds no card 6787-7577-8124-014.
                if (digits >= MIN_DIGITS && groupedLikeACard(groups, a, b) && !(a > 0 && chainDigits <= MAX_DIGITS)) {
                    // "4111 1111 1111 1111 12/27": a card with the month of its expiry after it is still the card,
                    // but a chain that is itself card-shaped (a Luhn-invalid 4-4-4-4-3) holds no card
                    int trailing = chainDigits - digits - digitsBefore(groups, a);
                    boolean window = a > 0 || (b < groups.size() - 1 && (trailing > 2 || wholeChainIsCardShaped));
                    consider(text, groups.get(a)[0], groups.get(b)[1], window, out);
                }
            }
        }
    }

    private static boolean oneSeparator(String text, List<int[]> groups) {
        for (int k = 2; k < groups.size(); k++) {
            if (text.charAt(groups.get(k)[0] - 1) != text.charAt(groups.get(1)[0] - 1)) {
                return false;
            }
        }
        return true;
    }

    private static int digitsBefore(List<int[]> groups, int a) {
        int d = 0;
        for (int k = 0; k < a; k++) {
            d += groups.get(k)[1] - groups.get(k)[0];
        }
        return d;
    }

    /** One run, or a first group of four followed by groups of three to six (4-4-4-4, 4-6-5, 4-4-4-4-3). */
    private static boolean groupedLikeACard(List<int[]> groups, int a, int b) {
        if (a == b) {
            return true;
        }
        if (groups.get(a)[1] - groups.get(a)[0] != 4) {
            return false;
        }
        for (int k = a + 1; k <= b; k++) {
            int len = groups.get(k)[1] - groups.get(k)[0];
            if (len < 3 || len > 6) {
                return false;
            }
        }
        return true;
    }

    /** Letters or a decimal point stuck to the digits make them part of another token ({@code A4111...}, {@code 12.4111...}). */
    private static boolean gluedToToken(String text, int start, int end) {
        if (start > 0) {
            char p = text.charAt(start - 1);
            if (Context.isIdentChar(p)) {
                return true;
            }
            if ((p == '.' || p == ',') && start > 1 && Context.isAsciiDigit(text.charAt(start - 2))) {
                return true;
            }
        }
        if (end < text.length()) {
            char q = text.charAt(end);
            if (Context.isIdentChar(q)) {
                return true;
            }
            if ((q == '.' || q == ',') && end + 1 < text.length() && Context.isAsciiDigit(text.charAt(end + 1))) {
                return true;
            }
        }
        return false;
    }

    private void consider(String text, int start, int end, boolean partOfLongerChain, List<Finding> out) {
        StringBuilder pan = new StringBuilder(MAX_DIGITS);
        for (int k = start; k < end; k++) {
            char c = text.charAt(k);
            if (Context.isAsciiDigit(c)) {
                pan.append(c);
            }
        }
        if (!Checksums.luhn(pan) || allSameDigit(pan)) {
            return;
        }
        String digits = pan.toString();
        double confidence = 0.35;
        String brand = "unknown";
        for (Iin iin : IINS) {
            if (iin.matches(digits)) {
                if (iin.issuesLength(digits.length())) {
                    confidence = 0.9;
                    brand = iin.brand;
                    break;
                }
                confidence = 0.55;
                brand = iin.brand + "?";
            }
        }
        boolean sure = !brand.equals("unknown") && !partOfLongerChain;
        if (partOfLongerChain) {
            confidence -= 0.45; // below the threshold: a window of a tracking number passes Luhn one time in ten
        }
        int polarity = Context.polarity(text, start, 4, POSITIVE, NEGATIVE);
        if (polarity == Context.POSITIVE) {
            confidence += sure ? 0.09 : 0.2;
        } else if (polarity == Context.NEGATIVE) {
            // the words may say "order" or "account"; a checksum-valid card stays a finding
            confidence = sure ? Context.lowered(confidence, 0.3) : confidence - 0.5;
        }
        if (confidence <= 0) {
            return;
        }
        out.add(Finding.of(PiiType.CREDIT_CARD, start, end, Math.min(confidence, 0.99), "luhn+iin:" + brand,
                Masks.keepLast(text.substring(start, end), 4)));
    }

    private static boolean allSameDigit(CharSequence s) {
        for (int i = 1; i < s.length(); i++) {
            if (s.charAt(i) != s.charAt(0)) {
                return false;
            }
        }
        return true;
    }
}
