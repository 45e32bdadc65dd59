package dev.finetune.pii;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credentials: tokens with a vendor's well-known prefix, PEM private-key blocks, passwords written as an
 * assignment, passwords in URLs, and long high-entropy strings next to a word like {@code key},
 * {@code token}, {@code secret} or {@code password}.
 *
 * <p>Every regex starts with a look-behind that forbids a token character before it (so a long run is tried
 * at one start only) and has bounded quantifiers over a class that excludes the next literal, so matching
 * is linear in the text.
 */
final class SecretDetector implements Detector {

    /** A vendor token format: its rule name, the public prefix shown in the mask, and the pattern. */
    private static final class Vendor {
        final String rule;
        final Pattern pattern;
        final double confidence;
        final boolean needsMixedChars;

        Vendor(String rule, String regex, double confidence, boolean needsMixedChars) {
            this.rule = rule;
            this.pattern = Pattern.compile(regex);
            this.confidence = confidence;
            this.needsMixedChars = needsMixedChars;
        }
    }

    private static final List<Vendor> VENDORS = List.of(
            new Vendor("aws_access_key_id", "(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])", 0.95, false),
            new Vendor("github_token", "(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9_])", 0.95, false),
            new Vendor("github_pat", "(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,251}(?![A-Za-z0-9_])", 0.95, false),
            new Vendor("gitlab_pat", "(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])", 0.9, false),
            new Vendor("slack_token", "(?<![A-Za-z0-9_-])xox[baprs]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])", 0.9, false),
            new Vendor("slack_webhook", "https://hooks\\.slack\\.com/services/[A-Za-z0-9_/-]{20,200}", 0.9, false),
            new Vendor("stripe_live_key", "(?<![A-Za-z0-9_])(?:sk|rk)_live_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])", 0.95, false),
            new Vendor("stripe_test_key", "(?<![A-Za-z0-9_])(?:sk|rk)_test_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])", 0.8, false),
            new Vendor("stripe_webhook_secret", "(?<![A-Za-z0-9_])whsec_[A-Za-z0-9]{24,128}(?![A-Za-z0-9])", 0.9, false),
            new Vendor("google_api_key", "(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", 0.9, false),
            new Vendor("openai_style_key",
                    "(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|ant-[a-z0-9]{2,12}-)?[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])", 0.85, true),
            new Vendor("huggingface_token", "(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,64}(?![A-Za-z0-9_])", 0.9, true),
            new Vendor("npm_token", "(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])", 0.9, false),
            new Vendor("sendgrid_key", "(?<![A-Za-z0-9_.-])SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])", 0.95, false),
            new Vendor("jwt",
                    "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,4096}\\.eyJ[A-Za-z0-9_-]{5,8192}\\.[A-Za-z0-9_-]{10,2048}(?![A-Za-z0-9_-])",
                    0.9, false));

    /** {@code scheme://user:password@host}: the password part. */
    private static final Pattern URL_PASSWORD = Pattern.compile("(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\\s:/@]{1,64}:([^\\s:/@]{1,128})@");

    /** {@code password: hunter2!}, {@code pwd="..."}, {@code password is Tr0ub4dor&3}. */
    private static final Pattern PASSWORD_ASSIGNMENT = Pattern.compile(
            "(?i)(?<![A-Za-z0-9])(?:password|passwd|passphrase|pwd|pass)(?:\\s{0,3}[:=]\\s{0,3}|\\s{1,3}is\\s{1,3})[\"']?([^\\s\"'<>,;]{6,128})");
    private static final Set<String> PASSWORD_PLACEHOLDERS = Set.of(
            "required", "optional", "none", "null", "hidden", "redacted", "changeme", "example", "password", "secret",
            "yourpassword", "your_password", "undefined", "incorrect", "invalid", "correct", "expired", "protected");

    static final Set<String> KEYWORDS = Set.of(
            "key", "keys", "apikey", "token", "tokens", "secret", "secrets", "password", "passwd", "pwd", "passphrase",
            "credential", "credentials", "bearer", "auth", "authorization", "signature", "private", "privatekey",
            "access", "session", "cookie", "salt", "hmac", "api");

