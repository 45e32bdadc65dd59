package dev.finetune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.safetensors.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * huggingface_hub's cache layout, read and written exactly as that library does, so that a model one
 * tool downloaded is the other's too:
 * <pre>
 * CACHE/models--ORG--NAME/blobs/ETAG                 the file's bytes (ETAG: sha256 for LFS files, git sha1 otherwise)
 *                        /blobs/ETAG.incomplete      a download in progress (resumed with a range request)
 *                        /snapshots/COMMIT/FILE      relative symlink ../../blobs/ETAG (a copy where links are impossible)
 *                        /refs/REVISION              the commit a branch or tag pointed to when last asked
 *                        /.no_exist/COMMIT/FILE      an empty file: the hub said FILE does not exist at COMMIT
 * CACHE/.locks/models--ORG--NAME/ETAG.lock           held while one process downloads a blob
 * </pre>
 */
public final class HubCache {
    private static final Logger LOG = LoggerFactory.getLogger(HubCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";

    private final Path root;
    private final boolean symlinks;

    public HubCache(Path root) {
        this(root, true);
    }

    /** @param symlinks false to copy blobs into snapshots instead of linking them ({@code HF_HUB_DISABLE_SYMLINKS}) */
    public HubCache(Path root, boolean symlinks) {
        this.root = root;
        this.symlinks = symlinks;
    }

    public Path root() {
        return root;
    }

    public Path repoDir(HubModelRef ref) {
        return root.resolve(ref.folderName());
    }

    Path blob(HubModelRef ref, String etag) {
        return repoDir(ref).resolve("blobs").resolve(safeName(etag, "etag"));
    }

    Path incomplete(HubModelRef ref, String etag) {
        return repoDir(ref).resolve("blobs").resolve(safeName(etag, "etag") + ".incomplete");
    }

    Path lockFile(HubModelRef ref, String etag) {
        return root.resolve(".locks").resolve(ref.folderName()).resolve(safeName(etag, "etag") + ".lock");
    }

    public Path snapshotDir(HubModelRef ref, String commit) {
        return repoDir(ref).resolve("snapshots").resolve(safeName(commit, "commit"));
    }

    Path refFile(HubModelRef ref) {
        return repoDir(ref).resolve("refs").resolve(ref.revision());
    }

    /** Where {@code file} of {@code commit} lives in the snapshot; rejects names that would leave it. */
    Path pointer(HubModelRef ref, String commit, String file) {
        Path snap = snapshotDir(ref, commit);
        Path p = snap.resolve(file).normalize();
        if (file.startsWith("/") || file.contains("\\") || !p.startsWith(snap) || p.equals(snap)) {
            throw new HubException(HubException.Reason.PROTOCOL, ref.repoId() + ": the hub listed a file named \""
                    + file + "\", which would land outside the snapshot folder");
        }
        return p;
    }

    Path noExist(HubModelRef ref, String commit, String file) {
        return repoDir(ref).resolve(".no_exist").resolve(safeName(commit, "commit")).resolve(file);
    }

    private static String safeName(String s, String what) {
        if (s == null || s.isEmpty() || s.contains("/") || s.contains("\\") || s.startsWith(".")) {
            throw new HubException(HubException.Reason.PROTOCOL, "the hub sent an unusable " + what + ": \"" + s + "\"");
        }
        return s;
    }

    /** The commit {@code ref} means in the cache: the revision itself when it is a hash, else {@code refs/REVISION}. */
    public Optional<String> commit(HubModelRef ref) {
        if (ref.isCommit()) {
            return Optional.of(ref.revision());
        }
        Path f = refFile(ref);
        try {
            String c = Files.readString(f, StandardCharsets.UTF_8).trim();
            return HubModelRef.isCommitHash(c) ? Optional.of(c) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    /** Records that {@code ref}'s revision points at {@code commit} (nothing for a commit hash), atomically. */
    void writeRef(HubModelRef ref, String commit) throws IOException {
        if (ref.isCommit() || ref.revision().equals(commit)) {
            return;
        }
        if (commit(ref).filter(commit::equals).isPresent()) {
            return;
        }
        AtomicFiles.write(refFile(ref), commit.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The snapshot folder of {@code ref} when the cache has one a model can load from (see
     * {@link #missing}); found without any request.
     */
    public Optional<Path> usableSnapshot(HubModelRef ref) {
        return commit(ref).map(c -> snapshotDir(ref, c)).filter(d -> Files.isDirectory(d) && missing(d).isEmpty());
    }

    /**
     * The files a model folder lacks to be loaded: {@code config.json}, and the weights —
     * {@code model.safetensors}, or every shard {@code model.safetensors.index.json} names. Empty when
     * complete.
     */
    public static List<String> missing(Path dir) {
        List<String> m = new ArrayList<>();
        if (!Files.isRegularFile(dir.resolve(CONFIG))) {
            m.add(CONFIG);
        }
        Path index = dir.resolve(WEIGHTS_INDEX);
        if (Files.isRegularFile(index)) {
            for (String shard : shards(index)) {
                if (!Files.isRegularFile(dir.resolve(shard))) {
                    m.add(shard);
                }
            }
        } else if (!Files.isRegularFile(dir.resolve(WEIGHTS))) {
            m.add(WEIGHTS);
        }
        return m;
    }

    /** The shard files of a {@code model.safetensors.index.json}, in first-use order. */
    static Set<String> shards(Path index) {
        try {
            JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
            if (!map.isObject()) {
                throw new HubException(HubException.Reason.PROTOCOL, index + " has no weight_map object");
            }
            Set<String> out = new LinkedHashSet<>();
            for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
                String f = it.next().asText();
                if (f.isEmpty() || f.contains("/") || f.contains("\\") || f.startsWith(".")) {
                    throw new HubException(HubException.Reason.PROTOCOL, index + " names an unusable shard file \"" + f + "\"");
                }
                out.add(f);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + index, e);
        }
    }

    /**
     * Makes {@code pointer} a relative symbolic link to {@code blob} (what huggingface_hub writes), or a
     * copy of it where the file system cannot link. Either way the pointer appears at once, whole:
     * the link or copy is made under a temporary name and renamed.
     */
    void link(Path blob, Path pointer) throws IOException {
        Path dir = pointer.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + pointer.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            boolean linked = false;
            if (symlinks) {
                try {
                    Files.createSymbolicLink(tmp, dir.relativize(blob));
                    linked = true;
                } catch (UnsupportedOperationException | FileSystemException e) {
                    LOG.debug("cannot link {} here ({}); copying the blob instead", pointer, e.toString());
                    Files.deleteIfExists(tmp);
                }
            }
            if (!linked) {
                Files.copy(blob, tmp);
            }
            try {
                Files.move(tmp, pointer, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, pointer, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Creates {@code CACHEDIR.TAG} (as huggingface_hub does) so that backup tools skip the cache. */
    void tagCacheDir() {
        Path tag = root.resolve("CACHEDIR.TAG");
        if (Files.exists(tag)) {
            return;
        }
        try {
            AtomicFiles.write(tag, ("Signature: 8a477f597d28d172789f06886806bc55\n"
                    + "# This file is a cache directory tag created by huggingface_hub.\n"
                    + "# For information about cache directory tags, see:\n"
                    + "#\thttps://bford.info/cachedir/\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.debug("cannot write {}: {}", tag, e.toString());
        }
    }

    /** One cached revision of a model. */
    public record Revision(String commit, List<String> refs, Path snapshot, int files, long bytes, List<String> missing) {
        public boolean complete() {
            return missing.isEmpty();
        }
    }

    /** One cached model repository: its revisions and the bytes it holds on disk (blobs and copies). */
    public record CachedModel(String repoId, Path dir, long sizeOnDisk, List<Revision> revisions) {
    }

    /** Every model repository in the cache, by id. */
    public List<CachedModel> list() {
        List<CachedModel> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, "models--*")) {
            List<Path> dirs = new ArrayList<>();
            ds.forEach(dirs::add);
            dirs.sort(Comparator.comparing(Path::toString));
            for (Path d : dirs) {
                String repoId = d.getFileName().toString().substring("models--".length()).replaceFirst("--", "/");
                if (HubModelRef.invalidRepoId(repoId) != null || !Files.isDirectory(d)) {
                    continue;
                }
                out.add(scan(repoId, d));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return out;
    }

    /** The cached model {@code repoId}, when the cache has it. */
    public Optional<CachedModel> find(String repoId) {
        HubModelRef ref = new HubModelRef(repoId, HubModelRef.DEFAULT_REVISION);
        Path d = repoDir(ref);
        if (!Files.isDirectory(d)) {
            return Optional.empty();
        }
        try {
            return Optional.of(scan(repoId, d));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + d, e);
        }
    }

    private static CachedModel scan(String repoId, Path d) throws IOException {
        Map<String, List<String>> refsByCommit = new TreeMap<>();
        Path refs = d.resolve("refs");
        if (Files.isDirectory(refs)) {
            try (Stream<Path> s = Files.walk(refs)) {
                for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                    String c = Files.readString(f, StandardCharsets.UTF_8).trim();
                    refsByCommit.computeIfAbsent(c, k -> new ArrayList<>()).add(refs.relativize(f).toString().replace('\\', '/'));
                }
            }
        }
        List<Revision> revisions = new ArrayList<>();
        Path snaps = d.resolve("snapshots");
        if (Files.isDirectory(snaps)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(snaps)) {
                List<Path> commits = new ArrayList<>();
                ds.forEach(commits::add);
                commits.sort(Comparator.comparing(Path::toString));
                for (Path c : commits) {
                    if (!Files.isDirectory(c)) {
                        continue;
                    }
                    int files = 0;
                    long bytes = 0;
                    try (Stream<Path> s = Files.walk(c)) {
                        for (Path f : s.filter(Files::isRegularFile).toList()) {
                            files++;
                            bytes += Files.size(f);
                        }
                    }
                    String commit = c.getFileName().toString();
                    revisions.add(new Revision(commit, List.copyOf(refsByCommit.getOrDefault(commit, List.of())), c, files,
                            bytes, List.copyOf(missing(c))));
                }
            }
        }
        return new CachedModel(repoId, d, sizeOnDisk(d), List.copyOf(revisions));
    }

    /** The bytes under {@code dir}, each file once: symbolic links are not followed. */
    private static long sizeOnDisk(Path dir) throws IOException {
        long total = 0;
        Set<Object> seen = new HashSet<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                Object key = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS).fileKey();
                if (key == null || seen.add(key)) {
                    total += Files.size(f);
                }
            }
        }
        return total;
    }

    /**
     * Deletes model {@code repoId} from the cache, every revision, and its lock folder; returns the bytes
     * freed (0 when it was not cached).
     */
    public long delete(String repoId) {
        HubModelRef ref = new HubModelRef(repoId, HubModelRef.DEFAULT_REVISION);
        Path d = repoDir(ref);
        try {
            long bytes = Files.isDirectory(d) ? sizeOnDisk(d) : 0;
            deleteTree(d);
            deleteTree(root.resolve(".locks").resolve(ref.folderName()));
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + d, e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}
