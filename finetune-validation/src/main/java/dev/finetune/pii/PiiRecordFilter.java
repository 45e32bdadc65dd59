package dev.finetune.pii;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.datasets.PiiPolicy;
import dev.finetune.datasets.PiiSummary;
import dev.finetune.spi.RecordFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The upload's PII step, run on every valid record before it is written to the workspace:
 * {@link PiiPolicy#REDACT} stores a redacted copy (tags or keyed pseudonyms), {@link PiiPolicy#REJECT}
 * stops storing at the first finding and fails the dataset with counts by type and the first locations,
 * {@link PiiPolicy#WARN} stores records unchanged and reports counts, {@link PiiPolicy#OFF} does nothing.
 * Reports hold types, counts and locations (part, line, field, character offsets), never values.
 * One instance per dataset; not thread-safe (the validator calls it from one thread).
 */
public final class PiiRecordFilter implements RecordFilter {
    static final int MAX_LOCATIONS = 5;

    private final PiiPolicy policy;
    private final PiiJson json;
    private final PiiRedactor redactor;
    private final Map<String, Long> counts = new TreeMap<>();
    private final List<String> locations = new ArrayList<>();
    /** The first {@link PiiFindings#MAX_LOCATIONS} findings, for {@link #findings()}. */
    private final List<PiiFindings.Location> found = new ArrayList<>();
    private long changed;
    private long rejected;

    public PiiRecordFilter(PiiPolicy policy, PiiScanner scanner, PiiRedactor redactor) {
        this.policy = policy;
        this.json = new PiiJson(scanner);
        this.redactor = redactor;
    }

    @Override
    public Decision apply(String part, long line, JsonNode record) {
        if (policy == PiiPolicy.OFF) {
            return Decision.keep(record);
        }
        PiiJson.Result r = policy == PiiPolicy.REDACT ? json.redact(record, line, redactor) : json.scan(record, line);
        if (r.isEmpty()) {
            return Decision.keep(record);
        }
        r.counts().forEach((label, n) -> counts.merge(label, (long) n, Long::sum));
        for (Finding f : r.findings()) {
            if (found.size() < PiiFindings.MAX_LOCATIONS) {
                found.add(new PiiFindings.Location(f.label(), part, line, f.field(), f.start(), f.end()));
            }
            if (locations.size() < MAX_LOCATIONS) {
                locations.add(f.label() + " at " + part + " line " + line + " " + f.field().orElse("") + " ["
                        + f.start() + ", " + f.end() + ")");
            }
        }
        switch (policy) {
            case REDACT:
                changed++;
                return Decision.keep(r.node());
            case REJECT:
                rejected++;
                return Decision.fail("dataset contains personal data (pii policy REJECT)");
            default:
                return Decision.keep(record);
        }
    }

    /** "3 EMAIL_ADDRESS, 1 PHONE_NUMBER". */
    String countsText() {
        List<String> parts = new ArrayList<>();
        counts.forEach((k, v) -> parts.add(v + " " + k));
        return String.join(", ", parts);
    }

    @Override
    public Optional<String> failure() {
        if (policy != PiiPolicy.REJECT || counts.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("dataset contains personal data and the pii policy is REJECT: " + countsText()
                + " in " + rejected + " record(s); first at " + String.join("; ", locations)
                + ". No data was kept; redact it, or upload with pii policy REDACT");
    }

    @Override
    public List<String> warnings() {
        if (counts.isEmpty()) {
            return List.of();
        }
        return switch (policy) {
            case REDACT -> List.of("personal data redacted before storage (pii policy REDACT): " + countsText() + " in "
                    + changed + " record(s)");
            case WARN -> List.of("personal data found and kept as uploaded (pii policy WARN): " + countsText()
                    + "; first at " + String.join("; ", locations));
            default -> List.of();
        };
    }

    /** What was found so far: counts by type and the first locations (types and offsets, never values). */
    public PiiFindings findings() {
        return new PiiFindings(policy, counts, changed, found);
    }

    @Override
    public Optional<PiiSummary> summary() {
        return Optional.of(new PiiSummary(Optional.of(policy.name()), counts, changed, 0));
    }
}
