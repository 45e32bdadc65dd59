package dev.finetune.safetensors;

import dev.finetune.workspace.AtomicWrite;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Atomic file replacement for tensor files, through {@link AtomicWrite}: a temporary in the target's
 * folder, fsynced, renamed over the target, the folder fsynced. A reader sees the old file or the new
 * one, never half of one.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** What writes the file's content through an open channel. */
    @FunctionalInterface
    public interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    /** Writes {@code target} atomically with {@code writer}; on failure the target is untouched and the temporary file removed. */
    public static void write(Path target, ChannelWriter writer) throws IOException {
        AtomicWrite.writeChannel(target, writer::write);
    }

    /** Writes {@code bytes} to {@code target} atomically. */
    public static void write(Path target, byte[] bytes) throws IOException {
        AtomicWrite.writeBytes(target, bytes);
    }
}
