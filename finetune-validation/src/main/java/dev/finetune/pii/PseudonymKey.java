package dev.finetune.pii;

import dev.finetune.FinetuneException;
import dev.finetune.workspace.AtomicWrite;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * The per-workspace secret that keys pseudonyms (HMAC-SHA256): 32 random bytes in
 * {@code <workspace>/pii.key}, created once (atomically, readable by the owner only where the file
 * system has POSIX permissions). Losing it makes new pseudonyms differ from old ones; it never leaves
 * the workspace and is never logged.
 */
public final class PseudonymKey {
    public static final String FILE = "pii.key";
    private static final int BYTES = 32;

    private PseudonymKey() {
    }

    public static synchronized byte[] loadOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                byte[] k = Files.readAllBytes(file);
                if (k.length != BYTES) {
                    throw new FinetuneException(file + ": a pseudonym key is " + BYTES + " bytes, this file has " + k.length);
                }
                return k;
            }
            byte[] k = new byte[BYTES];
            new SecureRandom().nextBytes(k);
            AtomicWrite.writeBytes(file, k);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the workspace folder's own permissions apply
            }
            return k;
        } catch (FileAlreadyExistsException e) {
            return loadOrCreate(file);
        } catch (IOException e) {
            throw new FinetuneException("cannot read or create the pseudonym key " + file + ": " + e.getMessage(), e);
        }
    }
}
