package dev.finetune.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.BadRequestException;
import dev.finetune.WorkspaceException;
import dev.finetune.json.Json;
import dev.finetune.workspace.AtomicWrite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The bearer tokens the server accepts, held only as SHA-256 digests.
 *
 * <p>Keys this class makes are 32 random bytes (256 bits), so one SHA-256 is enough: a slow password
 * hash (PBKDF2, bcrypt) protects guessable secrets, and nothing about a random 256-bit key is guessable.
 * A presented key is hashed and compared with every stored digest in constant time
 * ({@link MessageDigest#isEqual}), without stopping at the first match.
 *
 * <p>{@link #openOrCreate(Path)} keeps the digests in {@code server-keys.json} in the workspace; on the
 * first start it makes a key and hands it out once through {@link #createdKey()} (the caller shows it;
 * it is never written, logged or part of {@code toString()}). {@link #fromFile(Path)} reads keys the
 * operator manages (one a line, {@code #} comments) and writes nothing.
 */
public final class ApiKeys {
    public static final String FILE = "server-keys.json";
    static final String PREFIX = "ft-";

    private final List<byte[]> digests;
    private final String source;
    private volatile String created;

    private ApiKeys(List<byte[]> digests, String source, String created) {
        this.digests = List.copyOf(digests);
        this.source = source;
        this.created = created;
    }

    /** The workspace's keys; makes and stores (hashed) a first key when there is none. */
    public static ApiKeys openOrCreate(Path workspaceRoot) {
        Path file = workspaceRoot.resolve(FILE);
        List<byte[]> digests = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            try {
                JsonNode root = Json.reader().readTree(Files.readAllBytes(file));
                for (JsonNode k : root.path("keys")) {
                    digests.add(HexFormat.of().parseHex(k.path("sha256").asText()));
                }
            } catch (IOException | IllegalArgumentException e) {
                throw new WorkspaceException("cannot read the server's key digests " + file + ": " + e.getMessage(), e);
            }
        }
        if (!digests.isEmpty()) {
            return new ApiKeys(digests, file.toString(), null);
        }
        String key = newKey();
        ObjectNode root = Json.object();
        ArrayNode keys = root.putArray("keys");
        ObjectNode entry = keys.addObject();
        entry.put("sha256", HexFormat.of().formatHex(sha256(key)));
        entry.put("created_at", Instant.now().toString());
        try {
            AtomicWrite.write(file, out -> out.write(Json.prettyWriter().writeValueAsBytes(root)));
        } catch (IOException e) {
            throw new WorkspaceException("cannot store the server's key digest in " + file + ": " + e.getMessage(), e);
        }
        return new ApiKeys(List.of(sha256(key)), file.toString(), key);
    }

    /** Keys from an operator's file: one a line; blank lines and lines starting with {@code #} are skipped. */
    public static ApiKeys fromFile(Path file) {
        List<byte[]> digests = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String k = line.strip();
                if (!k.isEmpty() && !k.startsWith("#")) {
                    digests.add(sha256(k));
                }
            }
        } catch (IOException e) {
            throw new WorkspaceException("cannot read the API key file " + file + ": " + e.getMessage(), e);
        }
        if (digests.isEmpty()) {
            throw new BadRequestException("api_key_file: " + file + " holds no key (one key a line)");
        }
        return new ApiKeys(digests, file.toString(), null);
    }

    /** Accepts exactly these keys (tests, embedding applications). */
    public static ApiKeys of(String... keys) {
        List<byte[]> digests = new ArrayList<>();
        for (String k : keys) {
            digests.add(sha256(k));
        }
        return new ApiKeys(digests, "memory", null);
    }

    /**
     * The key made by {@link #openOrCreate(Path)} on a first start, once: the first call returns it and
     * forgets it. Empty when the keys already existed or came from a file.
     */
    public synchronized Optional<String> createdKey() {
        String k = created;
        created = null;
        return Optional.ofNullable(k);
    }

    /** Whether {@code presented} is one of the keys; constant time in the key's content. */
    public boolean accepts(String presented) {
        if (presented == null || presented.isEmpty()) {
            return false;
        }
        byte[] d = sha256(presented);
        boolean ok = false;
        for (byte[] stored : digests) {
            ok |= MessageDigest.isEqual(stored, d);
        }
        return ok;
    }

    /** A new random key: {@code ft-} and 43 URL-safe base64 characters (32 random bytes). */
    public static String newKey() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "ApiKeys{" + digests.size() + " key(s) from " + source + "}";
    }
}
