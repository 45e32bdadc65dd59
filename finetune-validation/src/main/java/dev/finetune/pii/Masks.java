package dev.finetune.pii;

/**
 * Masked forms for display: enough to recognise a value you already know ("the card ending 1234"),
 * not enough to recover it.
 */
final class Masks {
    private Masks() {
    }

    /** Stars every ASCII letter or digit except the last {@code keep} of them; separators stay. */
    static String keepLast(String value, int keep) {
        int alnum = 0;
        for (int i = 0; i < value.length(); i++) {
            if (Context.isWordChar(value.charAt(i))) {
                alnum++;
            }
        }
        StringBuilder sb = new StringBuilder(value.length());
        int seen = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Context.isWordChar(c)) {
                sb.append(seen >= alnum - keep ? c : '*');
                seen++;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** {@code j***@e***.com}: first letter of the local part and of the domain, and the top-level domain. */
    static String email(String value) {
        int at = value.lastIndexOf('@');
        int dot = value.lastIndexOf('.');
        if (at <= 0 || dot < at) {
            return "***";
        }
        return value.charAt(0) + "***@" + value.charAt(at + 1) + "***" + value.substring(dot);
    }

    /** The country code and the last four characters of an IBAN, spacing kept. */
    static String iban(String value) {
        String tail = keepLast(value, 4);
        return value.substring(0, 2) + tail.substring(2);
    }

    /** IPv4 keeps its first octet ({@code 192.*.*.*}); IPv6 its first group ({@code 2001:*}). */
    static String ip(String value) {
        int dot = value.indexOf('.');
        int colon = value.indexOf(':');
        if (colon < 0 && dot > 0) {
            return value.substring(0, dot) + ".*.*.*";
        }
        if (colon == 0) {
            return "::*";
        }
        return value.substring(0, Math.max(colon, 0)) + ":*";
    }

    /** A secret shows only its public prefix (e.g. {@code ghp_}) and its length. */
    static String secret(String prefix, int length) {
        return prefix + "****(" + length + " chars)";
    }

    /** First character and stars: the generic mask. */
    static String generic(String value) {
        if (value.length() <= 2) {
            return "**";
        }
        int first = value.codePointAt(0);
        return new String(Character.toChars(first)) + "***";
    }
}
