package dev.finetune;

/** The workspace could not be read or written, or is owned by another process. */
public class WorkspaceException extends FinetuneException {
    public WorkspaceException(String message) {
        super(message);
    }

    public WorkspaceException(String message, Throwable cause) {
        super(message, cause);
    }
}
