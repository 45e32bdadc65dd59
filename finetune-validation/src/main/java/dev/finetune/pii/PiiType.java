package dev.finetune.pii;

/** The kinds of personal data and secrets the scanner knows; {@link #tag()} is the redaction tag. */
public enum PiiType {
    EMAIL_ADDRESS,
    PHONE_NUMBER,
    CREDIT_CARD,
    IBAN,
    US_SSN,
    IP_ADDRESS,
    SECRET,
    /** A user-supplied named pattern; its label is {@code CUSTOM_<name>}. */
    CUSTOM;

    /** The redaction tag for a built-in type, e.g. {@code <EMAIL_ADDRESS>}; custom patterns use {@link Finding#tag()}. */
    public String tag() {
        return "<" + name() + ">";
    }
}
