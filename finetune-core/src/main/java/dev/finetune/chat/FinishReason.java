package dev.finetune.chat;

/** Why a generation ended, as the service names it. */
public enum FinishReason {
    /** The model ended its turn. */
    COMPLETE,
    /** A requested stop sequence was produced. */
    STOP_SEQUENCE,
    /** {@code max_tokens} (or the model's context) was reached. */
    MAX_TOKENS
}