    /** Hashes and identifiers are high-entropy too, but public: {@code commit 86b5c7...}, {@code sha256 ...}. */
    static final Set<String> NOT_SECRET_WORDS = Set.of(
            "commit", "sha", "sha1", "sha256", "sha512", "md5", "hash", "checksum", "digest", "uuid", "guid", "id",
            "request", "trace", "span", "etag", "revision", "rev", "fingerprint", "integrity");

    /** Bits per character: random base62 of length 20 averages about 4.0, English words about 3.0. */
    static final double MIN_ENTROPY = 3.5;
    /** Hex has a 16-letter alphabet, so a random hex string tops out at 4 bits per character. */
    static final double MIN_ENTROPY_HEX = 3.0;
    static final int MIN_SECRET_LENGTH = 20;
    private static final int MAX_TOKEN = 4096;

    @Override
    public void detect(String text, List<Finding> out) {
        for (Vendor v : VENDORS) {
            Matcher m = v.pattern.matcher(text);
            while (m.find()) {
                if (v.needsMixedChars && !hasLetterAndDigit(text, m.start(), m.end())) {
                    continue;
                }
                out.add(Finding.of(PiiType.SECRET, m.start(), m.end(), v.confidence, v.rule,
                        Masks.secret(prefixOf(text, m.start(), m.end()), m.end() - m.start())));
            }
        }
        detectPem(text, out);
        detectUrlPasswords(text, out);
        detectPasswordAssignments(text, out);
        detectHighEntropyNearKeyword(text, out);
    }

    /** The non-secret vendor prefix (up to and including the first '_', '-' or '.'), at most 12 chars. */
    private static String prefixOf(String text, int start, int end) {
        for (int i = start; i < Math.min(end, start + 12); i++) {
            char c = text.charAt(i);
            if (c == '_' || c == '-' || c == '.') {
                return text.substring(start, i + 1);
            }
        }
        return text.substring(start, Math.min(end, start + 4));
    }

