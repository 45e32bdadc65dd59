package dev.finetune.hub;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A HuggingFace Hub on 127.0.0.1 for tests: the file listing ({@code api/models/R/revision/REV}), HEAD
 * and GET on {@code R/resolve/REV/FILE} with the hub's headers ({@code X-Repo-Commit}, {@code ETag},
 * {@code X-Linked-Etag}, {@code X-Linked-Size}, {@code X-Error-Code}), LFS files (here: {@code *.safetensors})
 * redirected to a second server standing for the CDN, range requests, gated repositories, and faults on
 * demand: a connection cut after N bytes, a hold after N bytes until released, corrupted bytes.
 */
final class StubHub implements AutoCloseable {
    static final String GOOD_TOKEN = "hf_stubGoodToken0123456789";
    static final String NO_ACCESS_TOKEN = "hf_stubTokenWithoutAccess987";

    /** One request as the servers saw it. */
    record Request(String server, String method, String path, String range, String authorization) {
    }

    private static final class Repo {
        final Map<String, String> branches = new LinkedHashMap<>();
        final Map<String, Map<String, byte[]>> commits = new LinkedHashMap<>();
        boolean gated;
    }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "stub-hub");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobsBySha = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();

    // faults, armed by tests
    private volatile String cutFile;
    private volatile long cutAt;
    private volatile String holdFile;
    private volatile long holdAt;
    volatile CountDownLatch holdReached = new CountDownLatch(1);
    volatile CountDownLatch holdRelease = new CountDownLatch(1);
    private final Map<String, byte[]> corrupted = new ConcurrentHashMap<>();

    StubHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", ex -> handle("hub", ex));
        cdn.createContext("/", ex -> handle("cdn", ex));
        hub.setExecutor(pool);
        cdn.setExecutor(pool);
        hub.start();
        cdn.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    String cdnAuthority() {
        return "127.0.0.1:" + cdn.getAddress().getPort();
    }

    /** Adds commit {@code commit} with {@code files} to {@code repoId} and points {@code branch} at it. */
    StubHub commit(String repoId, String branch, String commit, Map<String, byte[]> files) {
        Repo r = repos.computeIfAbsent(repoId, k -> new Repo());
        r.commits.put(commit, new LinkedHashMap<>(files));
        if (branch != null) {
            r.branches.put(branch, commit);
        }
        for (byte[] b : files.values()) {
            blobsBySha.put(sha256(b), b);
        }
        return this;
    }

    /** Requests for {@code oldId} are redirected (307, a relative Location) to {@code newId}, as after a rename. */
    StubHub renamed(String oldId, String newId) {
        renamed.put(oldId, newId);
        return this;
    }

    StubHub gated(String repoId) {
        repos.get(repoId).gated = true;
        return this;
    }

    /** The next GET of {@code file} breaks off after {@code bytes} bytes (once). */
    void cutAfter(String file, long bytes) {
        cutAt = bytes;
        cutFile = file;
    }

    /** The next GET of {@code file} stops after {@code bytes} bytes until {@link #holdRelease} counts down, then goes on. */
    void holdAfter(String file, long bytes) {
        holdReached = new CountDownLatch(1);
        holdRelease = new CountDownLatch(1);
        holdAt = bytes;
        holdFile = file;
    }

    /** The bytes of {@code file} are served as {@code bytes}, while its etag stays the true sha256. */
    void corrupt(String sha256, byte[] bytes) {
        corrupted.put(sha256, bytes);
    }

    List<Request> requests(String method, String pathPart) {
        return requests.stream().filter(r -> r.method().equals(method) && r.path().contains(pathPart)).toList();
    }

    static boolean isLfs(String file) {
        return file.endsWith(".safetensors") || file.endsWith(".bin") || file.endsWith(".onnx") || file.endsWith(".gguf");
    }

    private static final Pattern API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern BLOB = Pattern.compile("/blobs/([0-9a-f]{64})");

    private void handle(String server, HttpExchange ex) throws IOException {
        String raw = ex.getRequestURI().getRawPath();
        requests.add(new Request(server, ex.getRequestMethod(), raw, ex.getRequestHeaders().getFirst("Range"),
                ex.getRequestHeaders().getFirst("Authorization")));
        try {
            if (server.equals("cdn")) {
                Matcher m = BLOB.matcher(raw);
                if (!m.matches() || !blobsBySha.containsKey(m.group(1))) {
                    send(ex, 404, new Headers());
                    return;
                }
                if (ex.getRequestHeaders().containsKey("Authorization")) {
                    send(ex, 400, new Headers());  // a signed CDN address must not get the hub token
                    return;
                }
                byte[] body = corrupted.getOrDefault(m.group(1), blobsBySha.get(m.group(1)));
                serveBytes(ex, fileOf(m.group(1)), body, new Headers());
                return;
            }
            Matcher api = API.matcher(raw);
            Matcher res = RESOLVE.matcher(raw);
            String repoId;
            String rev;
            String file = null;
            if (api.matches()) {
                repoId = api.group(1);
                rev = decode(api.group(2));
            } else if (res.matches()) {
                repoId = res.group(1);
                rev = decode(res.group(2));
                file = decode(res.group(3));
            } else {
                send(ex, 404, new Headers());
                return;
            }
            Headers h = new Headers();
            if (renamed.containsKey(repoId)) {
                h.set("Location", raw.replace("/" + repoId + "/", "/" + renamed.get(repoId) + "/"));
                send(ex, 307, h);
                return;
            }
            Repo repo = repos.get(repoId);
            if (repo == null) {
                h.set("X-Error-Code", "RepoNotFound");
                send(ex, 401, h);
                return;
            }
            if (repo.gated) {
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                if (auth == null) {
                    h.set("X-Error-Code", "GatedRepo");
                    h.set("X-Error-Message", "Access to model " + repoId + " is restricted. You must have access to it and be authenticated to access it. Please log in.");
                    send(ex, 401, h);
                    return;
                }
                if (!auth.equals("Bearer " + GOOD_TOKEN)) {
                    h.set("X-Error-Code", "GatedRepo");
                    h.set("X-Error-Message", "Access to model " + repoId + " is restricted and you are not in the authorized list. Visit https://huggingface.co/" + repoId + " to ask for access.");
                    send(ex, 403, h);
                    return;
                }
            }
            String commit = repo.branches.getOrDefault(rev, repo.commits.containsKey(rev) ? rev : null);
            if (commit == null) {
                h.set("X-Error-Code", "RevisionNotFound");
                send(ex, 404, h);
                return;
            }
            Map<String, byte[]> files = repo.commits.get(commit);
            if (file == null) {
                StringBuilder sb = new StringBuilder("{\"id\":\"" + repoId + "\",\"sha\":\"" + commit + "\",\"siblings\":[");
                int i = 0;
                for (String f : files.keySet()) {
                    sb.append(i++ > 0 ? "," : "").append("{\"rfilename\":\"").append(f).append("\"}");
                }
                sb.append("]}");
                byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
                h.set("Content-Type", "application/json");
                ex.getResponseHeaders().putAll(h);
                ex.sendResponseHeaders(200, b.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(b);
                }
                return;
            }
            h.set("X-Repo-Commit", commit);
            byte[] bytes = files.get(file);
            if (bytes == null) {
                h.set("X-Error-Code", "EntryNotFound");
                send(ex, 404, h);
                return;
            }
            if (isLfs(file)) {
                String sha = sha256(bytes);
                h.set("X-Linked-Etag", "\"" + sha + "\"");
                h.set("X-Linked-Size", Long.toString(bytes.length));
                h.set("ETag", "\"" + gitSha1(("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha + "\nsize "
                        + bytes.length + "\n").getBytes(StandardCharsets.UTF_8)) + "\"");
                h.set("Location", "http://" + cdnAuthority() + "/blobs/" + sha);
                send(ex, 302, h);
                return;
            }
            h.set("ETag", "\"" + gitSha1(bytes) + "\"");
            serveBytes(ex, file, bytes, h);
        } catch (RuntimeException e) {
            throw new IOException(e);
        }
    }

    private String fileOf(String sha) {
        for (Repo r : repos.values()) {
            for (Map<String, byte[]> files : r.commits.values()) {
                for (Map.Entry<String, byte[]> e : files.entrySet()) {
                    if (sha256(e.getValue()).equals(sha)) {
                        return e.getKey();
                    }
                }
            }
        }
        return "";
    }

    private void serveBytes(HttpExchange ex, String file, byte[] body, Headers h) throws IOException {
        long start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        int code = 200;
        if (range != null) {
            Matcher m = Pattern.compile("bytes=(\\d+)-").matcher(range);
            if (!m.matches()) {
                send(ex, 400, h);
                return;
            }
            start = Long.parseLong(m.group(1));
            if (start >= body.length) {
                h.set("Content-Range", "bytes */" + body.length);
                send(ex, 416, h);
                return;
            }
            code = 206;
            h.set("Content-Range", "bytes " + start + "-" + (body.length - 1) + "/" + body.length);
        }
        h.set("Accept-Ranges", "bytes");
        ex.getResponseHeaders().putAll(h);
        long len = body.length - start;
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(len));
            ex.sendResponseHeaders(code, -1);
            ex.close();
            return;
        }
        ex.sendResponseHeaders(code, len);
        OutputStream o = ex.getResponseBody();
        long cut = -1;
        boolean hold = false;
        if (file.equals(cutFile)) {
            cutFile = null;
            cut = cutAt;
        } else if (file.equals(holdFile)) {
            holdFile = null;
            cut = holdAt;
            hold = true;
        }
        if (cut >= 0 && start < cut) {
            o.write(body, (int) start, (int) (cut - start));
            o.flush();
            if (!hold) {
                throw new IOException("stub hub: connection cut after " + cut + " bytes of " + file);
            }
            holdReached.countDown();
            try {
                holdRelease.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            start = cut;
            len = body.length - cut;
        }
        o.write(body, (int) start, (int) len);
        o.close();
    }

    private static void send(HttpExchange ex, int code, Headers h) throws IOException {
        ex.getResponseHeaders().putAll(h);
        ex.sendResponseHeaders(code, -1);
        ex.close();
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitSha1(byte[] b) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-1");
            d.update(("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        holdRelease.countDown();
        hub.stop(0);
        cdn.stop(0);
        pool.shutdownNow();
    }
}
