package dev.finetune.pii;

import java.util.Objects;
import java.util.Optional;

/**
 * One detected value: its type, its character offsets {@code [start, end)} in the scanned string, a
 * confidence in [0, 1], the rule that fired and a masked form for display ({@code j***@e***.com},
 * {@code **** **** **** 1234}).
 *
 * <p>A finding never holds the value itself, so it can be logged, stored in an audit record or printed
 * without leaking what it found; {@link #valueIn(CharSequence)} reads the value back from the source text
 * when a redactor needs it. Where the string came from (line number, JSON field path) is caller context,
 * attached with {@link #withLocation(long, String)}.
 */
public final class Finding {
    /** Line number meaning "not known". */
    public static final long NO_LINE = 0;

    private final PiiType type;
    private final String customName;
    private final int start;
    private final int end;
    private final double confidence;
    private final String rule;
    private final String masked;
    private final long line;
    private final String field;

    private Finding(PiiType type, String customName, int start, int end, double confidence, String rule,
                    String masked, long line, String field) {
        this.type = Objects.requireNonNull(type, "type");
        if (type == PiiType.CUSTOM && (customName == null || customName.isEmpty())) {
            throw new IllegalArgumentException("a CUSTOM finding needs the pattern's name");
        }
        if (type != PiiType.CUSTOM && customName != null) {
            throw new IllegalArgumentException("only CUSTOM findings have a pattern name, not " + type);
        }
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("finding offsets must satisfy 0 <= start < end, got [" + start + ", " + end + ")");
        }
        if (!(confidence >= 0.0 && confidence <= 1.0)) {
            throw new IllegalArgumentException("confidence must be in [0, 1], got " + confidence);
        }
        if (line < 0) {
            throw new IllegalArgumentException("line must be >= 0 (0 = unknown), got " + line);
        }
        this.customName = customName;
        this.start = start;
        this.end = end;
        this.confidence = confidence;
        this.rule = Objects.requireNonNull(rule, "rule");
        this.masked = Objects.requireNonNull(masked, "masked");
        this.line = line;
        this.field = field;
    }

    /** A finding of a built-in type at {@code [start, end)}. */
    public static Finding of(PiiType type, int start, int end, double confidence, String rule, String masked) {
        return new Finding(type, null, start, end, confidence, rule, masked, NO_LINE, null);
    }

    /** A finding of the user pattern {@code name} at {@code [start, end)}. */
    public static Finding custom(String name, int start, int end, double confidence, String masked) {
        return new Finding(PiiType.CUSTOM, name, start, end, confidence, "custom:" + name, masked, NO_LINE, null);
    }

    /** The same finding with where its string came from: a 1-based line number and a field path such as {@code messages[2].content}. */
    public Finding withLocation(long line, String field) {
        return new Finding(type, customName, start, end, confidence, rule, masked, line, field);
    }

    /** The same finding moved by {@code delta} characters (used when a scanned string was a slice). */
    Finding shifted(int delta) {
        return new Finding(type, customName, start + delta, end + delta, confidence, rule, masked, line, field);
    }

    public PiiType type() {
        return type;
    }

    /** The user pattern's name for {@link PiiType#CUSTOM}, empty otherwise. */
    public Optional<String> customName() {
        return Optional.ofNullable(customName);
    }

    /** {@code EMAIL_ADDRESS}, ..., or {@code CUSTOM_<name>}: the key used in counts and tags. */
    public String label() {
        return type == PiiType.CUSTOM ? "CUSTOM_" + customName : type.name();
    }

    /** The redaction tag, {@code <EMAIL_ADDRESS>} or {@code <CUSTOM_name>}. */
    public String tag() {
        return "<" + label() + ">";
    }

    /** First character of the value, as an offset in the scanned string. */
    public int start() {
        return start;
    }

    /** One past the last character of the value. */
    public int end() {
        return end;
    }

    public int length() {
        return end - start;
    }

    public double confidence() {
        return confidence;
    }

    /** Which detector rule fired, e.g. {@code luhn+iin:visa} or {@code aws_access_key_id}; never contains the value. */
    public String rule() {
        return rule;
    }

    /** The value with most of it starred out, safe to show to a person. */
    public String masked() {
        return masked;
    }

    /** 1-based line number, or {@link #NO_LINE} when the caller did not say. */
    public long line() {
        return line;
    }

    /** The JSON field path, empty for plain text or when the caller did not say. */
    public Optional<String> field() {
        return Optional.ofNullable(field);
    }

    /** The detected value, read from the text that was scanned. */
    public String valueIn(CharSequence scanned) {
        return scanned.subSequence(start, end).toString();
    }

    /** Whether the two findings share at least one character. */
    public boolean overlaps(Finding other) {
        return start < other.end && other.start < end;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Finding)) {
            return false;
        }
        Finding f = (Finding) o;
        return type == f.type && start == f.start && end == f.end && Double.compare(confidence, f.confidence) == 0
                && line == f.line && Objects.equals(customName, f.customName) && rule.equals(f.rule)
                && masked.equals(f.masked) && Objects.equals(field, f.field);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, customName, start, end, confidence, rule, masked, line, field);
    }

    /** Type, place, confidence, rule and the masked form; never the value. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Finding{").append(label())
                .append(" [").append(start).append(", ").append(end).append(')')
                .append(String.format(java.util.Locale.ROOT, " confidence=%.2f", confidence))
                .append(" rule=").append(rule)
                .append(" masked=").append(masked);
        if (line != NO_LINE) {
            sb.append(" line=").append(line);
        }
        if (field != null && !field.isEmpty()) {
            sb.append(" field=").append(field);
        }
        return sb.append('}').toString();
    }
}
