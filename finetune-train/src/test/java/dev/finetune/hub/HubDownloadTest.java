package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import dev.finetune.inference.InferenceEngine;
import dev.finetune.inference.LoadedModel;
import dev.finetune.inference.ModelFolders;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads from a stub hub on 127.0.0.1 into huggingface_hub's cache layout. */
class HubDownloadTest {
    static final String REPO = "tiny-org/tiny-gpt2";
    static final String C1 = "1111111111111111111111111111111111111111";
    static final String C2 = "2222222222222222222222222222222222222222";
    static final Map<String, byte[]> V1 = TinyHubModel.files(1);
    static final Map<String, byte[]> V2 = TinyHubModel.files(2);

    @TempDir
    Path tmp;
    StubHub hub;
    Path cache;

    @BeforeEach
    void start() throws Exception {
        hub = new StubHub().commit(REPO, "v1", C1, V1).commit(REPO, "main", C2, V2);
        cache = tmp.resolve("hf-cache");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("HF_HUB_CACHE", cache.toString());
        env.put("HF_ENDPOINT", hub.endpoint());
        env.put("HF_HOME", tmp.resolve("hf-home").toString());
        return env;
    }

    HubConfig config() {
        return HubConfig.fromEnvironment(env());
    }

    Path repoDir() {
        return cache.resolve("models--tiny-org--tiny-gpt2");
    }

