package dev.finetune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.hub.HubException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads a model's files from the HuggingFace Hub (or the mirror {@code HF_ENDPOINT} names) into
 * {@link HubCache}, speaking the hub's protocol as huggingface_hub does:
 * <ol>
 *   <li>{@code GET {endpoint}/api/models/ORG/NAME/revision/REV}: the commit ({@code sha}) and the file list
 *       ({@code siblings[].rfilename}); only the files a model needs are taken ({@link #select});</li>
 *   <li>per file, {@code HEAD {endpoint}/ORG/NAME/resolve/COMMIT/FILE}: {@code X-Repo-Commit}, the blob's
 *       etag ({@code X-Linked-Etag} or {@code ETag}) and size ({@code X-Linked-Size} or {@code Content-Length}),
 *       and for LFS files a redirect to the CDN that is not followed (relative redirects, a renamed
 *       repository, are);</li>
 *   <li>{@code GET} of the file (the CDN's address for LFS files, sent without the token when it is another
 *       host) into {@code blobs/ETAG.incomplete}, resumed with {@code Range: bytes=N-} after a cut or a kill,
 *       under a per-blob file lock; then the size and hash are checked (sha256 for LFS files, whose etag it is;
 *       git's blob sha1 for the others), the blob renamed into place and linked from the snapshot.</li>
 * </ol>
 * Nothing half-written ever appears under {@code snapshots/}. Thread-safe.
 */
public final class HubClient {
    private static final Logger LOG = LoggerFactory.getLogger(HubClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_RESUMES = 5;
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hub-download-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** The files a model needs, besides its safetensors weights. */
    public static final List<String> MODEL_FILES = List.of(HubCache.CONFIG, "generation_config.json",
            HubCache.WEIGHTS_INDEX, "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json",
            "merges.txt", "chat_template.jinja");

    private final HubConfig config;
    private final HubCache cache;
    private final HttpClient http;
    private final String userAgent;

    public HubClient(HubConfig config) {
        this(config, HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build());
    }

    HubClient(HubConfig config, HttpClient http) {
        this.config = config;
        this.cache = new HubCache(config.cacheDir(), config.symlinks());
        this.http = http;
        String v = HubClient.class.getPackage().getImplementationVersion();
        this.userAgent = "finetune/" + (v == null ? "dev" : v) + "; java/" + Runtime.version().feature();
    }

    public HubCache cache() {
        return cache;
    }

    /** The commit and the files of a repository at a revision. */
    public record RepoInfo(String commit, List<String> files) {
    }

    /** What the hub says about one file at a commit. */
    record FileMeta(String file, String commit, String etag, long size, URI location) {
        boolean lfs() {
            return SHA256.matcher(etag).matches();
        }
    }

    /**
     * Which of a repository's files a model needs: {@link #MODEL_FILES} that exist, and the weights — the
     * shards {@code model.safetensors.index.json} names when there is one (so that a repository carrying
     * the same weights twice, e.g. a {@code consolidated.safetensors}, costs one copy), else
     * {@code model.safetensors}, else every top-level {@code *.safetensors}. Never {@code .bin},
     * {@code .onnx}, {@code .gguf}, {@code .pt}, {@code .h5}, {@code .msgpack} or files in subfolders. The
     * index's shards are added by {@link #download} once it is read.
     */
    public static List<String> select(List<String> files) {
        Set<String> present = new LinkedHashSet<>(files);
        List<String> out = new ArrayList<>();
        for (String f : MODEL_FILES) {
            if (present.contains(f)) {
                out.add(f);
            }
        }
        if (!present.contains(HubCache.WEIGHTS_INDEX)) {
            if (present.contains(HubCache.WEIGHTS)) {
                out.add(HubCache.WEIGHTS);
            } else {
                for (String f : files) {
                    if (!f.contains("/") && f.endsWith(".safetensors")) {
                        out.add(f);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Downloads what {@code ref} needs that the cache lacks, asking the hub which commit the revision
     * means now, and returns the snapshot folder. Files already in the snapshot cost no request; blobs
     * already in the cache (shared with other revisions) are linked, not fetched again.
     */
    public Path download(HubModelRef ref, DownloadListener listener) {
        return download(ref, listener, false);
    }

    /**
     * {@link #download(HubModelRef, DownloadListener)}; with {@code recheck}, the files already cached are
     * hashed against the etags the hub announces too, and a corrupted one is deleted and fetched again.
     */
    public Path download(HubModelRef ref, DownloadListener listener, boolean recheck) {
        if (config.offline()) {
            throw new HubException(Reason.OFFLINE, ref + ": HF_HUB_OFFLINE is set, so nothing is downloaded");
        }
        DownloadListener l = new Logging(ref, listener);
        RepoInfo info = repoInfo(ref);
        String commit = info.commit();
        HubModelRef pinned = ref.at(commit);
        List<String> wanted = select(info.files());
        if (!wanted.contains(HubCache.CONFIG)) {
            throw new HubException(Reason.NOT_FOUND, ref + " has no config.json: not a transformers model repository");
        }
        try {
            cache.tagCacheDir();
            if (wanted.contains(HubCache.WEIGHTS_INDEX)) {
                // the index says which shards make the weights; fetch it first, quietly
                if (!Files.isRegularFile(cache.pointer(pinned, commit, HubCache.WEIGHTS_INDEX))) {
                    fetchFile(pinned, head(pinned, HubCache.WEIGHTS_INDEX), DownloadListener.NONE, new long[2]);
                }
                Set<String> shards = HubCache.shards(cache.pointer(pinned, commit, HubCache.WEIGHTS_INDEX));
                for (String s : shards) {
                    if (!info.files().contains(s)) {
                        throw new HubException(Reason.NOT_FOUND, ref + ": " + HubCache.WEIGHTS_INDEX + " names " + s
                                + ", which the repository does not have");
                    }
                }
                wanted.addAll(shards);
            }
            if (wanted.stream().noneMatch(f -> f.endsWith(".safetensors"))) {
                throw new HubException(Reason.NOT_FOUND, ref + " has no safetensors weights (its files: "
                        + String.join(", ", info.files()) + "); only .safetensors are loaded, never .bin, .onnx or .gguf");
            }
            List<FileMeta> todo = new ArrayList<>();
            for (String f : wanted) {
                Path pointer = cache.pointer(pinned, commit, f);
                if (Files.isRegularFile(pointer) && !recheck) {
                    continue;
                }
                FileMeta m = head(pinned, f);
                if (Files.isRegularFile(pointer)) {
                    String got = hash(pointer, m);
                    if (got == null || got.equals(m.etag())) {
                        continue;
                    }
                    LOG.warn("{}: the cached {} is corrupted (its {} is {}, the hub's is {}); downloading it again",
                            ref.repoId(), f, m.lfs() ? "sha256" : "git sha1", got, m.etag());
                    Files.deleteIfExists(cache.blob(pinned, m.etag()));
                    Files.deleteIfExists(pointer);
                }
                if (Files.isRegularFile(cache.blob(pinned, m.etag())) && Files.size(cache.blob(pinned, m.etag())) == m.size()) {
                    cache.link(cache.blob(pinned, m.etag()), pointer);
                    l.onFileDone(f, m.size(), false);
                } else {
                    todo.add(m);
                }
            }
            long total = todo.stream().mapToLong(FileMeta::size).sum();
            l.onStart(ref, commit, todo.size(), total);
            long[] progress = {0, total};
            for (FileMeta m : todo) {
                fetchFile(pinned, m, l, progress);
            }
            cache.writeRef(ref, commit);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + ref + " into the hub cache " + cache.root(), e);
        }
        Path snapshot = cache.snapshotDir(pinned, commit);
        List<String> missing = HubCache.missing(snapshot);
        if (!missing.isEmpty()) {
            throw new HubException(Reason.NOT_FOUND, ref + " (commit " + commit + ") lacks " + String.join(", ", missing));
        }
        return snapshot;
    }

    /** {@code GET api/models/ORG/NAME/revision/REV}: the commit the revision means now, and the files. */
    public RepoInfo repoInfo(HubModelRef ref) {
        URI uri = URI.create(config.endpoint() + "/api/models/" + ref.repoId() + "/revision/" + encode(ref.revision(), false));
        HttpResponse<byte[]> r;
        for (int hop = 0; ; hop++) {
            r = send(ref, "the file list", get(uri).header("Accept", "application/json").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            Optional<String> location = r.headers().firstValue("Location");
            if (r.statusCode() >= 300 && r.statusCode() < 400 && location.isPresent() && hop < MAX_REDIRECTS
                    && sameOrigin(uri.resolve(location.get()), config.endpoint())) {
                uri = uri.resolve(location.get());  // a renamed repository
                continue;
            }
            break;
        }
        check(ref, "the file list", r);
        try {
            JsonNode root = JSON.readTree(r.body());
            String sha = root.path("sha").asText("");
            if (!HubModelRef.isCommitHash(sha)) {
                throw new HubException(Reason.PROTOCOL, ref + ": the hub's answer for the file list has no commit sha");
            }
            List<String> files = new ArrayList<>();
            for (JsonNode s : root.path("siblings")) {
                String f = s.path("rfilename").asText("");
                if (!f.isEmpty()) {
                    files.add(f);
                }
            }
            return new RepoInfo(sha, files);
        } catch (IOException e) {
            throw new HubException(Reason.PROTOCOL, ref + ": the hub's file list is not JSON", e);
        }
    }

    /** {@code HEAD resolve/COMMIT/FILE}: etag, size and where to download it from. */
    FileMeta head(HubModelRef pinned, String file) {
        URI uri = resolveUri(pinned, file);
        String what = file;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder b = request(uri).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept-Encoding", "identity");
            HttpResponse<Void> r = send(pinned, what, b.build(), HttpResponse.BodyHandlers.discarding());
            int code = r.statusCode();
            Optional<String> location = r.headers().firstValue("Location");
            if (code >= 300 && code < 400 && location.isPresent() && hop < MAX_REDIRECTS
                    && URI.create(location.get()).getAuthority() == null) {
                uri = uri.resolve(location.get());  // a renamed repository: follow, on the same host
                continue;
            }
            if (code == 404) {
                r.headers().firstValue("X-Repo-Commit").filter(HubModelRef::isCommitHash).ifPresent(c -> {
                    try {
                        Path ne = cache.noExist(pinned, c, file);
                        Files.createDirectories(ne.getParent());
                        if (!Files.exists(ne)) {
                            Files.createFile(ne);
                        }
                    } catch (IOException | RuntimeException e) {
                        LOG.debug("cannot record that {} does not exist: {}", file, e.toString());
                    }
                });
            }
            if (code < 300 || code >= 400) {
                check(pinned, what, r);
            }
            String commit = r.headers().firstValue("X-Repo-Commit").orElseThrow(() -> new HubException(Reason.PROTOCOL,
                    pinned.repoId() + ": the answer for " + file + " has no X-Repo-Commit header; is " + config.endpoint()
                            + " a HuggingFace hub?"));
            if (!commit.equals(pinned.revision())) {
                throw new HubException(Reason.PROTOCOL, pinned.repoId() + ": asked for " + file + " at commit "
                        + pinned.revision() + ", the hub answered for commit " + commit);
            }
            String etag = normalizeEtag(r.headers().firstValue("X-Linked-Etag").or(() -> r.headers().firstValue("ETag"))
                    .orElseThrow(() -> new HubException(Reason.PROTOCOL, pinned + ": the answer for " + file + " has no ETag")));
            boolean redirect = code >= 300 && code < 400;
            String size = r.headers().firstValue("X-Linked-Size")
                    .or(() -> redirect ? Optional.empty() : r.headers().firstValue("Content-Length"))
                    .orElseThrow(() -> new HubException(Reason.PROTOCOL, pinned + ": the answer for " + file + " has no size"));
            long n;
            try {
                n = Long.parseLong(size.trim());
            } catch (NumberFormatException e) {
                throw new HubException(Reason.PROTOCOL, pinned + ": the size of " + file + " is \"" + size + "\"");
            }
            URI from = redirect && location.isPresent() ? uri.resolve(location.get()) : uri;
            return new FileMeta(file, commit, etag, n, from);
        }
    }

    /** Puts {@code m}'s blob in the cache (unless another process just did) and links it from the snapshot. */
    private void fetchFile(HubModelRef pinned, FileMeta m, DownloadListener l, long[] progress) throws IOException {
        Path blob = cache.blob(pinned, m.etag());
        Path pointer = cache.pointer(pinned, m.commit(), m.file());
        Files.createDirectories(blob.getParent());
        try (BlobLock lock = BlobLock.acquire(cache.lockFile(pinned, m.etag()), () -> {
            LOG.info("{}: another download of {} is under way; waiting for it", pinned.repoId(), m.file());
            l.onWaiting(m.file());
        })) {
            boolean fetched = false;
            if (!(Files.isRegularFile(blob) && Files.size(blob) == m.size())) {
                fetchBlob(pinned, m, cache.incomplete(pinned, m.etag()), blob, l, progress);
                fetched = true;
            } else {
                progress[0] += m.size();
                l.onProgress(m.file(), m.size(), m.size(), progress[0], progress[1]);
            }
            cache.link(blob, pointer);
            l.onFileDone(m.file(), m.size(), fetched);
        }
    }

    private void fetchBlob(HubModelRef pinned, FileMeta m, Path part, Path blob, DownloadListener l, long[] progress)
            throws IOException {
        long base = progress[0];
        int resumes = 0;
        while (true) {
            long have = Files.exists(part) ? Files.size(part) : 0;
            if (have > m.size()) {
                Files.delete(part);
                have = 0;
            }
            if (have == m.size()) {
                if (!Files.exists(part)) {
                    Files.createFile(part);
                }
                break;
            }
            try {
                if (get(pinned, m, part, have, l, base, progress)) {
                    break;
                }
                if (++resumes >= MAX_RESUMES) {
                    throw new HubException(Reason.PROTOCOL, pinned.repoId() + ": the server keeps answering range "
                            + "requests for " + m.file() + " with the wrong range");
                }
            } catch (IOException e) {
                long now = Files.exists(part) ? Files.size(part) : 0;
                boolean moved = now > have;
                if (!moved) {
                    resumes++;
                }
                if (resumes >= MAX_RESUMES || !moved && resumes >= 2) {
                    throw new HubException(Reason.NETWORK, pinned.repoId() + ": the download of " + m.file()
                            + " broke off at " + now + " of " + m.size() + " bytes (" + e.getMessage()
                            + "); run again to resume it", e);
                }
                LOG.warn("{}: the download of {} broke off at {} of {} bytes ({}); resuming", pinned.repoId(), m.file(),
                        now, m.size(), e.getMessage());
            }
        }
        verify(pinned, m, part);
        try {
            Files.move(part, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, blob, StandardCopyOption.REPLACE_EXISTING);
        }
        progress[0] = base + m.size();
    }

    /**
     * One GET of the rest of {@code m} into {@code part}, from byte {@code have}; true when the file is
     * whole, false to go round again (the server ignored or refused the range).
     */
    private boolean get(HubModelRef pinned, FileMeta m, Path part, long have, DownloadListener l, long base, long[] progress)
            throws IOException {
        URI uri = m.location();
        HttpResponse<InputStream> r = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = request(uri).header("Accept-Encoding", "identity");
            if (have > 0) {
                b.header("Range", "bytes=" + have + "-");
            }
            r = send(pinned, m.file(), b.build(), HttpResponse.BodyHandlers.ofInputStream());
            Optional<String> location = r.headers().firstValue("Location");
            if (r.statusCode() >= 300 && r.statusCode() < 400 && location.isPresent()) {
                r.body().close();
                uri = uri.resolve(location.get());
                continue;
            }
            break;
        }
        int code = r.statusCode();
        if (code == 416) {
            r.body().close();
            Files.deleteIfExists(part);  // our partial file is not a prefix the server knows: start again
            return false;
        }
        if (code != 200 && code != 206) {
            try (InputStream ignored = r.body()) {
                check(pinned, m.file(), r);
            }
            throw new HubException(Reason.PROTOCOL, pinned.repoId() + ": the hub answered " + code + " for " + m.file());
        }
        long start = 0;
        if (code == 206) {
            Matcher cr = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
            if (!cr.matches() || Long.parseLong(cr.group(1)) != have) {
                r.body().close();
                Files.deleteIfExists(part);
                return false;
            }
            start = have;
        } else if (have > 0) {
            LOG.info("{}: the server ignored the range request for {}; downloading it from the start", pinned.repoId(), m.file());
        }
        long done = start;
        AtomicLong lastRead = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        long idle = config.timeout().toNanos();
        InputStream body = r.body();
        // the JDK client has no read timeout once the headers are in: a watchdog closes a stalled body,
        // which makes the blocked read throw, and the download resumes with a range request
        ScheduledFuture<?> watchdog = WATCHDOG.scheduleWithFixedDelay(() -> {
            if (System.nanoTime() - lastRead.get() > idle && stalled.compareAndSet(false, true)) {
                try {
                    body.close();
                } catch (IOException e) {
                    LOG.debug("closing a stalled download: {}", e.toString());
                }
            }
        }, 100, 100, TimeUnit.MILLISECONDS);
        try (InputStream in = body;
             FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            out.truncate(start);
            out.position(start);
            byte[] buf = new byte[1 << 16];
            long lastReport = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                lastRead.set(System.nanoTime());
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
                done += n;
                if (done - lastReport >= (1 << 20) || done == m.size()) {
                    lastReport = done;
                    progress[0] = base + done;
                    l.onProgress(m.file(), done, m.size(), progress[0], progress[1]);
                }
                if (done > m.size()) {
                    break;
                }
            }
            out.force(false);
        } catch (IOException e) {
            if (stalled.get()) {
                throw new IOException("no data for " + config.timeout().toSeconds() + " s (HF_HUB_DOWNLOAD_TIMEOUT)", e);
            }
            throw e;
        } finally {
            watchdog.cancel(false);
        }
        if (done < m.size()) {
            throw new IOException("the connection closed early");
        }
        return true;
    }

    /** Size and hash: sha256 for LFS files (their etag), git's blob sha1 for 40-digit etags. */
    private static void verify(HubModelRef pinned, FileMeta m, Path part) throws IOException {
        long size = Files.size(part);
        if (size != m.size()) {
            Files.deleteIfExists(part);
            throw new HubException(Reason.INTEGRITY, pinned.repoId() + ": " + m.file() + " arrived with " + size
                    + " bytes, the hub announced " + m.size() + "; the partial blob was deleted, run again");
        }
        String got = hash(part, m);
        if (got == null) {
            LOG.debug("{}: the etag of {} is neither a sha256 nor a git sha1; checked by size only", pinned.repoId(), m.file());
            return;
        }
        String algo = m.lfs() ? "sha256" : "git sha1";
        if (!got.equals(m.etag())) {
            Files.deleteIfExists(part);
            throw new HubException(Reason.INTEGRITY, pinned.repoId() + ": " + m.file() + " (commit " + m.commit()
                    + ") failed its " + algo + " check: the hub announced " + m.etag() + ", the bytes hash to " + got
                    + "; the blob was deleted");
        }
    }

    /** The hash of {@code file} that its etag is (sha256 for LFS files, git's blob sha1), or null for other etags. */
    private static String hash(Path file, FileMeta m) throws IOException {
        MessageDigest d;
        if (m.lfs()) {
            d = digest("SHA-256");
        } else if (SHA1.matcher(m.etag()).matches()) {
            d = digest("SHA-1");
            d.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
        } else {
            return null;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(name + " is missing from this JVM", e);
        }
    }

    static String normalizeEtag(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    private URI resolveUri(HubModelRef ref, String file) {
        return URI.create(config.endpoint() + "/" + ref.repoId() + "/resolve/" + encode(ref.revision(), false) + "/"
                + encode(file, true));
    }

    private HttpRequest.Builder get(URI uri) {
        return request(uri).GET();
    }

    /** A request with the user agent, and the token only when it goes to the hub's own host. */
    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(config.timeout()).header("User-Agent", userAgent);
        if (sameOrigin(uri, config.endpoint())) {
            config.authorization().ifPresent(a -> b.header("Authorization", a));
        }
        return b;
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private <T> HttpResponse<T> send(HubModelRef ref, String what, HttpRequest req, HttpResponse.BodyHandler<T> body) {
        try {
            return http.send(req, body);
        } catch (IOException e) {
            throw new HubException(Reason.NETWORK, "cannot reach " + req.uri().getScheme() + "://" + req.uri().getAuthority()
                    + " for " + what + " of " + ref.repoId() + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(Reason.NETWORK, "interrupted while downloading " + what + " of " + ref.repoId(), e);
        }
    }

    /** Throws the hub's error for a response that is not 2xx, naming the model, the file and what to do. */
    private void check(HubModelRef ref, String what, HttpResponse<?> r) {
        int code = r.statusCode();
        if (code >= 200 && code < 300) {
            return;
        }
        String errorCode = r.headers().firstValue("X-Error-Code").orElse("");
        String serverMessage = r.headers().firstValue("X-Error-Message").map(s -> " (the hub says: " + s + ")").orElse("");
        String page = config.endpoint() + "/" + ref.repoId();
        String token = config.hasToken() ? "a token from " + config.tokenSource().orElse("HF_TOKEN") + " was sent"
                : "no token was sent (set HF_TOKEN, or log in with `hf auth login`)";
        if (code == 401 || code == 403) {
            String need = errorCode.equals("GatedRepo") || code == 403
                    ? "it is gated: accept its conditions at " + page + ", then use a token with read access to it "
                    + "(a 'read' token, or a fine-grained one allowing 'Read access to contents of all public gated repos "
                    + "you can access')"
                    : "it is private or gated, or does not exist: it needs a token with read access to it";
            String tokenState = code == 401 && config.hasToken() ? "a token from " + config.tokenSource().orElse("HF_TOKEN")
                    + " was sent but the hub did not accept it" : code == 403 && config.hasToken()
                    ? "a token from " + config.tokenSource().orElse("HF_TOKEN") + " was sent but lacks that permission" : token;
            throw new HubException(Reason.ACCESS_DENIED, ref.repoId() + ": the hub answered " + code + " for " + what
                    + "; " + need + "; " + tokenState + serverMessage);
        }
        if (code == 404) {
            String msg = switch (errorCode) {
                case "RevisionNotFound" -> "revision " + ref.revision() + " does not exist";
                case "EntryNotFound" -> what + " does not exist at " + ref.revision();
                default -> "the repository does not exist (or is private and " + token + ")";
            };
            throw new HubException(Reason.NOT_FOUND, ref.repoId() + ": " + msg + serverMessage);
        }
        throw new HubException(code == 429 || code >= 500 ? Reason.NETWORK : Reason.PROTOCOL, ref.repoId()
                + ": the hub answered " + code + " for " + what + serverMessage);
    }

    /** Percent-encoding as Python's {@code quote}: unreserved characters kept, and {@code /} when asked. */
    static String encode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~' || (keepSlash && c == '/')) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return sb.toString();
    }

    /** SLF4J lines for a download (start, every tenth, each file, end) beside the caller's listener. */
    private static final class Logging implements DownloadListener {
        private final HubModelRef ref;
        private final DownloadListener inner;
        private final long t0 = System.nanoTime();
        private int lastDecile = -1;

        Logging(HubModelRef ref, DownloadListener inner) {
            this.ref = ref;
            this.inner = inner;
        }

        @Override
        public void onStart(HubModelRef model, String commit, int files, long bytes) {
            if (files > 0) {
                LOG.info("downloading {} (commit {}): {} file{}, {}", model, commit, files, files == 1 ? "" : "s", bytes(bytes));
            }
            inner.onStart(model, commit, files, bytes);
        }

        @Override
        public void onProgress(String file, long fileDone, long fileSize, long done, long total) {
            int decile = total <= 0 ? 10 : (int) (done * 10 / total);
            if (decile != lastDecile) {
                lastDecile = decile;
                double s = (System.nanoTime() - t0) / 1e9;
                LOG.info("{}: {} of {} ({}%, {}/s)", ref.repoId(), bytes(done), bytes(total), decile * 10,
                        bytes((long) (done / Math.max(s, 1e-3))));
            }
            inner.onProgress(file, fileDone, fileSize, done, total);
        }

        @Override
        public void onWaiting(String file) {
            inner.onWaiting(file);
        }

        @Override
        public void onFileDone(String file, long size, boolean downloaded) {
            LOG.debug("{}: {} ({}) {}", ref, file, bytes(size), downloaded ? "downloaded" : "was already cached");
            inner.onFileDone(file, size, downloaded);
        }
    }

    /** {@code 1.5 MB}-style sizes (powers of 1,000, as the hub shows them). */
    public static String bytes(long n) {
        if (n < 1000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
