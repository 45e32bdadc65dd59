package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hub downloads across processes: two at once, one killed with SIGKILL, and a gated repository with the logs captured. */
class HubProcessTest {
    static final String REPO = HubDownloadTest.REPO;
    static final String C = HubDownloadTest.C2;
    static final Map<String, byte[]> FILES = HubDownloadTest.V2;

    @TempDir
    Path tmp;
    StubHub hub;
    Path cache;

    @BeforeEach
    void start() throws Exception {
        hub = new StubHub().commit(REPO, "main", C, FILES);
        cache = tmp.resolve("hf-cache");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** A child JVM running {@link HubChild}, its output (stdout and stderr, trace-level logs) collected line by line. */
    final class Child {
        final Process process;
        final List<String> lines = new ArrayList<>();
        final CountDownLatch waiting = new CountDownLatch(1);
        final Thread reader;

        Child(String name, Map<String, String> extraEnv) throws IOException {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=trace", "-cp", System.getProperty("java.class.path"),
                    HubChild.class.getName(), name);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("HUGGINGFACE") || k.equals("XDG_CACHE_HOME"));
            pb.environment().put("HF_HUB_CACHE", cache.toString());
            pb.environment().put("HF_HOME", tmp.resolve("hf-home").toString());
            pb.environment().put("HF_ENDPOINT", hub.endpoint());
            pb.environment().putAll(extraEnv);
            process = pb.start();
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (lines) {
                            lines.add(line);
                        }
                        if (line.equals("WAITING model.safetensors")) {
                            waiting.countDown();
                        }
                    }
                } catch (IOException e) {
                    // the process was killed
                }
            });
            reader.start();
        }

        int exit() throws Exception {
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the child finished");
            reader.join();
            return process.exitValue();
        }

        String output() {
            synchronized (lines) {
                return String.join("\n", lines);
            }
        }

        String result() {
            synchronized (lines) {
                return lines.stream().filter(l -> l.startsWith("DONE ") || l.startsWith("ERROR ")).findFirst().orElse("");
            }
        }
    }

    @Test
    void twoProcessesDownloadingTheSameBlobEndWithOneCorrectBlob() throws Exception {
        byte[] weights = FILES.get("model.safetensors");
        String sha = StubHub.sha256(weights);
        hub.holdAfter("model.safetensors", weights.length / 2);
        Child a = new Child(REPO, Map.of());
        Child b = new Child(REPO, Map.of());
        assertTrue(hub.holdReached.await(60, TimeUnit.SECONDS), "one child is downloading the weights");
        // the other reaches the same blob's lock and waits for it
        boolean seen = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!seen && System.nanoTime() < deadline) {
            seen = a.waiting.await(50, TimeUnit.MILLISECONDS) || b.waiting.await(50, TimeUnit.MILLISECONDS);
        }
        assertTrue(seen, "a child waited for the other's download:\n" + a.output() + "\n---\n" + b.output());
        hub.holdRelease.countDown();
        assertEquals(0, a.exit(), a.output());
        assertEquals(0, b.exit(), b.output());
        Path snap = cache.resolve("models--tiny-org--tiny-gpt2/snapshots").resolve(C);
        assertEquals("DONE " + snap, a.result());
        assertEquals("DONE " + snap, b.result());
        assertArrayEquals(weights, Files.readAllBytes(cache.resolve("models--tiny-org--tiny-gpt2/blobs").resolve(sha)));
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertEquals(1, hub.requests("GET", "/blobs/" + sha).size(), "the blob was downloaded once");
        try (Stream<Path> s = Files.list(cache.resolve("models--tiny-org--tiny-gpt2/blobs"))) {
            assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".incomplete")).toList());
        }
    }

    @Test
    void aDownloadKilledWithSigkillResumesFromItsIncompleteBlob() throws Exception {
        byte[] weights = FILES.get("model.safetensors");
        String sha = StubHub.sha256(weights);
        long half = weights.length / 2;
        hub.holdAfter("model.safetensors", half);
        Child child = new Child(REPO, Map.of());
        assertTrue(hub.holdReached.await(60, TimeUnit.SECONDS), child.output());
        Path part = cache.resolve("models--tiny-org--tiny-gpt2/blobs").resolve(sha + ".incomplete");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((!Files.exists(part) || Files.size(part) < half) && System.nanoTime() < deadline) {
            Thread.sleep(5);  // waiting on the child's writes, which nothing else signals
        }
        assertEquals(half, Files.size(part));
        child.process.destroyForcibly();  // SIGKILL
        assertTrue(child.process.waitFor(30, TimeUnit.SECONDS));
        hub.holdRelease.countDown();
        Path snap = cache.resolve("models--tiny-org--tiny-gpt2/snapshots").resolve(C);
        assertFalse(Files.exists(snap.resolve("model.safetensors"), LinkOption.NOFOLLOW_LINKS), "nothing half-written in snapshots/");
        assertFalse(Files.exists(cache.resolve("models--tiny-org--tiny-gpt2/blobs").resolve(sha)));

        Map<String, String> env = new HashMap<>();
        env.put("HF_HUB_CACHE", cache.toString());
        env.put("HF_ENDPOINT", hub.endpoint());
        env.put("HF_HOME", tmp.resolve("hf-home").toString());
        Path got = HubModels.resolve(REPO, HubConfig.fromEnvironment(env), DownloadListener.NONE);
        assertEquals(snap, got);
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        List<StubHub.Request> gets = hub.requests("GET", "/blobs/" + sha);
        assertEquals("bytes=" + half + "-", gets.get(gets.size() - 1).range());
        assertFalse(Files.exists(part));
    }

    @Test
    void aGatedRepositorySaysWhatItNeedsAndTheTokenNeverShows() throws Exception {
        hub.gated(REPO);
        Child none = new Child(REPO, Map.of());
        assertEquals(3, none.exit(), none.output());
        String msg = none.result();
        assertTrue(msg.contains(REPO) && msg.contains("401") && msg.contains("gated") && msg.contains("no token was sent")
                && msg.contains("HF_TOKEN"), msg);

        Child wrong = new Child(REPO, Map.of("HF_TOKEN", StubHub.NO_ACCESS_TOKEN));
        assertEquals(3, wrong.exit(), wrong.output());
        msg = wrong.result();
        assertTrue(msg.contains(REPO) && msg.contains("403") && msg.contains("a token from HF_TOKEN was sent")
                && msg.contains("accept its conditions"), msg);
        assertFalse(wrong.output().contains(StubHub.NO_ACCESS_TOKEN), wrong.output());
        assertFalse(wrong.output().contains(StubHub.NO_ACCESS_TOKEN.substring(3)), wrong.output());

        Child good = new Child(REPO, Map.of("HF_TOKEN", StubHub.GOOD_TOKEN));
        assertEquals(0, good.exit(), good.output());
        assertTrue(good.output().contains("DEBUG") || good.output().contains("INFO"), "the logs were captured: " + good.output());
        assertFalse(good.output().contains(StubHub.GOOD_TOKEN), good.output());
        for (StubHub.Request r : hub.requests) {
            if (r.server().equals("cdn")) {
                assertEquals(null, r.authorization(), "the token never goes to the CDN: " + r);
            }
        }
        assertTrue(hub.requests.stream().anyMatch(r -> ("Bearer " + StubHub.GOOD_TOKEN).equals(r.authorization())));
        // and never to disk
        try (Stream<Path> s = Files.walk(cache)) {
            for (Path f : s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(StubHub.GOOD_TOKEN), f.toString());
            }
        }
    }

    @Test
    void theTokenFileUnderHfHomeIsUsedAndNeverPrinted() throws Exception {
        hub.gated(REPO);
        Path home = tmp.resolve("hf-home");
        Files.createDirectories(home);
        Files.writeString(home.resolve("token"), StubHub.GOOD_TOKEN + "\n");
        Map<String, String> env = new HashMap<>();
        env.put("HF_HOME", home.toString());
        env.put("HF_ENDPOINT", hub.endpoint());
        HubConfig config = HubConfig.fromEnvironment(env);
        assertEquals(home.resolve("hub"), config.cacheDir());
        assertTrue(config.hasToken());
        assertFalse(config.toString().contains(StubHub.GOOD_TOKEN), config.toString());
        Path snap = HubModels.resolve(REPO, config, DownloadListener.NONE);
        assertEquals(home.resolve("hub/models--tiny-org--tiny-gpt2/snapshots").resolve(C), snap);
    }
}
