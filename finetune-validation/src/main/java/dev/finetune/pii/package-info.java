/**
 * PII detection and redaction for fine-tuning data: {@link dev.finetune.pii.PiiScanner} finds personal
 * data and secrets in one string (one field's value) and returns {@link dev.finetune.pii.Finding}s with
 * character offsets; {@link dev.finetune.pii.PiiRedactor} rewrites the string with type tags or keyed
 * pseudonyms; {@link dev.finetune.pii.PiiJson} applies both to every string of a JSON tree with its field
 * path; {@link dev.finetune.pii.PiiQuality} measures precision and recall on a labelled corpus.
 *
 * <p>No class here ever puts a detected value into a {@code toString}, an exception message or a log line:
 * findings carry offsets and a masked form only.
 */
package dev.finetune.pii;
