package dev.finetune.datasets;

import dev.finetune.Ranges;
import dev.finetune.BadRequestException;
import java.util.Objects;

/**
 * What {@code co.datasets().create(...)} needs besides the data: a staged builder for the required
 * {@code name} and {@code type}, then the optional flags.
 *
 * <pre>{@code
 * DatasetsCreateRequest.builder().name("support-chats").type(DatasetType.CHAT_FINETUNE_INPUT)
 *         .skipMalformedInput(true).build();
 * }</pre>
 */
public final class DatasetsCreateRequest {
    /** The service's limit: names longer than this fail. */
    public static final int MAX_NAME_LENGTH = 50;
    /** The service kept fine-tuning data for 30 days; so do we unless told otherwise. */
    public static final int DEFAULT_RETENTION_DAYS = 30;
    public static final String NAME_TOO_LONG = "The name must be less than 50 characters long.";

    private final String name;
    private final DatasetType type;
    private final boolean keepOriginalFile;
    private final boolean skipMalformedInput;
    private final char csvDelimiter;
    private final PiiPolicy piiPolicy;
    private final boolean piiPseudonyms;
    private final int retentionDays;
    private final java.util.Map<String, String> piiCustomPatterns;
    private final java.util.Optional<Double> piiMinConfidence;

    private DatasetsCreateRequest(Builder b) {
        this.name = b.name;
        this.type = b.type;
        this.keepOriginalFile = b.keepOriginalFile;
        this.skipMalformedInput = b.skipMalformedInput;
        this.csvDelimiter = b.csvDelimiter;
        this.piiPolicy = b.piiPolicy;
        this.piiPseudonyms = b.piiPseudonyms;
        this.retentionDays = b.retentionDays;
        this.piiCustomPatterns = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(b.piiCustomPatterns));
        this.piiMinConfidence = b.piiMinConfidence;
    }

    public static NameStage builder() {
        return new Builder();
    }

    public String name() {
        return name;
    }

    public DatasetType type() {
        return type;
    }

    /** Keep the uploaded bytes next to the normalized parts (otherwise they are removed after validation). */
    public boolean keepOriginalFile() {
        return keepOriginalFile;
    }

    /** Drop malformed rows (listed in the warnings) instead of failing the dataset. */
    public boolean skipMalformedInput() {
        return skipMalformedInput;
    }

    /** The CSV field separator; {@code ','} by default. */
    public char csvDelimiter() {
        return csvDelimiter;
    }

    /** What to do with personal data found in the upload (default {@link PiiPolicy#REDACT}). */
    public PiiPolicy piiPolicy() {
        return piiPolicy;
    }

    /** With {@link PiiPolicy#REDACT}: consistent pseudonyms (keyed per workspace) instead of type tags. */
    public boolean piiPseudonyms() {
        return piiPseudonyms;
    }

    /** User-supplied PII patterns by name. */
    public java.util.Map<String, String> piiCustomPatterns() {
        return piiCustomPatterns;
    }

    /**
     * The confidence below which a PII finding is left in the data; empty: the scanner's default (0.5),
     * which keeps every value of a sure shape whatever the words around it.
     */
    public java.util.Optional<Double> piiMinConfidence() {
        return piiMinConfidence;
    }

    /** Days after creation when every file of the dataset is purged. */
    public int retentionDays() {
        return retentionDays;
    }

    @Override
    public String toString() {
        return "DatasetsCreateRequest{name=" + name + ", type=" + type + ", keepOriginalFile=" + keepOriginalFile
                + ", skipMalformedInput=" + skipMalformedInput + ", csvDelimiter=" + csvDelimiter + ", piiPolicy="
                + piiPolicy + (piiPseudonyms ? ", piiPseudonyms" : "") + "}";
    }

    public interface NameStage {
        TypeStage name(String name);
    }

    public interface TypeStage {
        OptionalStage type(DatasetType type);
    }

    public interface OptionalStage {
        OptionalStage keepOriginalFile(boolean keep);

        OptionalStage skipMalformedInput(boolean skip);

        OptionalStage csvDelimiter(char delimiter);

        /** What to do with personal data in the upload; default {@link PiiPolicy#REDACT}. */
        OptionalStage piiPolicy(PiiPolicy policy);

        /** Redact with consistent pseudonyms instead of type tags. */
        OptionalStage piiPseudonyms(boolean pseudonyms);

        /** An extra PII type for this upload: findings of {@code regex} are reported (and redacted) as {@code CUSTOM_name}. */
        OptionalStage piiCustomPattern(String name, String regex);

        /** Days after creation when the dataset's data is purged (default 30, as the service documented; 1..3650). */
        OptionalStage retentionDays(int days);

        /**
         * Findings below this confidence (0..1) are neither redacted, rejected nor counted. The default
         * (0.5) keeps recall: no words around a checksum-valid card or IBAN, an SSN or a formatted phone
         * number take it below 0.5. A higher value trades recall for precision.
         */
        OptionalStage piiMinConfidence(double threshold);

        /** @throws BadRequestException when the name is empty or longer than 50 characters, or the delimiter is a quote or line break */
        DatasetsCreateRequest build();
    }

    private static final class Builder implements NameStage, TypeStage, OptionalStage {
        private String name;
        private DatasetType type;
        private boolean keepOriginalFile;
        private boolean skipMalformedInput;
        private char csvDelimiter = ',';
        private PiiPolicy piiPolicy = PiiPolicy.REDACT;
        private boolean piiPseudonyms;
        private int retentionDays = DEFAULT_RETENTION_DAYS;
        private final java.util.Map<String, String> piiCustomPatterns = new java.util.TreeMap<>();
        private java.util.Optional<Double> piiMinConfidence = java.util.Optional.empty();

        @Override
        public OptionalStage piiMinConfidence(double threshold) {
            Ranges.check("pii_min_confidence", threshold, 0.0, 1.0);
            this.piiMinConfidence = java.util.Optional.of(threshold);
            return this;
        }

        @Override
        public OptionalStage piiCustomPattern(String name, String regex) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(regex, "regex");
            if (!name.matches("[A-Za-z][A-Za-z0-9_]{0,39}")) {
                throw new BadRequestException("pii_custom_patterns: name \"" + name
                        + "\" must be a letter then up to 39 letters, digits or underscores");
            }
            try {
                java.util.regex.Pattern.compile(regex);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new BadRequestException("pii_custom_patterns." + name + ": not a valid regular expression: "
                        + e.getDescription());
            }
            piiCustomPatterns.put(name, regex);
            return this;
        }

        @Override
        public OptionalStage retentionDays(int days) {
            Ranges.check("retention_days", days, 1, 3650);
            this.retentionDays = days;
            return this;
        }

        @Override
        public OptionalStage piiPolicy(PiiPolicy policy) {
            this.piiPolicy = Objects.requireNonNull(policy, "piiPolicy");
            return this;
        }

        @Override
        public OptionalStage piiPseudonyms(boolean pseudonyms) {
            this.piiPseudonyms = pseudonyms;
            return this;
        }

        @Override
        public TypeStage name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        @Override
        public OptionalStage type(DatasetType type) {
            this.type = Objects.requireNonNull(type, "type");
            return this;
        }

        @Override
        public OptionalStage keepOriginalFile(boolean keep) {
            this.keepOriginalFile = keep;
            return this;
        }

        @Override
        public OptionalStage skipMalformedInput(boolean skip) {
            this.skipMalformedInput = skip;
            return this;
        }

        @Override
        public OptionalStage csvDelimiter(char delimiter) {
            this.csvDelimiter = delimiter;
            return this;
        }

        @Override
        public DatasetsCreateRequest build() {
            if (name.codePointCount(0, name.length()) > MAX_NAME_LENGTH) {
                throw new BadRequestException(NAME_TOO_LONG);
            }
            if (name.isBlank()) {
                throw new BadRequestException("name: must not be empty");
            }
            if (csvDelimiter == '"' || csvDelimiter == '\n' || csvDelimiter == '\r') {
                throw new BadRequestException("csv_delimiter: '" + csvDelimiter + "' cannot separate fields (a quote or a line break)");
            }
            return new DatasetsCreateRequest(this);
        }
    }
}
