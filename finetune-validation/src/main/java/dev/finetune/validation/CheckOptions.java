package dev.finetune.validation;

import dev.finetune.BadRequestException;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.PiiPolicy;
import dev.finetune.tokenizer.Tokenizer;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * How {@link DatasetCheck#check} reads and scans a dataset: the same flags an upload takes
 * ({@code DatasetsCreateRequest}), with the same defaults and the same argument checks, plus the
 * tokenizer that counts tokens. Immutable; {@link #defaults()} is what an upload does unless told
 * otherwise.
 *
 * <pre>{@code
 * CheckOptions options = CheckOptions.builder()
 *         .csvDelimiter(';')
 *         .piiPolicy(PiiPolicy.REJECT)
 *         .piiCustomPattern("ACCOUNT", "ACCT-\\d{5}")
 *         .build();
 * }</pre>
 */
public final class CheckOptions {
    private static final CheckOptions DEFAULTS = builder().build();

    private final char csvDelimiter;
    private final boolean skipMalformedInput;
    private final PiiPolicy piiPolicy;
    private final Map<String, String> piiCustomPatterns;
    private final Optional<Double> piiMinConfidence;
    private final Supplier<? extends Tokenizer> tokenizer;

    private CheckOptions(Builder b, DatasetsCreateRequest checked) {
        this.csvDelimiter = checked.csvDelimiter();
        this.skipMalformedInput = checked.skipMalformedInput();
        this.piiPolicy = checked.piiPolicy();
        this.piiCustomPatterns = checked.piiCustomPatterns();
        this.piiMinConfidence = checked.piiMinConfidence();
        this.tokenizer = b.tokenizer;
    }

    /** An upload's defaults: {@code ','} between CSV fields, malformed rows fail, PII policy REDACT, GPT-2's tokenizer. */
    public static CheckOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The CSV field separator; {@code ','} by default. */
    public char csvDelimiter() {
        return csvDelimiter;
    }

    /** Drop malformed rows (listed in the warnings) instead of failing; false by default. */
    public boolean skipMalformedInput() {
        return skipMalformedInput;
    }

    /** What the PII step does; {@link PiiPolicy#REDACT} by default, as for an upload; {@link PiiPolicy#OFF} skips the scan. */
    public PiiPolicy piiPolicy() {
        return piiPolicy;
    }

    /** User PII patterns by name, reported as {@code CUSTOM_name}. */
    public Map<String, String> piiCustomPatterns() {
        return piiCustomPatterns;
    }

    /** The confidence a PII finding needs to count, as an upload's {@code pii_min_confidence}; empty: the scanner's default. */
    public Optional<Double> piiMinConfidence() {
        return piiMinConfidence;
    }

    /** The tokenizer that counts tokens, when one was given; GPT-2's otherwise. */
    public Optional<Supplier<? extends Tokenizer>> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    @Override
    public String toString() {
        return "CheckOptions{csvDelimiter=" + csvDelimiter + ", skipMalformedInput=" + skipMalformedInput + ", piiPolicy="
                + piiPolicy + (piiCustomPatterns.isEmpty() ? "" : ", piiCustomPatterns=" + piiCustomPatterns.keySet())
                + piiMinConfidence.map(c -> ", piiMinConfidence=" + c).orElse("")
                + (tokenizer == null ? "" : ", tokenizer=given") + "}";
    }

    /** Setters check their argument at once or in {@link #build()}, with messages that name the field. */
    public static final class Builder {
        private char csvDelimiter = ',';
        private boolean skipMalformedInput;
        private PiiPolicy piiPolicy = PiiPolicy.REDACT;
        private final Map<String, String> piiCustomPatterns = new TreeMap<>();
        private Double piiMinConfidence;
        private Supplier<? extends Tokenizer> tokenizer;

        private Builder() {
        }

        /** The CSV field separator (any character but a quote or a line break); {@code ','} by default. */
        public Builder csvDelimiter(char delimiter) {
            this.csvDelimiter = delimiter;
            return this;
        }

        /** Drop malformed rows (listed in the warnings) instead of failing the dataset. */
        public Builder skipMalformedInput(boolean skip) {
            this.skipMalformedInput = skip;
            return this;
        }

        /** What to do with personal data; {@link PiiPolicy#OFF} does not scan (and the report has no PII findings). */
        public Builder piiPolicy(PiiPolicy policy) {
            if (policy == null) {
                throw new BadRequestException("pii_policy: must be one of REDACT, REJECT, WARN, OFF, got null");
            }
            this.piiPolicy = policy;
            return this;
        }

        /**
         * An extra PII type: matches of {@code regex} are counted (and redacted in the samples) as
         * {@code CUSTOM_name}. The same rules as an upload's {@code piiCustomPattern}.
         *
         * @throws BadRequestException when the name is not a letter then up to 39 letters, digits or
         *                             underscores, or the regex does not compile
         */
        public Builder piiCustomPattern(String name, String regex) {
            if (name == null || regex == null) {
                throw new BadRequestException("pii_custom_patterns: a pattern needs a name and a regex, got name=" + name
                        + (regex == null ? ", regex=null" : ""));
            }
            upload().piiCustomPattern(name, regex);
            piiCustomPatterns.put(name, regex);
            return this;
        }

        /**
         * The confidence (0 to 1) a PII finding needs to be counted and redacted; the same rule and message as
         * an upload's {@code piiMinConfidence}. Lower finds more (names in ordinary sentences), higher finds less.
         *
         * @throws BadRequestException when the threshold is outside 0 to 1
         */
        public Builder piiMinConfidence(double threshold) {
            upload().piiMinConfidence(threshold);
            this.piiMinConfidence = threshold;
            return this;
        }

        /** Counts tokens with {@code tokenizer} instead of GPT-2's (use the tokenizer of the model you will train). */
        public Builder tokenizer(Tokenizer tokenizer) {
            if (tokenizer == null) {
                throw new BadRequestException("tokenizer: must not be null");
            }
            this.tokenizer = () -> tokenizer;
            return this;
        }

        /** As {@link #tokenizer(Tokenizer)}, loaded only when the first token is counted (a file failing on line 1 never loads it). */
        public Builder tokenizer(Supplier<? extends Tokenizer> tokenizer) {
            if (tokenizer == null) {
                throw new BadRequestException("tokenizer: must not be null");
            }
            this.tokenizer = tokenizer;
            return this;
        }

        /** @throws BadRequestException when the CSV delimiter is a quote or a line break */
        public CheckOptions build() {
            DatasetsCreateRequest.OptionalStage upload = upload().csvDelimiter(csvDelimiter).skipMalformedInput(skipMalformedInput)
                    .piiPolicy(piiPolicy);
            piiCustomPatterns.forEach(upload::piiCustomPattern);
            if (piiMinConfidence != null) {
                upload.piiMinConfidence(piiMinConfidence);
            }
            return new CheckOptions(this, upload.build());
        }

        /** An upload request carries the rules, so a check accepts exactly what an upload accepts, with its messages. */
        private static DatasetsCreateRequest.OptionalStage upload() {
            return DatasetsCreateRequest.builder().name("check").type(DatasetType.CHAT_FINETUNE_INPUT);
        }
    }
}
