package dev.finetune.server;

import dev.finetune.FinetuneException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The dashboard's files, read once from the jar ({@code dev/finetune/server/dashboard/}) and served at
 * {@code /} and {@code /dashboard/...} without a key: they hold no data. The page signs in with the
 * same bearer key as the API and calls the API itself; the key stays in the tab's session storage.
 *
 * <p>Every answer carries a content security policy that allows only this origin (no CDN, no fonts or
 * images from elsewhere, no inline script, no framing, no form posts), so the page works offline and
 * cannot be made to talk to anything but this server.
 */
final class DashboardAssets {
    static final String FOLDER = "/dev/finetune/server/dashboard/";
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    /** One file: its bytes, media type and a strong ETag. */
    record Asset(byte[] bytes, String contentType, String etag) {
    }

    private final Map<String, Asset> byPath = new LinkedHashMap<>();

    DashboardAssets() {
        Asset index = load("index.html", "text/html; charset=utf-8");
        byPath.put("/", index);
        byPath.put("/index.html", index);
        byPath.put("/dashboard/app.js", load("app.js", "text/javascript; charset=utf-8"));
        byPath.put("/dashboard/app.css", load("app.css", "text/css; charset=utf-8"));
    }

    /** The file served at {@code path}, if any. */
    Optional<Asset> at(String path) {
        return Optional.ofNullable(byPath.get(path));
    }

    /** The paths served (for tests). */
    java.util.Set<String> paths() {
        return byPath.keySet();
    }

    private static Asset load(String name, String type) {
        try (InputStream in = DashboardAssets.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new FinetuneException("the dashboard file " + FOLDER + name + " is missing from the jar");
            }
            byte[] bytes = in.readAllBytes();
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(bytes);
            return new Asset(bytes, type, "\"" + HexFormat.of().formatHex(sha, 0, 12) + "\"");
        } catch (IOException e) {
            throw new FinetuneException("cannot read the dashboard file " + FOLDER + name + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The text of a file (for tests). */
    String text(String path) {
        return new String(byPath.get(path).bytes(), StandardCharsets.UTF_8);
    }
}
