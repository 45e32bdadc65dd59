package dev.finetune.pii;

import dev.finetune.spi.RecordFilterFactory;

/** The {@link RecordFilterFactory} this module registers: the PII step with the upload's policy. */
public final class PiiRecordFilterFactory implements RecordFilterFactory {
    @Override
    public PiiRecordFilter create(Context c) {
        PiiRedactor redactor = c.pseudonyms()
                ? PiiRedactor.pseudonyms(PseudonymKey.loadOrCreate(c.workspaceRoot().resolve(PseudonymKey.FILE)))
                : PiiRedactor.tags();
        PiiScanner.Builder scanner = PiiScanner.builder();
        c.customPatterns().forEach(scanner::customPattern);
        c.minConfidence().ifPresent(scanner::minConfidence);
        return new PiiRecordFilter(c.policy(), scanner.build(), redactor);
    }
}
