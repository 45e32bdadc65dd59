package dev.finetune.workspace;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Whole-file writes that a crash cannot tear: the content goes to {@code .<name>.tmp-<hex>} in the
 * target's folder, is fsynced, renamed over the target, and the folder is fsynced. A reader (or a
 * process opened after a crash) sees the old file or the new one. Leftover temporaries match
 * {@link #isTemporary(Path)} and are removed by the workspace on open.
 */
public final class AtomicWrite {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TMP_MARK = ".tmp-";

    private AtomicWrite() {
    }

    /** Produces a file's content on a stream (buffered by the caller if it writes small pieces). */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes a file's content through its open channel (for positioned or bulk writes). */
    @FunctionalInterface
    public interface ChannelContent {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Writes {@code target} atomically; on failure the target is unchanged and the temporary removed. */
    public static void write(Path target, Content content) throws IOException {
        writeChannel(target, ch -> {
            OutputStream out = new java.io.BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            content.writeTo(out);
            out.flush(); // not closed: closing the stream would close the channel before it is forced
        });
    }

    /** As {@link #write(Path, Content)}, the content written through the temporary's channel. */
    public static void writeChannel(Path target, ChannelContent content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        byte[] salt = new byte[6];
        RANDOM.nextBytes(salt);
        Path tmp = dir.resolve("." + abs.getFileName() + TMP_MARK + HexFormat.of().formatHex(salt));
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
                ch.force(true);
            }
            move(tmp, abs);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Renames {@code from} to {@code to} atomically (replacing a file), then fsyncs {@code to}'s folder. */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Same-folder renames are atomic on every local file system we target; this is a network mount.
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(to.toAbsolutePath().getParent());
    }

    /** Makes a rename or create in {@code dir} durable. Not possible on every platform (Windows); ignored there. */
    public static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the rename itself is still atomic
        }
    }

    /** True for a temporary that {@link #write} left behind when its process died. */
    public static boolean isTemporary(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith(".") && n.contains(TMP_MARK);
    }
}
