package dev.finetune.hub;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base models by hub name: {@code ORG/NAME[@REVISION]} to the snapshot folder that holds its files,
 * in the cache huggingface_hub shares. One call does it: {@link #resolve(String)}.
 *
 * <ul>
 *   <li>Cached first: a revision whose snapshot already holds {@code config.json} and the weights (e.g.
 *       downloaded by Python) is returned without any request. A commit hash never changes; a branch or
 *       tag means the commit {@code refs/REVISION} recorded when it was last fetched (use
 *       {@link #pull} to ask the hub again).</li>
 *   <li>Offline ({@code HF_HUB_OFFLINE=1}): the cache or a clear failure naming what is missing; never a
 *       request.</li>
 *   <li>Otherwise the missing files are downloaded ({@link HubClient}).</li>
 * </ul>
 */
public final class HubModels {
    private static final Logger LOG = LoggerFactory.getLogger(HubModels.class);

    private HubModels() {
    }

    /** Whether {@code name} is a hub model name ({@code ORG/NAME[@REVISION]}) rather than a path or a built-in name. */
    public static boolean isHubName(String name) {
        return HubModelRef.looksLikeHubName(name);
    }

    /** {@link #resolve(String, HubConfig, DownloadListener)} with this process's environment; progress goes to the log. */
    public static Path resolve(String name) {
        return resolve(name, HubConfig.fromEnvironment(), DownloadListener.NONE);
    }

    /**
     * The snapshot folder of hub model {@code name}, downloading what the cache lacks.
     *
     * @throws HubException            when offline with a file missing, access is refused, the model or a
     *                                 file does not exist, or a download fails its check
     * @throws IllegalArgumentException when {@code name} is not {@code ORG/NAME[@REVISION]}
     */
    public static Path resolve(String name, HubConfig config, DownloadListener listener) {
        HubModelRef ref = HubModelRef.parse(name);
        HubCache cache = new HubCache(config.cacheDir(), config.symlinks());
        Optional<Path> cached = cache.usableSnapshot(ref);
        if (cached.isPresent()) {
            LOG.debug("{} is cached in {}", ref, cached.get());
            return cached.get();
        }
        if (config.offline()) {
            throw offlineMiss(ref, cache);
        }
        return new HubClient(config).download(ref, listener);
    }

    /**
     * Asks the hub which commit {@code name}'s revision means now and downloads what the cache lacks of
     * it (the ahead-of-time download of {@code ./finetune base-models pull}); the files already cached are
     * re-hashed against the hub's etags and a corrupted one is fetched again. Offline, it is
     * {@link #resolve} from the cache.
     */
    public static Path pull(String name, HubConfig config, DownloadListener listener) {
        HubModelRef ref = HubModelRef.parse(name);
        if (config.offline()) {
            return resolve(name, config, listener);
        }
        return new HubClient(config).download(ref, listener, true);
    }

    private static HubException offlineMiss(HubModelRef ref, HubCache cache) {
        Optional<String> commit = cache.commit(ref);
        String where = " in the hub cache " + cache.root();
        if (commit.isEmpty()) {
            String file = ref.isCommit() ? "snapshots/" + ref.revision() + "/" + HubCache.CONFIG
                    : "refs/" + ref.revision();
            return new HubException(HubException.Reason.OFFLINE, "HF_HUB_OFFLINE is set and " + ref + " is not cached: "
                    + ref.folderName() + "/" + file + " is missing" + where + " (download it once online, e.g. "
                    + "`./finetune base-models pull " + ref + "`)");
        }
        Path snap = cache.snapshotDir(ref, commit.get());
        List<String> missing = Files.isDirectory(snap) ? HubCache.missing(snap) : List.of(HubCache.CONFIG, HubCache.WEIGHTS);
        return new HubException(HubException.Reason.OFFLINE, "HF_HUB_OFFLINE is set and the cached " + ref + " (commit "
                + commit.get() + ") lacks " + String.join(", ", missing) + ": " + ref.folderName() + "/snapshots/"
                + commit.get() + "/" + missing.get(0) + " is missing" + where);
    }
}
