package dev.finetune.workspace;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.finetune.WorkspaceException;
import dev.finetune.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workspace's small file operations, each written once: deleting a tree, appending a JSONL record
 * durably, reading JSONL records back, and making record ids. Atomic whole-file writes are
 * {@link AtomicWrite}.
 */
public final class FileOps {
    private static final Logger LOG = LoggerFactory.getLogger(FileOps.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Object APPEND_LOCK = new Object();

    private FileOps() {
    }

    /** Deletes {@code p} and everything under it; nothing to do when it does not exist. */
    public static void deleteTree(Path p) {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new WorkspaceException("cannot delete " + p + ": " + e.getMessage(), e);
        }
    }

    /** Appends one record as a JSON line and forces it to disk before returning. */
    public static void appendJsonLine(Path file, Object record) {
        byte[] line;
        try {
            line = (Json.writer().writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new WorkspaceException("cannot serialize " + record.getClass().getSimpleName(), e);
        }
        synchronized (APPEND_LOCK) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND); OutputStream out = Channels.newOutputStream(ch)) {
                out.write(line);
                ch.force(false);
            } catch (IOException e) {
                throw new WorkspaceException("cannot append to " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** The records of a JSONL file, in file order; a torn last line (a crash mid-append) is skipped. */
    public static <T> List<T> readJsonLines(Path file, Class<T> type) {
        List<T> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    out.add(Json.readValue(line, type));
                } catch (JsonProcessingException e) {
                    LOG.warn("{}: skipping an incomplete line", file);
                }
            }
        } catch (IOException e) {
            throw new WorkspaceException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * {@code <slug of name>-<8 hex>}: readable in listings, unique by its random tail; {@code fallback}
     * when the name has no letters or digits.
     */
    public static String newId(String name, String fallback) {
        String slug = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (slug.length() > 40) {
            slug = slug.substring(0, 40).replaceAll("-+$", "");
        }
        byte[] tail = new byte[4];
        RANDOM.nextBytes(tail);
        return (slug.isEmpty() ? fallback : slug) + "-" + HexFormat.of().formatHex(tail);
    }
}
