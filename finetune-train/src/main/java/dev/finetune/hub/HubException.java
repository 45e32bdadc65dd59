package dev.finetune.hub;

import dev.finetune.FinetuneException;

/**
 * A hub model could not be had: access refused, not found, offline without a cached copy, a download
 * that failed its checksum, or the network. The message names the model and the file; it never holds
 * the token.
 */
public final class HubException extends FinetuneException {
    /** What went wrong. */
    public enum Reason {
        /** 401/403: a gated or private repository, and no token or one without the permission. */
        ACCESS_DENIED,
        /** The repository, revision or file does not exist on the hub. */
        NOT_FOUND,
        /** {@code HF_HUB_OFFLINE} is set and the cache lacks a file. */
        OFFLINE,
        /** A downloaded file's size or hash is not the one the hub announced. */
        INTEGRITY,
        /** The hub could not be reached or broke off. */
        NETWORK,
        /** The hub (or a mirror) answered something this client does not understand. */
        PROTOCOL
    }

    private final Reason reason;

    public HubException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public HubException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
