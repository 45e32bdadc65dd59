package dev.finetune.pii;

import dev.finetune.BadRequestException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Rewrites a string given its findings: each value becomes its tag ({@code <EMAIL_ADDRESS>},
 * {@code <CUSTOM_employee_id>}) or, in pseudonym mode, a tag with a keyed digest of the value
 * ({@code <EMAIL_ADDRESS_3f9a2c>}). Immutable and thread-safe.
 *
 * <p>Pseudonyms are HMAC-SHA256 under a per-workspace secret over the label and a normalised value
 * (e-mail lower-cased; card, phone and SSN digits only; IBAN upper-case without spaces), truncated to
 * {@code hexDigits} hex digits. The same value always gets the same pseudonym under the same key, so a
 * model can still learn that two messages mention the same customer; without the key the pseudonym
 * cannot be reversed by trying values. The default six hex digits (24 bits) give, by the birthday bound,
 * about one colliding pair among 5,800 distinct values of one type; a dataset with more distinct values
 * should ask for more digits with {@link #pseudonyms(byte[], int)} (8 digits: one pair per 93,000).
 */
public final class PiiRedactor {
    /** Minimum key length: an HMAC key shorter than 128 bits could be brute-forced from pseudonyms. */
    public static final int MIN_KEY_BYTES = 16;
    public static final int DEFAULT_HEX_DIGITS = 6;

    private final byte[] key;
    private final int hexDigits;

    private PiiRedactor(byte[] key, int hexDigits) {
        this.key = key;
        this.hexDigits = hexDigits;
    }

    /** Replaces each value by its type tag. */
    public static PiiRedactor tags() {
        return new PiiRedactor(null, 0);
    }

    /** Replaces each value by a keyed pseudonym tag with {@value #DEFAULT_HEX_DIGITS} hex digits. */
    public static PiiRedactor pseudonyms(byte[] secretKey) {
        return pseudonyms(secretKey, DEFAULT_HEX_DIGITS);
    }

    /** Replaces each value by a keyed pseudonym tag with {@code hexDigits} (4 to 64) hex digits. */
    public static PiiRedactor pseudonyms(byte[] secretKey, int hexDigits) {
        Objects.requireNonNull(secretKey, "secretKey");
        if (secretKey.length < MIN_KEY_BYTES) {
            throw new BadRequestException("pseudonym key must be at least " + MIN_KEY_BYTES + " bytes, got " + secretKey.length);
        }
        if (hexDigits < 4 || hexDigits > 64) {
            throw new BadRequestException("pseudonym hexDigits must be in [4, 64], got " + hexDigits);
        }
        return new PiiRedactor(secretKey.clone(), hexDigits);
    }

    /** Whether this redactor writes pseudonyms rather than plain tags. */
    public boolean isPseudonymizing() {
        return key != null;
    }

    /**
     * {@code text} with every finding replaced. Findings must lie inside {@code text}; if two overlap
     * (they do not when they come from {@link PiiScanner#scan}), the earlier-starting one is replaced and
     * the other skipped.
     */
    public String redact(String text, List<Finding> findings) {
        Objects.requireNonNull(text, "text");
        if (findings.isEmpty()) {
            return text;
        }
        List<Finding> sorted = new ArrayList<>(findings);
        sorted.sort(Comparator.comparingInt(Finding::start).thenComparing(Comparator.comparingInt(Finding::end).reversed()));
        Mac mac = key == null ? null : newMac();
        StringBuilder sb = new StringBuilder(text.length());
        int pos = 0;
        for (Finding f : sorted) {
            if (f.end() > text.length()) {
                throw new IllegalArgumentException("finding " + f + " lies outside a text of " + text.length() + " chars");
            }
            if (f.start() < pos) {
                continue;
            }
            sb.append(text, pos, f.start());
            sb.append(mac == null ? f.tag() : pseudonym(mac, f, f.valueIn(text)));
            pos = f.end();
        }
        sb.append(text, pos, text.length());
        return sb.toString();
    }

    /** The replacement for one finding whose value is {@code value}. */
    public String replacement(Finding finding, String value) {
        return key == null ? finding.tag() : pseudonym(newMac(), finding, value);
    }

    private String pseudonym(Mac mac, Finding f, String value) {
        mac.reset();
        mac.update(f.label().getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 0);
        byte[] digest = mac.doFinal(normalise(f.type(), value).getBytes(StandardCharsets.UTF_8));
        StringBuilder hex = new StringBuilder(hexDigits);
        for (int i = 0; hex.length() < hexDigits; i++) {
            int b = digest[i / 2] & 0xff;
            hex.append(Character.forDigit(i % 2 == 0 ? b >>> 4 : b & 0xf, 16));
        }
        return "<" + f.label() + "_" + hex + ">";
    }

    /** The form under which two writings of one value are the same value. */
    static String normalise(PiiType type, String value) {
        switch (type) {
            case EMAIL_ADDRESS:
            case IP_ADDRESS:
                return value.toLowerCase(Locale.ROOT);
            case CREDIT_CARD:
            case US_SSN:
            case PHONE_NUMBER:
                return value.replaceAll("[^0-9]", "");
            case IBAN:
                return value.replace(" ", "").toUpperCase(Locale.ROOT);
            default:
                return value;
        }
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
        }
    }

    /** Never shows the key. */
    @Override
    public String toString() {
        return key == null ? "PiiRedactor{tags}" : "PiiRedactor{pseudonyms, hexDigits=" + hexDigits + ", key=****}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PiiRedactor && ((PiiRedactor) o).hexDigits == hexDigits && Arrays.equals(((PiiRedactor) o).key, key);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(key) + hexDigits;
    }
}
