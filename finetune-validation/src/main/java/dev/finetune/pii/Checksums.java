package dev.finetune.pii;

/** The check-digit algorithms that separate real identifiers from look-alikes. */
final class Checksums {
    private Checksums() {
    }

    /** Luhn (mod 10) over ASCII digits; true when the last digit is the right check digit. */
    static boolean luhn(CharSequence digits) {
        return luhnSum(digits, false) % 10 == 0;
    }

    /** The digit that makes {@code payload + digit} Luhn-valid. */
    static int luhnCheckDigit(CharSequence payload) {
        return (10 - luhnSum(payload, true) % 10) % 10;
    }

    /** Luhn's weighted digit sum from the right; {@code doubleLast}: whether the rightmost digit is doubled. */
    private static int luhnSum(CharSequence digits, boolean doubleLast) {
        int sum = 0;
        boolean dbl = doubleLast;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (dbl) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            dbl = !dbl;
        }
        return sum;
    }

    /**
     * ISO 13616 / ISO 7064 mod 97-10 over an IBAN with no spaces: the first four characters move to the
     * end, letters become 10..35, and the number mod 97 must be 1. Computed digit by digit, no BigInteger.
     */
    static int ibanMod97(CharSequence iban) {
        int n = iban.length();
        int rem = 0;
        for (int k = 0; k < n; k++) {
            char c = iban.charAt((k + 4) % n);
            int v;
            if (c >= '0' && c <= '9') {
                v = c - '0';
                rem = (rem * 10 + v) % 97;
            } else {
                char u = Character.toUpperCase(c);
                if (u < 'A' || u > 'Z') {
                    return -1;
                }
                v = u - 'A' + 10;
                rem = (rem * 100 + v) % 97;
            }
        }
        return rem;
    }

    /** ISBN-13: weights 1,3,1,3,... sum to a multiple of 10. {@code digits} is 13 ASCII digits. */
    static boolean isbn13(CharSequence digits) {
        if (digits.length() != 13) {
            return false;
        }
        int sum = 0;
        for (int i = 0; i < 13; i++) {
            sum += (digits.charAt(i) - '0') * (i % 2 == 0 ? 1 : 3);
        }
        return sum % 10 == 0;
    }

    /** ISBN-10: weights 10..1 sum to a multiple of 11; the last character may be X (= 10). */
    static boolean isbn10(CharSequence chars) {
        if (chars.length() != 10) {
            return false;
        }
        int sum = 0;
        for (int i = 0; i < 10; i++) {
            char c = chars.charAt(i);
            int v;
            if (c >= '0' && c <= '9') {
                v = c - '0';
            } else if ((c == 'X' || c == 'x') && i == 9) {
                v = 10;
            } else {
                return false;
            }
            sum += v * (10 - i);
        }
        return sum % 11 == 0;
    }
}