    @Test
    void firstDownloadWritesHuggingFaceHubsLayoutWithOnlyTheModelsFiles() throws Exception {
        Path snap = HubModels.resolve(REPO, config(), DownloadListener.NONE);
        assertEquals(repoDir().resolve("snapshots").resolve(C2), snap);
        assertEquals(C2, Files.readString(repoDir().resolve("refs/main")));
        Set<String> got;
        try (Stream<Path> s = Files.list(snap)) {
            got = s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
        assertEquals(TinyHubModel.WANTED, got);
        for (String f : TinyHubModel.WANTED) {
            Path p = snap.resolve(f);
            assertTrue(Files.isSymbolicLink(p), f + " is a link");
            String etag = StubHub.isLfs(f) ? StubHub.sha256(V2.get(f)) : StubHub.gitSha1(V2.get(f));
            assertEquals(Path.of("../../blobs/" + etag), Files.readSymbolicLink(p), f);
            assertArrayEquals(V2.get(f), Files.readAllBytes(p), f);
        }
        assertTrue(Files.exists(cache.resolve("CACHEDIR.TAG")));
        assertTrue(Files.exists(cache.resolve(".locks/models--tiny-org--tiny-gpt2/" + StubHub.sha256(V2.get("model.safetensors")) + ".lock")));
        try (Stream<Path> s = Files.list(repoDir().resolve("blobs"))) {
            assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".incomplete")).toList());
        }
        // nothing it does not need was asked for
        for (StubHub.Request r : hub.requests) {
            assertFalse(r.path().endsWith(".bin") || r.path().endsWith(".onnx") || r.path().endsWith(".gguf")
                    || r.path().endsWith("README.md") || r.path().endsWith("encoder.json"), r.toString());
        }
        assertEquals(1, hub.requests("GET", "/api/models/" + REPO + "/revision/main").size());
        assertEquals(1, hub.requests("GET", "/blobs/").size(), "the LFS file came from the CDN");
    }

    @Test
    void aCachedModelIsFoundWithoutAnyRequest() {
        Path first = HubModels.resolve(REPO, config(), DownloadListener.NONE);
        int before = hub.requests.size();
        assertTrue(before > 0);
        Path second = HubModels.resolve(REPO, config(), DownloadListener.NONE);
        assertEquals(first, second);
        assertEquals(before, hub.requests.size(), "no request for a cached model");
        Path byCommit = HubModels.resolve(REPO + "@" + C2, config(), DownloadListener.NONE);
        assertEquals(first, byCommit);
        assertEquals(before, hub.requests.size());
    }

    @Test
    void aRevisionPinsTheSnapshotByBranchOrCommit() throws Exception {
        Path v1 = HubModels.resolve(REPO + "@v1", config(), DownloadListener.NONE);
        assertEquals(repoDir().resolve("snapshots").resolve(C1), v1);
        assertEquals(C1, Files.readString(repoDir().resolve("refs/v1")));
        assertArrayEquals(V1.get("model.safetensors"), Files.readAllBytes(v1.resolve("model.safetensors")));
        Path main = HubModels.resolve(REPO + "@" + C2, config(), DownloadListener.NONE);
        assertEquals(repoDir().resolve("snapshots").resolve(C2), main);
        assertArrayEquals(V2.get("model.safetensors"), Files.readAllBytes(main.resolve("model.safetensors")));
        assertFalse(Files.exists(repoDir().resolve("refs").resolve(C2)), "a commit hash gets no ref");
        assertFalse(Files.exists(repoDir().resolve("refs/main")));
        // the tokenizer is the same blob in both commits: fetched once, linked twice
        assertEquals(Files.readSymbolicLink(v1.resolve("tokenizer.json")), Files.readSymbolicLink(main.resolve("tokenizer.json")));
        assertEquals(1, hub.requests("GET", "/resolve/").stream().filter(r -> r.path().endsWith("/tokenizer.json")).count());
        // pull asks the hub again: main moved to a new commit
        Map<String, byte[]> v3 = new HashMap<>(V1);
        v3.put("config.json", (new String(V1.get("config.json")) + "\n").getBytes());
        String c3 = "3333333333333333333333333333333333333333";
        hub.commit(REPO, "main", c3, v3);
        assertEquals(repoDir().resolve("snapshots").resolve(C2), HubModels.resolve(REPO + "@" + C2, config(), DownloadListener.NONE));
        Path pulled = HubModels.pull(REPO, config(), DownloadListener.NONE);
        assertEquals(repoDir().resolve("snapshots").resolve(c3), pulled);
        assertEquals(c3, Files.readString(repoDir().resolve("refs/main")));
    }

    @Test
    void aConnectionCutMidFileIsResumedWithARangeRequest() throws Exception {
        long size = V2.get("model.safetensors").length;
        hub.cutAfter("model.safetensors", size / 3);
        Path snap = HubModels.resolve(REPO, config(), DownloadListener.NONE);
        assertArrayEquals(V2.get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")));
        List<StubHub.Request> gets = hub.requests("GET", "/blobs/");
        assertEquals(2, gets.size(), gets.toString());
        assertEquals(null, gets.get(0).range());
        // resumed from the bytes that arrived before the cut (a reset may drop some still in flight)
        java.util.regex.Matcher range = java.util.regex.Pattern.compile("bytes=(\\d+)-").matcher(gets.get(1).range());
        assertTrue(range.matches(), gets.get(1).range());
        long from = Long.parseLong(range.group(1));
        assertTrue(from > 0 && from <= size / 3, gets.get(1).range());
    }

    @Test
    void aWrongSha256IsRejectedAndTheBlobDeleted() throws Exception {
        byte[] good = V2.get("model.safetensors");
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 1;
        String sha = StubHub.sha256(good);
        hub.corrupt(sha, bad);
        HubException e = assertThrows(HubException.class, () -> HubModels.resolve(REPO, config(), DownloadListener.NONE));
        assertEquals(HubException.Reason.INTEGRITY, e.reason());
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("sha256")
                && e.getMessage().contains(sha), e.getMessage());
        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha)));
        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha + ".incomplete")));
        assertFalse(Files.exists(repoDir().resolve("snapshots").resolve(C2).resolve("model.safetensors"), LinkOption.NOFOLLOW_LINKS));
        // once the hub serves the right bytes, the next run succeeds
        hub.corrupt(sha, good);
        Path snap = HubModels.resolve(REPO, config(), DownloadListener.NONE);
        assertArrayEquals(good, Files.readAllBytes(snap.resolve("model.safetensors")));
    }

    @Test
    void offlineModeUsesTheCacheAndNeverTheNetwork() throws Exception {
        Map<String, String> env = env();
        env.put("HF_HUB_OFFLINE", "1");
        HubException miss = assertThrows(HubException.class,
                () -> HubModels.resolve(REPO, HubConfig.fromEnvironment(env), DownloadListener.NONE));
        assertEquals(HubException.Reason.OFFLINE, miss.reason());
        assertTrue(miss.getMessage().contains("HF_HUB_OFFLINE") && miss.getMessage().contains("refs/main"), miss.getMessage());
        assertEquals(0, hub.requests.size());

        Path snap = HubModels.resolve(REPO, config(), DownloadListener.NONE);
        int before = hub.requests.size();
        assertEquals(snap, HubModels.resolve(REPO, HubConfig.fromEnvironment(env), DownloadListener.NONE));
        assertEquals(snap, HubModels.pull(REPO, HubConfig.fromEnvironment(env), DownloadListener.NONE));
        // a snapshot that lost a file: the message names it
        Files.delete(snap.resolve("model.safetensors"));
        HubException lacks = assertThrows(HubException.class,
                () -> HubModels.resolve(REPO, HubConfig.fromEnvironment(env), DownloadListener.NONE));
        assertTrue(lacks.getMessage().contains("model.safetensors"), lacks.getMessage());
        assertEquals(before, hub.requests.size(), "offline: no request at all");
        // online again, only the missing file is fetched (its blob is still cached: no download)
        assertEquals(snap, HubModels.resolve(REPO, config(), DownloadListener.NONE));
        assertEquals(1, hub.requests("GET", "/blobs/").size());
    }

    @Test
    void theDownloadedFolderLoadsAndGenerates() {
        Path snap = HubModels.resolve(REPO, config(), DownloadListener.NONE);
        LoadedModel m = ModelFolders.load(REPO, snap);
        assertEquals(50257, m.model().config().vocabSize());
        GenerateResponse r = InferenceEngine.generate(m, GenerateRequest.builder().prompt("To be, or not to be").model(REPO)
                .maxTokens(5).temperature(0f).build());
        assertFalse(r.generations().get(0).text().isEmpty());
    }

    @Test
    void progressCountsEveryByteOnce() {
        long[] last = new long[2];
        int[] starts = new int[1];
        HubModels.resolve(REPO, config(), new DownloadListener() {
            @Override
            public void onStart(HubModelRef model, String commit, int files, long bytes) {
                starts[0]++;
                assertEquals(C2, commit);
                last[1] = bytes;
            }

            @Override
            public void onProgress(String file, long fileDone, long fileSize, long done, long total) {
                assertTrue(done >= last[0] && done <= total, done + " of " + total);
                last[0] = done;
            }
        });
        assertEquals(1, starts[0]);
        long expected = TinyHubModel.WANTED.stream().mapToLong(f -> V2.get(f).length).sum();
        assertEquals(expected, last[1]);
        assertEquals(expected, last[0]);
    }

    @Test
    void aShardedRepositoryFetchesTheIndexAndItsShardsOnly() throws Exception {
        String repo = "tiny-org/sharded";
        byte[] s1 = "shard one bytes".getBytes();
        byte[] s2 = "shard two bytes!".getBytes();
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        files.put("config.json", V1.get("config.json"));
        files.put("model.safetensors.index.json", ("{\"metadata\": {\"total_size\": 31}, \"weight_map\": {"
                + "\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00002.safetensors\", "
                + "\"c\": \"model-00001-of-00002.safetensors\"}}").getBytes());
        files.put("model-00001-of-00002.safetensors", s1);
        files.put("model-00002-of-00002.safetensors", s2);
        files.put("consolidated.safetensors", "the same weights again, not wanted".getBytes());
        hub.commit(repo, "main", C1, files);
        Path snap = HubModels.resolve(repo, config(), DownloadListener.NONE);
        assertArrayEquals(s1, Files.readAllBytes(snap.resolve("model-00001-of-00002.safetensors")));
        assertArrayEquals(s2, Files.readAllBytes(snap.resolve("model-00002-of-00002.safetensors")));
        assertFalse(Files.exists(snap.resolve("consolidated.safetensors")));
        assertEquals(0, hub.requests.stream().filter(r -> r.path().contains("consolidated")).count());
        int before = hub.requests.size();
        assertEquals(snap, HubModels.resolve(repo, config(), DownloadListener.NONE));
        assertEquals(before, hub.requests.size());
    }

    @Test
    void withSymlinksDisabledTheSnapshotHoldsCopies() throws Exception {
        Map<String, String> env = env();
        env.put("HF_HUB_DISABLE_SYMLINKS", "1");
        Path snap = HubModels.resolve(REPO, HubConfig.fromEnvironment(env), DownloadListener.NONE);
        for (String f : TinyHubModel.WANTED) {
            assertFalse(Files.isSymbolicLink(snap.resolve(f)), f);
            assertArrayEquals(V2.get(f), Files.readAllBytes(snap.resolve(f)), f);
        }
    }

    @Test
    void aRenamedRepositoryIsFollowedOnTheSameHost() throws Exception {
        hub.renamed("old-org/tiny-gpt2", REPO);
        Path snap = HubModels.resolve("old-org/tiny-gpt2", config(), DownloadListener.NONE);
        assertEquals(cache.resolve("models--old-org--tiny-gpt2/snapshots").resolve(C2), snap);
        assertArrayEquals(V2.get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")));
    }

    @Test
    void missingRepositoriesRevisionsAndWeightsSaySo() {
        HubException repo = assertThrows(HubException.class, () -> HubModels.resolve("tiny-org/nothing", config(), DownloadListener.NONE));
        assertTrue(repo.getMessage().contains("tiny-org/nothing") && repo.getMessage().contains("401"), repo.getMessage());
        HubException rev = assertThrows(HubException.class, () -> HubModels.resolve(REPO + "@v9", config(), DownloadListener.NONE));
        assertEquals(HubException.Reason.NOT_FOUND, rev.reason());
        assertTrue(rev.getMessage().contains("revision v9 does not exist"), rev.getMessage());
        Map<String, byte[]> bin = new java.util.LinkedHashMap<>();
        bin.put("config.json", V1.get("config.json"));
        bin.put("pytorch_model.bin", "old weights".getBytes());
        hub.commit("tiny-org/bin-only", "main", C1, bin);
        HubException noWeights = assertThrows(HubException.class, () -> HubModels.resolve("tiny-org/bin-only", config(),
                DownloadListener.NONE));
        assertTrue(noWeights.getMessage().contains("no safetensors weights") && noWeights.getMessage().contains("pytorch_model.bin"),
                noWeights.getMessage());
        assertEquals(0, hub.requests.stream().filter(r -> r.path().endsWith(".bin")).count());
    }

    @Test
    void aHubRunningWithoutTheNetworkFailsClearly() {
        Map<String, String> env = env();
        hub.close();
        HubException e = assertThrows(HubException.class, () -> HubModels.resolve(REPO, HubConfig.fromEnvironment(env),
                DownloadListener.NONE));
        assertEquals(HubException.Reason.NETWORK, e.reason());
        assertTrue(e.getMessage().contains("cannot reach " + env.get("HF_ENDPOINT")) && e.getMessage().contains(REPO), e.getMessage());
    }

    @Test
    void pullReplacesACorruptedCachedBlob() throws Exception {
        Path snap = HubModels.resolve(REPO, config(), DownloadListener.NONE);
        byte[] good = V2.get("model.safetensors");
        Path blob = repoDir().resolve("blobs").resolve(StubHub.sha256(good));
        byte[] bad = good.clone();
        bad[100] ^= 1;
        Files.write(blob, bad);
        Path tok = repoDir().resolve("blobs").resolve(StubHub.gitSha1(V2.get("tokenizer.json")));
        Files.write(tok, "{}".getBytes());
        // resolving trusts the cache (hashing every blob on each load would cost too much) ...
        assertEquals(snap, HubModels.resolve(REPO, config(), DownloadListener.NONE));
        // ... pull re-checks it and fetches the corrupted files again
        assertEquals(snap, HubModels.pull(REPO, config(), DownloadListener.NONE));
        assertArrayEquals(good, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertArrayEquals(V2.get("tokenizer.json"), Files.readAllBytes(snap.resolve("tokenizer.json")));
        assertTrue(Files.isSymbolicLink(snap.resolve("model.safetensors")));
    }

    @Test
    void aStalledDownloadIsResumedAfterTheTimeout() throws Exception {
        long size = V2.get("model.safetensors").length;
        hub.holdAfter("model.safetensors", size / 4);  // never released: the connection just goes quiet
        Map<String, String> env = env();
        env.put("HF_HUB_DOWNLOAD_TIMEOUT", "1");
        Path snap = HubModels.resolve(REPO, HubConfig.fromEnvironment(env), DownloadListener.NONE);
        assertArrayEquals(V2.get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")));
        List<StubHub.Request> gets = hub.requests("GET", "/blobs/");
        java.util.regex.Matcher range = java.util.regex.Pattern.compile("bytes=(\\d+)-").matcher(gets.get(gets.size() - 1).range());
        assertTrue(range.matches(), gets.toString());
        assertTrue(Long.parseLong(range.group(1)) > 0 && Long.parseLong(range.group(1)) <= size / 4, gets.toString());
    }
}
