package dev.finetune.pii;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import dev.finetune.BadRequestException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Finds personal data and secrets in one string (one field's value). Immutable and thread-safe: build
 * one per policy and share it.
 *
 * <pre>{@code
 * PiiScanner scanner = PiiScanner.builder()
 *         .phoneRegions("US", "GB", "DE")
 *         .customPattern("EMPLOYEE_ID", "\\bE\\d{6}\\b")
 *         .build();
 * List<Finding> findings = scanner.scan(value);          // offsets into value, sorted by start
 * String clean = PiiRedactor.tags().redact(value, findings);
 * }</pre>
 *
 * <p>Each detector proposes candidates with a confidence; candidates below the threshold are dropped,
 * candidates inside a redaction tag ({@code <EMAIL_ADDRESS>}, {@code <PHONE_NUMBER_3f9a2c>}) are dropped
 * so that scanning redacted text finds nothing new, and overlapping candidates are resolved: the higher
 * confidence wins, then the longer, then the earlier. The result never overlaps.
 *
 * <p>Every built-in detector runs in time linear in the string (hand-written scanners, or regexes with
 * bounded quantifiers anchored by look-behinds); user patterns run under a character-read budget.
 */
public final class PiiScanner {
    /** The phone regions used when the builder is not told otherwise. */
    public static final List<String> DEFAULT_PHONE_REGIONS = List.of("US", "GB", "DE", "FR", "IN", "ES", "IT", "AU");
    /**
     * Findings below this confidence are dropped unless the builder says otherwise. It keeps recall: the
     * words around a value of a sure shape (a checksum-valid card or IBAN, an SSN {@code AAA-GG-SSSS}, a
     * number in a phone format) may lower its confidence, never below this; only ambiguous candidates (a
     * bare digit run with no phone word, a digit window inside a longer number) stay under it.
     */
    public static final double DEFAULT_MIN_CONFIDENCE = 0.5;
    /** Confidence of a user pattern's match unless given. */
    public static final double DEFAULT_CUSTOM_CONFIDENCE = 0.9;

    private static final Pattern CUSTOM_NAME = Pattern.compile("[A-Za-z0-9_]{1,64}");
    /** A redaction tag this library writes: a known label and an optional pseudonym suffix. */
    private static final Pattern TAG = Pattern.compile(
            "<(?:EMAIL_ADDRESS|PHONE_NUMBER|CREDIT_CARD|IBAN|US_SSN|IP_ADDRESS|SECRET|CUSTOM_[A-Za-z0-9_]{1,64}?)(?:_[0-9a-f]{4,64})?>");

    private final Set<PiiType> enabled;
    private final List<String> phoneRegions;
    private final Map<String, CustomDetector> customs;
    private final double minConfidence;
    private final List<Detector> detectors;

    private PiiScanner(Builder b) {
        this.enabled = Collections.unmodifiableSet(EnumSet.copyOf(b.enabled));
        this.phoneRegions = List.copyOf(b.phoneRegions);
        this.customs = Collections.unmodifiableMap(new LinkedHashMap<>(b.customs));
        this.minConfidence = b.minConfidence;
        List<Detector> ds = new ArrayList<>();
        if (enabled.contains(PiiType.EMAIL_ADDRESS)) {
            ds.add(new EmailDetector());
        }
        if (enabled.contains(PiiType.PHONE_NUMBER) && !phoneRegions.isEmpty()) {
            ds.add(new PhoneDetector(phoneRegions));
        }
        if (enabled.contains(PiiType.CREDIT_CARD)) {
            ds.add(new CardDetector());
        }
        if (enabled.contains(PiiType.IBAN)) {
            ds.add(new IbanDetector());
        }
        if (enabled.contains(PiiType.US_SSN)) {
            ds.add(new SsnDetector());
        }
        if (enabled.contains(PiiType.IP_ADDRESS)) {
            ds.add(new IpDetector());
        }
        if (enabled.contains(PiiType.SECRET)) {
            ds.add(new SecretDetector());
        }
        if (enabled.contains(PiiType.CUSTOM)) {
            ds.addAll(customs.values());
        }
        this.detectors = List.copyOf(ds);
    }

    /** A scanner with every type, the default regions and threshold, and no user patterns. */
    public static PiiScanner defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this scanner's settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.enabled = EnumSet.copyOf(enabled);
        b.phoneRegions = new ArrayList<>(phoneRegions);
        b.customs = new LinkedHashMap<>(customs);
        b.minConfidence = minConfidence;
        return b;
    }

    /**
     * The findings in {@code text}, sorted by start offset, non-overlapping, each with confidence at or
     * above the threshold. Never throws on any string (lone surrogates, megabytes of digits).
     */
    public List<Finding> scan(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            return List.of();
        }
        List<Finding> raw = new ArrayList<>();
        for (Detector d : detectors) {
            d.detect(text, raw);
        }
        if (raw.isEmpty()) {
            return List.of();
        }
        List<int[]> tags = tagSpans(text);
        List<Finding> kept = new ArrayList<>(raw.size());
        for (Finding f : raw) {
            if (f.confidence() >= minConfidence && !insideTag(f, tags)) {
                kept.add(f);
            }
        }
        return resolveOverlaps(kept);
    }

    /** Whether {@code text} holds at least one finding (same rules as {@link #scan}). */
    public boolean containsPii(String text) {
        return !scan(text).isEmpty();
    }

    /** The enabled types. */
    public Set<PiiType> enabledTypes() {
        return enabled;
    }

    /** The regions whose national phone formats are recognised, as ISO 3166 codes. */
    public List<String> phoneRegions() {
        return phoneRegions;
    }

    /** The user patterns by name. */
    public Map<String, Pattern> customPatterns() {
        Map<String, Pattern> m = new LinkedHashMap<>();
        customs.forEach((k, v) -> m.put(k, v.pattern()));
        return Collections.unmodifiableMap(m);
    }

    public double minConfidence() {
        return minConfidence;
    }

    @Override
    public String toString() {
        return "PiiScanner{types=" + enabled + ", phoneRegions=" + phoneRegions + ", customPatterns=" + customs.keySet()
                + ", minConfidence=" + minConfidence + "}";
    }

    private static List<int[]> tagSpans(String text) {
        if (text.indexOf('<') < 0) {
            return List.of();
        }
        List<int[]> spans = new ArrayList<>();
        Matcher m = TAG.matcher(text);
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
        }
        return spans;
    }

    private static boolean insideTag(Finding f, List<int[]> tags) {
        for (int[] t : tags) {
            if (f.start() < t[1] && t[0] < f.end()) {
                return true;
            }
        }
        return false;
    }

    /** Greedy by confidence, then length, then position; the survivors sorted by start. */
    static List<Finding> resolveOverlaps(List<Finding> candidates) {
        if (candidates.size() <= 1) {
            return List.copyOf(candidates);
        }
        List<Finding> byStrength = new ArrayList<>(candidates);
        byStrength.sort(Comparator.comparingDouble(Finding::confidence).reversed()
                .thenComparing(Comparator.comparingInt(Finding::length).reversed())
                .thenComparingInt(Finding::start)
                .thenComparing(Finding::label));
        // Accepted intervals kept sorted by start, so each overlap test is a binary search.
        List<Finding> accepted = new ArrayList<>();
        for (Finding f : byStrength) {
            int lo = 0;
            int hi = accepted.size();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (accepted.get(mid).start() < f.start()) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            boolean clash = (lo < accepted.size() && accepted.get(lo).overlaps(f))
                    || (lo > 0 && accepted.get(lo - 1).overlaps(f));
            if (!clash) {
                accepted.add(lo, f);
            }
        }
        return List.copyOf(accepted);
    }

    /** Settings for a {@link PiiScanner}; {@link #build()} checks them. */
    public static final class Builder {
        private EnumSet<PiiType> enabled = EnumSet.allOf(PiiType.class);
        private List<String> phoneRegions = new ArrayList<>(DEFAULT_PHONE_REGIONS);
        private Map<String, CustomDetector> customs = new LinkedHashMap<>();
        private double minConfidence = DEFAULT_MIN_CONFIDENCE;

        private Builder() {
        }

        /** Only these types are detected (CUSTOM covers all user patterns). */
        public Builder enabledTypes(Set<PiiType> types) {
            Objects.requireNonNull(types, "types");
            this.enabled = types.isEmpty() ? EnumSet.noneOf(PiiType.class) : EnumSet.copyOf(types);
            return this;
        }

        public Builder enable(PiiType type) {
            enabled.add(Objects.requireNonNull(type, "type"));
            return this;
        }

        public Builder disable(PiiType type) {
            enabled.remove(Objects.requireNonNull(type, "type"));
            return this;
        }

        /** The regions whose national phone formats are recognised (ISO 3166-1 alpha-2, e.g. US, GB). */
        public Builder phoneRegions(List<String> regions) {
            Objects.requireNonNull(regions, "regions");
            List<String> r = new ArrayList<>();
            for (String s : regions) {
                r.add(Objects.requireNonNull(s, "region").trim().toUpperCase(Locale.ROOT));
            }
            this.phoneRegions = r;
            return this;
        }

        public Builder phoneRegions(String... regions) {
            return phoneRegions(List.of(regions));
        }

        /** A user pattern: matches are reported as CUSTOM with label {@code CUSTOM_<name>}, confidence 0.9. */
        public Builder customPattern(String name, String regex) {
            return customPattern(name, regex, DEFAULT_CUSTOM_CONFIDENCE);
        }

        public Builder customPattern(String name, String regex, double confidence) {
            Objects.requireNonNull(regex, "regex");
            Pattern p;
            try {
                p = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new BadRequestException("custom PII pattern " + name + ": invalid regex: " + e.getDescription(), e);
            }
            return customPattern(name, p, confidence);
        }

        public Builder customPattern(String name, Pattern pattern, double confidence) {
            Objects.requireNonNull(pattern, "pattern");
            if (name == null || !CUSTOM_NAME.matcher(name).matches()) {
                throw new BadRequestException("custom PII pattern name must match [A-Za-z0-9_]{1,64}, got " + quote(name));
            }
            if (!(confidence > 0 && confidence <= 1)) {
                throw new BadRequestException("custom PII pattern " + name + ": confidence must be in (0, 1], got " + confidence);
            }
            if (customs.containsKey(name)) {
                throw new BadRequestException("custom PII pattern " + name + " is defined twice");
            }
            customs.put(name, new CustomDetector(name, pattern, confidence));
            return this;
        }

        /**
         * Findings below this confidence are dropped; in [0, 1], default 0.5 ({@link #DEFAULT_MIN_CONFIDENCE}).
         * Raising it hides the findings whose context lowered them, trading recall for precision.
         */
        public Builder minConfidence(double threshold) {
            this.minConfidence = threshold;
            return this;
        }

        public PiiScanner build() {
            if (!(minConfidence >= 0 && minConfidence <= 1)) {
                throw new BadRequestException("minConfidence must be in [0, 1], got " + minConfidence);
            }
            Set<String> supported = PhoneNumberUtil.getInstance().getSupportedRegions();
            for (String r : phoneRegions) {
                if (!supported.contains(r)) {
                    throw new BadRequestException("phoneRegions: unknown region " + quote(r)
                            + "; use an ISO 3166-1 alpha-2 code libphonenumber supports, e.g. US, GB, DE, FR, IN");
                }
            }
            if (enabled.contains(PiiType.PHONE_NUMBER) && phoneRegions.isEmpty()) {
                throw new BadRequestException("phoneRegions must not be empty while PHONE_NUMBER is enabled");
            }
            return new PiiScanner(this);
        }

        private static String quote(String s) {
            return s == null ? "null" : "'" + s + "'";
        }
    }
}
