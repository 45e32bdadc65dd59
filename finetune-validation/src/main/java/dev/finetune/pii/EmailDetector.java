package dev.finetune.pii;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * E-mail addresses, found from each {@code @} outwards instead of by one big regex, so the cost is linear
 * and the edges are exact: the local part is dot-atoms of {@code [A-Za-z0-9._%+'-]} (at most 64 chars, no
 * leading, trailing or double dot); the domain is at least two DNS labels (1-63 chars, no edge hyphen)
 * ending in an alphabetic top-level domain of 2-63 letters. Trailing sentence punctuation is never part of
 * the match. Quoted local parts, IP-literal domains and internationalised addresses are not recognised.
 */
final class EmailDetector implements Detector {
    private static final int MAX_LOCAL = 64;
    private static final int MAX_DOMAIN = 253;
    private static final double CONFIDENCE = 0.95;
    /** {@code icon@2x.png} is a retina image name, not an address. */
    private static final double FILE_NAME_CONFIDENCE = 0.3;
    private static final Set<String> FILE_EXTENSIONS = Set.of(
            "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "pdf", "js", "css", "map",
            "json", "txt", "html", "htm", "xml", "zip", "gz", "tar", "py", "java", "class", "jar", "md");

    @Override
    public void detect(String text, List<Finding> out) {
        int from = 0;
        int n = text.length();
        while (from < n) {
            int at = text.indexOf('@', from);
            if (at < 0) {
                return;
            }
            from = at + 1;
            int localStart = localStart(text, at);
            if (localStart < 0 || inUrlUserInfo(text, localStart)) {
                continue;
            }
            int domainEnd = domainEnd(text, at + 1);
            if (domainEnd < 0) {
                continue;
            }
            String value = text.substring(localStart, domainEnd);
            String tld = value.substring(value.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
            double confidence = FILE_EXTENSIONS.contains(tld) ? FILE_NAME_CONFIDENCE : CONFIDENCE;
            out.add(Finding.of(PiiType.EMAIL_ADDRESS, localStart, domainEnd, confidence, "email", Masks.email(value)));
        }
    }

    private static boolean isLocalChar(char c) {
        return Context.isIdentChar(c) || c == '.' || c == '%' || c == '+' || c == '-' || c == '\'';
    }

    /** Start of the local part ending at {@code at}, or -1 when there is none or it is malformed. */
    private static int localStart(String text, int at) {
        int s = at;
        while (s > 0 && at - s <= MAX_LOCAL && isLocalChar(text.charAt(s - 1))) {
            s--;
        }
        if (s > 0 && isLocalChar(text.charAt(s - 1))) {
            return -1; // longer than RFC 5321 allows: some other token that happens to contain '@'
        }
        // A double dot cannot be inside an address: the address starts after the last one.
        for (int k = at - 2; k >= s; k--) {
            if (text.charAt(k) == '.' && text.charAt(k + 1) == '.') {
                s = k + 2;
                break;
            }
        }
        // Quotes and dots in front belong to the surrounding prose ('bob@x.org').
        while (s < at && (text.charAt(s) == '.' || text.charAt(s) == '\'' || text.charAt(s) == '-')) {
            s++;
        }
        if (s == at || text.charAt(at - 1) == '.') {
            return -1;
        }
        return s;
    }

    /**
     * {@code scheme://user:password@host}: the part before '@' is a password, not a mailbox (the secret
     * detector reports it). True when "://" occurs earlier in the same whitespace-free token.
     */
    private static boolean inUrlUserInfo(String text, int localStart) {
        if (localStart == 0 || text.charAt(localStart - 1) != ':') {
            return false;
        }
        for (int k = localStart - 1; k >= 2 && localStart - k < 200 && !Character.isWhitespace(text.charAt(k)); k--) {
            if (text.charAt(k) == '/' && text.charAt(k - 1) == '/' && text.charAt(k - 2) == ':') {
                return true;
            }
        }
        return false;
    }

    /** End of the longest valid domain starting at {@code from}, or -1. */
    private static int domainEnd(String text, int from) {
        int n = text.length();
        int best = -1;
        int labels = 0;
        int i = from;
        while (i < n && i - from < MAX_DOMAIN) {
            int labelStart = i;
            boolean alpha = true;
            while (i < n && i - labelStart < 64 && (Context.isWordChar(text.charAt(i)) || text.charAt(i) == '-')) {
                alpha &= Context.isAsciiLetter(text.charAt(i));
                i++;
            }
            int len = i - labelStart;
            if (len == 0 || len > 63 || text.charAt(labelStart) == '-' || text.charAt(i - 1) == '-') {
                break;
            }
            if (i < n && (Context.isWordChar(text.charAt(i)) || text.charAt(i) == '-')) {
                break; // label longer than 63
            }
            labels++;
            if (labels >= 2 && alpha && len >= 2) {
                best = i;
            }
            if (i + 1 < n && text.charAt(i) == '.' && Context.isWordChar(text.charAt(i + 1))) {
                i++;
            } else {
                break;
            }
        }
        if (best > 0 && best < n && text.charAt(best) == '@') {
            return -1; // a@b.com@c: not an address we can delimit
        }
        return best;
    }
}
