package dev.finetune.pii;

import java.util.List;
import java.util.Set;

/**
 * IP addresses, parsed by hand rather than matched by regex.
 *
 * <p>IPv4: four decimal octets 0-255 without leading zeros ({@code 010.1.1.1} is ambiguous between octal
 * and decimal and is rejected), not glued to letters, digits or another dotted number on either side
 * ({@code 1.2.3.4.5}, {@code 10.0.19045.2965} and {@code v1.2.3.4} are versions). Confidence 0.8; when all
 * four octets are single digits ({@code 1.2.3.4}) 0.45, because that is more often a version; a version word
 * nearer than any address word ({@code ip}, {@code host}, {@code from}) rejects it.
 *
 * <p>IPv6: a token of hex digits, colons and dots that parses as RFC 4291 text: eight groups of 1-4 hex
 * digits, or fewer with exactly one {@code ::}, optionally ending in an embedded IPv4 address. Times
 * ({@code 12:30:45}) and MAC addresses ({@code 00:1a:2b:3c:4d:5e}, six groups) do not parse and are not
 * reported. Confidence 0.85 with three or more explicit groups or an embedded IPv4; 0.6 with two groups one
 * of which has 3-4 digits ({@code fe80::1}); otherwise 0.4 ({@code ::1}, {@code a::b}), below the default
 * threshold, since those are as likely C++ scopes or loopback as personal data.
 */
final class IpDetector implements Detector {
    static final Set<String> ADDRESS_WORDS = Set.of("ip", "ipv4", "ipv6", "address", "addr", "host", "server", "from",
            "client", "remote", "src", "dst", "source", "destination", "gateway", "dns", "ping", "connect", "login");
    static final Set<String> VERSION_WORDS = Set.of("version", "ver", "v", "build", "release", "firmware", "rev", "revision");

    @Override
    public void detect(String text, List<Finding> out) {
        detectV4(text, out);
        detectV6(text, out);
    }

    private static void detectV4(String text, List<Finding> out) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (!Context.isAsciiDigit(c) || (i > 0 && (Context.isIdentChar(text.charAt(i - 1)) || text.charAt(i - 1) == '.'))) {
                i++;
                continue;
            }
            int end = parseV4(text, i, n);
            if (end > 0 && !runsOn(text, end)) {
                boolean small = end - i == 7;
                double confidence = small ? 0.45 : 0.8;
                if (Context.polarity(text, i, 3, ADDRESS_WORDS, VERSION_WORDS) == Context.NEGATIVE) {
                    confidence = 0.2;
                }
                out.add(Finding.of(PiiType.IP_ADDRESS, i, end, confidence, "ipv4", Masks.ip(text.substring(i, end))));
                i = end;
            } else {
                // Skip the rest of this digit-and-dot run: no address can start inside it.
                while (i < n && (Context.isAsciiDigit(text.charAt(i)) || text.charAt(i) == '.')) {
                    i++;
                }
            }
        }
    }

    /** After an IPv4 address: no letter or digit, and no dot that starts another number. */
    private static boolean runsOn(String text, int end) {
        if (end >= text.length()) {
            return false;
        }
        char c = text.charAt(end);
        if (Context.isIdentChar(c)) {
            return true;
        }
        return c == '.' && end + 1 < text.length() && Context.isAsciiDigit(text.charAt(end + 1));
    }

    /** Parses a strict dotted quad at {@code from} (bounded by {@code limit}); returns its end or -1. */
    static int parseV4(CharSequence s, int from, int limit) {
        int pos = from;
        for (int octet = 0; octet < 4; octet++) {
            if (octet > 0) {
                if (pos >= limit || s.charAt(pos) != '.') {
                    return -1;
                }
                pos++;
            }
            int start = pos;
            int value = 0;
            while (pos < limit && pos - start < 4 && Context.isAsciiDigit(s.charAt(pos))) {
                value = value * 10 + (s.charAt(pos) - '0');
                pos++;
            }
            int len = pos - start;
            if (len == 0 || len > 3 || value > 255 || (len > 1 && s.charAt(start) == '0')) {
                return -1;
            }
        }
        return pos;
    }

    private static boolean isV6Char(char c) {
        return Context.isAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    }

    private static void detectV6(String text, List<Finding> out) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            if (!isV6Char(text.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            int colons = 0;
            while (i < n && isV6Char(text.charAt(i))) {
                if (text.charAt(i) == ':') {
                    colons++;
                }
                i++;
            }
            int end = i;
            // The longest address is 45 characters; a longer run is something else (hex dumps, tables).
            if (colons < 2 || end - start > 45) {
                continue;
            }
            if (start > 0 && Context.isIdentChar(text.charAt(start - 1))) {
                continue;
            }
            if (end < n && Context.isIdentChar(text.charAt(end))) {
                continue;
            }
            // Sentence punctuation after the address: "reach it at fe80::1." or "fe80::1: down".
            while (end > start && text.charAt(end - 1) == '.') {
                end--;
            }
            if (end - start >= 2 && text.charAt(end - 1) == ':' && text.charAt(end - 2) != ':') {
                end--;
            }
            double confidence = scoreV6(text, start, end);
            if (confidence > 0) {
                out.add(Finding.of(PiiType.IP_ADDRESS, start, end, confidence, "ipv6", Masks.ip(text.substring(start, end))));
            }
        }
    }

    /** Confidence for {@code text[start, end)} as an IPv6 address, or 0 when it does not parse. */
    static double scoreV6(CharSequence text, int start, int end) {
        String s = text.subSequence(start, end).toString();
        int dc = s.indexOf("::");
        if (dc >= 0 && s.indexOf("::", dc + 1) >= 0) {
            return 0;
        }
        String head = dc >= 0 ? s.substring(0, dc) : s;
        String tail = dc >= 0 ? s.substring(dc + 2) : "";
        int[] h = groups(head, dc < 0);
        int[] t = dc >= 0 ? groups(tail, true) : new int[] {0, 0, 0};
        if (h == null || t == null) {
            return 0;
        }
        int total = h[0] + t[0];
        boolean v4 = h[2] == 1 || t[2] == 1;
        if (dc < 0 ? total != 8 : total > 7) {
            return 0;
        }
        int explicitGroups = total - (v4 ? 2 : 0);
        int longGroups = h[1] + t[1];
        if (explicitGroups >= 3 || v4) {
            return 0.85;
        }
        if (explicitGroups == 2 && longGroups >= 1) {
            return 0.6;
        }
        return explicitGroups == 0 ? 0 : 0.4;
    }

    /**
     * Parses colon-separated groups: returns {count in 16-bit units, number of 3-4 digit groups, 1 if the
     * last part was an embedded IPv4} or null. An empty string is zero groups.
     */
    private static int[] groups(String part, boolean mayEndInV4) {
        if (part.isEmpty()) {
            return new int[] {0, 0, 0};
        }
        String[] pieces = part.split(":", -1);
        int units = 0;
        int longGroups = 0;
        int v4 = 0;
        for (int k = 0; k < pieces.length; k++) {
            String p = pieces[k];
            if (p.indexOf('.') >= 0) {
                if (k != pieces.length - 1 || !mayEndInV4 || parseV4(p, 0, p.length()) != p.length()) {
                    return null;
                }
                units += 2;
                v4 = 1;
                continue;
            }
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            units++;
            if (p.length() >= 3) {
                longGroups++;
            }
        }
        return new int[] {units, longGroups, v4};
    }
}
