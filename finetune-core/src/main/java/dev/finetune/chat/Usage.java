package dev.finetune.chat;

/** Token counts of a request: {@code billed_units} and {@code tokens} (the same numbers here, nothing is billed). */
public record Usage(Units billedUnits, Units tokens) {
    /** Input (prompt) and output (generated) token counts. */
    public record Units(int inputTokens, int outputTokens) {
    }

    public static Usage of(int inputTokens, int outputTokens) {
        Units u = new Units(inputTokens, outputTokens);
        return new Usage(u, u);
    }
}