    private static boolean hasLetterAndDigit(CharSequence s, int start, int end) {
        boolean letter = false;
        boolean digit = false;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            letter |= Context.isAsciiLetter(c);
            digit |= Context.isAsciiDigit(c);
        }
        return letter && digit;
    }

    /**
     * {@code -----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ]PRIVATE KEY-----} through the matching END line.
     * A block without its END line (a truncated paste) is flagged to the end of the string: the rest
     * may still be key material.
     */
    private static void detectPem(String text, List<Finding> out) {
        int from = 0;
        while (true) {
            int begin = text.indexOf("-----BEGIN ", from);
            if (begin < 0) {
                return;
            }
            int labelStart = begin + 11;
            from = labelStart;
            // The label is short ("ENCRYPTED PRIVATE KEY"); look for its closing dashes nearby only.
            int labelEnd = text.substring(labelStart, Math.min(text.length(), labelStart + 69)).indexOf("-----");
            if (labelEnd < 0) {
                continue;
            }
            labelEnd += labelStart;
            String label = text.substring(labelStart, labelEnd);
            if (!label.contains("PRIVATE KEY")) {
                continue;
            }
            String endMarker = "-----END " + label + "-----";
            int endAt = text.indexOf(endMarker, labelEnd + 5);
            int end = endAt < 0 ? text.length() : endAt + endMarker.length();
            out.add(Finding.of(PiiType.SECRET, begin, end, 0.99, endAt < 0 ? "pem_private_key:truncated" : "pem_private_key",
                    "-----BEGIN " + label + "-----****(" + (end - begin) + " chars)"));
            from = end;
        }
    }

    private static void detectUrlPasswords(String text, List<Finding> out) {
        if (text.indexOf("://") < 0) {
            return;
        }
        Matcher m = URL_PASSWORD.matcher(text);
        while (m.find()) {
            if (m.group(1).startsWith("<")) {
                continue;
            }
            out.add(Finding.of(PiiType.SECRET, m.start(1), m.end(1), 0.85, "url_password",
                    Masks.secret("", m.end(1) - m.start(1))));
        }
    }

    private static void detectPasswordAssignments(String text, List<Finding> out) {
        Matcher m = PASSWORD_ASSIGNMENT.matcher(text);
        while (m.find()) {
            int s = m.start(1);
            int e = m.end(1);
            // Sentence punctuation after the password is prose, not password ("password: hunter2!." keeps '!').
            while (e > s && (text.charAt(e - 1) == '.' || text.charAt(e - 1) == ')')) {
                e--;
            }
            String value = text.substring(s, e);
            if (e - s < 6 || PASSWORD_PLACEHOLDERS.contains(value.toLowerCase(Locale.ROOT)) || allSame(value)) {
                continue;
            }
            boolean assignment = m.group().matches("(?is).*?(password|passwd|passphrase|pwd|pass)\\s{0,3}[:=].*");
            boolean strong = hasLetterAndDigit(text, s, e) || hasSymbol(value);
            if (!assignment && !strong) {
                continue;
            }
            out.add(Finding.of(PiiType.SECRET, s, e, strong ? 0.8 : 0.6, "password_assignment",
                    Masks.secret("", e - s)));
        }
    }

    private static boolean hasSymbol(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!Context.isWordChar(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean allSame(String s) {
        for (int i = 1; i < s.length(); i++) {
            if (s.charAt(i) != s.charAt(0)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isTokenChar(char c) {
        return Context.isIdentChar(c) || c == '+' || c == '/' || c == '-' || c == '.' || c == '~';
    }

    /**
     * Tokens of base64/base64url/hex-like characters (plus up to two '=' of padding), at least 20 long, with
     * Shannon entropy over their characters of at least {@link #MIN_ENTROPY} bits ({@link #MIN_ENTROPY_HEX}
     * for hex), two or more character classes including digits, and a secret word nearer than any hash word
     * ({@code commit}, {@code sha256}, {@code uuid}) among the three words before them.
     */
    private static void detectHighEntropyNearKeyword(String text, List<Finding> out) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            if (!isTokenChar(text.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            while (i < n && isTokenChar(text.charAt(i))) {
                i++;
            }
            int end = i;
            while (end < n && end - i < 2 && text.charAt(end) == '=') {
                end++;
            }
            i = end;
            // Trim prose punctuation at the edges ("token abc...xyz." / "(abc...)").
            int s = start;
            int e = end;
            while (s < e && (text.charAt(s) == '.' || text.charAt(s) == '-' || text.charAt(s) == '/')) {
                s++;
            }
            while (e > s && (text.charAt(e - 1) == '.' || text.charAt(e - 1) == '-')) {
                e--;
            }
            int len = e - s;
            if (len < MIN_SECRET_LENGTH || len > MAX_TOKEN || !looksRandom(text, s, e)) {
                continue;
            }
            if (Context.polarity(text, s, 3, KEYWORDS, NOT_SECRET_WORDS) != Context.POSITIVE) {
                continue;
            }
            boolean assigned = assignedDirectly(text, s);
            out.add(Finding.of(PiiType.SECRET, s, e, assigned ? 0.9 : 0.8, "high_entropy_near_keyword",
                    Masks.secret("", len)));
        }
    }

    /** {@code key=VALUE}, {@code "token": "VALUE"}: an '=' or ':' within the few characters before. */
    private static boolean assignedDirectly(String text, int s) {
        for (int k = s - 1; k >= 0 && k >= s - 4; k--) {
            char c = text.charAt(k);
            if (c == '=' || c == ':') {
                return true;
            }
        }
        return false;
    }

    /** Entropy and character-class test for a secret-looking token. */
    static boolean looksRandom(CharSequence text, int s, int e) {
        int[] counts = new int[128];
        boolean hex = true;
        int classes = 0;
        boolean upper = false;
        boolean lower = false;
        boolean digit = false;
        boolean other = false;
        for (int k = s; k < e; k++) {
            char c = text.charAt(k);
            counts[c & 127]++;
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
            digit |= Context.isAsciiDigit(c);
            other |= !Context.isWordChar(c);
            hex &= Context.isAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        }
        classes = (upper ? 1 : 0) + (lower ? 1 : 0) + (digit ? 1 : 0) + (other ? 1 : 0);
        if (classes < 2 || !digit) {
            return false;
        }
        double len = e - s;
        double h = 0;
        for (int c : counts) {
            if (c > 0) {
                double p = c / len;
                h -= p * (Math.log(p) / Math.log(2));
            }
        }
        return h >= (hex ? MIN_ENTROPY_HEX : MIN_ENTROPY);
    }
}
