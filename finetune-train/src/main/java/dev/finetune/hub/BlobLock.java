package dev.finetune.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lock on one blob while it downloads: an OS file lock on {@code .locks/models--ORG--NAME/ETAG.lock}
 * against other processes, and a lock per file within this JVM (whose file locks are held per process,
 * not per thread). The lock file is left in place, as huggingface_hub leaves its own.
 */
final class BlobLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    private BlobLock(ReentrantLock local, FileChannel channel, FileLock lock) {
        this.local = local;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock, calling {@code onWait} once if someone else holds it. */
    static BlobLock acquire(Path file, Runnable onWait) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        ReentrantLock local = IN_PROCESS.computeIfAbsent(key, k -> new ReentrantLock());
        boolean waited = false;
        if (!local.tryLock()) {
            onWait.run();
            waited = true;
            try {
                local.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for " + key);
            }
        }
        FileChannel ch = null;
        try {
            Files.createDirectories(key.getParent());
            ch = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l = ch.tryLock();
            if (l == null) {
                if (!waited) {
                    onWait.run();
                }
                l = ch.lock();
            }
            return new BlobLock(local, ch, l);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            local.unlock();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
            channel.close();
        } finally {
            local.unlock();
        }
    }
}
