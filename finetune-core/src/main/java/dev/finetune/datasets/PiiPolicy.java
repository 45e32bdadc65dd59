package dev.finetune.datasets;

/**
 * What happens to personal data found in an upload, before anything is stored:
 * {@link #REDACT} (the default) replaces each value with a {@code <EMAIL_ADDRESS>}-style tag, or with a
 * consistent pseudonym when asked; {@link #REJECT} fails validation with counts by type and the first
 * locations, keeping no data; {@link #WARN} keeps the values and reports counts in the warnings;
 * {@link #OFF} does not scan.
 */
public enum PiiPolicy { REDACT, REJECT, WARN, OFF }
