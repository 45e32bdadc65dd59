package dev.finetune.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where the hub is and where its files go, read from the same environment variables huggingface_hub
 * reads, so that both tools share one cache:
 * <ul>
 *   <li>cache: {@code HF_HUB_CACHE}, else {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub}, where
 *       {@code HF_HOME} defaults to {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface};</li>
 *   <li>{@code HF_ENDPOINT} (default {@code https://huggingface.co}): a mirror, or a test's stub;</li>
 *   <li>{@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) = 1/on/yes/true: never touch the network;</li>
 *   <li>the token: {@code HF_TOKEN}, else the file {@code HF_TOKEN_PATH}, else {@code $HF_HOME/token};</li>
 *   <li>{@code HF_HUB_DISABLE_SYMLINKS} = 1: snapshot files are copies of the blobs, not links;</li>
 *   <li>{@code HF_HUB_DOWNLOAD_TIMEOUT}: seconds to wait for an answer, or for more bytes of a download
 *       before resuming it (default 10, as huggingface_hub).</li>
 * </ul>
 * The token is held here and sent as a bearer header to the hub's own host only; it never appears in
 * {@link #toString()}, an exception message or a log line.
 */
public final class HubConfig {
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    private final Path cacheDir;
    private final URI endpoint;
    private final boolean offline;
    private final String token;
    private final String tokenSource;
    private final Duration timeout;
    private final boolean symlinks;

    private HubConfig(Path cacheDir, URI endpoint, boolean offline, String token, String tokenSource, Duration timeout,
                      boolean symlinks) {
        this.cacheDir = cacheDir;
        this.endpoint = endpoint;
        this.offline = offline;
        this.token = token;
        this.tokenSource = tokenSource;
        this.timeout = timeout;
        this.symlinks = symlinks;
    }

    /** The configuration of this process's environment. */
    public static HubConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** The configuration {@code env} describes ({@code ~} is this JVM's {@code user.home}). */
    public static HubConfig fromEnvironment(Map<String, String> env) {
        Path home = Path.of(System.getProperty("user.home"));
        Path hfHome = nonBlank(env.get("HF_HOME")).map(s -> expand(s, home))
                .orElseGet(() -> nonBlank(env.get("XDG_CACHE_HOME")).map(s -> expand(s, home)).orElse(home.resolve(".cache"))
                        .resolve("huggingface"));
        Path cache = nonBlank(env.get("HF_HUB_CACHE")).or(() -> nonBlank(env.get("HUGGINGFACE_HUB_CACHE")))
                .map(s -> expand(s, home)).orElse(hfHome.resolve("hub"));
        URI endpoint = nonBlank(env.get("HF_ENDPOINT")).map(HubConfig::endpoint).orElse(DEFAULT_ENDPOINT);
        boolean offline = isTrue(env.get("HF_HUB_OFFLINE")) || isTrue(env.get("TRANSFORMERS_OFFLINE"));
        String token = null;
        String source = null;
        Optional<String> fromEnv = nonBlank(env.get("HF_TOKEN"));
        if (fromEnv.isPresent()) {
            token = fromEnv.get().trim();
            source = "HF_TOKEN";
        } else {
            Path file = nonBlank(env.get("HF_TOKEN_PATH")).map(s -> expand(s, home)).orElse(hfHome.resolve("token"));
            if (Files.isRegularFile(file)) {
                try {
                    String t = Files.readString(file, StandardCharsets.UTF_8).trim();
                    if (!t.isEmpty()) {
                        token = t;
                        source = file.toString();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the hub token file " + file, e);
                }
            }
        }
        long seconds = nonBlank(env.get("HF_HUB_DOWNLOAD_TIMEOUT")).map(s -> {
            try {
                return (long) Math.ceil(Double.parseDouble(s));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("HF_HUB_DOWNLOAD_TIMEOUT: \"" + s + "\" is not a number of seconds");
            }
        }).orElse(10L);
        return new HubConfig(cache, endpoint, offline, token, source, Duration.ofSeconds(Math.max(1, seconds)),
                !isTrue(env.get("HF_HUB_DISABLE_SYMLINKS")));
    }

    /** The same configuration with the cache at {@code dir}. */
    public HubConfig withCacheDir(Path dir) {
        return new HubConfig(dir, endpoint, offline, token, tokenSource, timeout, symlinks);
    }

    /** The same configuration, offline or not. */
    public HubConfig withOffline(boolean off) {
        return new HubConfig(cacheDir, endpoint, off, token, tokenSource, timeout, symlinks);
    }

    private static URI endpoint(String s) {
        String t = s.trim();
        while (t.endsWith("/")) {
            t = t.substring(0, t.length() - 1);
        }
        URI u;
        try {
            u = URI.create(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("HF_ENDPOINT: \"" + s + "\" is not a URL", e);
        }
        if (u.getScheme() == null || u.getHost() == null
                || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))) {
            throw new IllegalArgumentException("HF_ENDPOINT: \"" + s + "\" is not an http(s) URL");
        }
        return u;
    }

    private static Path expand(String s, Path home) {
        String t = s.trim();
        if (t.equals("~")) {
            return home;
        }
        if (t.startsWith("~/")) {
            return home.resolve(t.substring(2));
        }
        return Path.of(t);
    }

    private static Optional<String> nonBlank(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s);
    }

    static boolean isTrue(String s) {
        return s != null && TRUE.contains(s.trim().toUpperCase(Locale.ROOT));
    }

    public Path cacheDir() {
        return cacheDir;
    }

    public URI endpoint() {
        return endpoint;
    }

    public boolean offline() {
        return offline;
    }

    /** Whether a token was found (its value is never exposed). */
    public boolean hasToken() {
        return token != null;
    }

    /** Where the token came from ({@code HF_TOKEN} or the token file's path), when there is one. */
    public Optional<String> tokenSource() {
        return Optional.ofNullable(tokenSource);
    }

    Duration timeout() {
        return timeout;
    }

    /** Whether snapshot files link to their blobs (false with {@code HF_HUB_DISABLE_SYMLINKS}: copies). */
    public boolean symlinks() {
        return symlinks;
    }

    /** The {@code Authorization} header value; package-private so that only the client sees it. */
    Optional<String> authorization() {
        return token == null ? Optional.empty() : Optional.of("Bearer " + token);
    }

    @Override
    public String toString() {
        return "HubConfig[cache=" + cacheDir + ", endpoint=" + endpoint + ", offline=" + offline + ", token="
                + (token == null ? "none" : "set (from " + tokenSource + ")") + (symlinks ? "" : ", symlinks disabled") + "]";
    }
}
