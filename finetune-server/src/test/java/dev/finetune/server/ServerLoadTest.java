package dev.finetune.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.ClientV2;
import dev.finetune.jobs.LocalTrainingTest;
import dev.finetune.jobs.TaskFinetuneTest;
import dev.finetune.json.Json;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded load run on loopback: 32 clients over chat, rerank and dataset reads against tiny models,
 * for {@code -Dfinetune.load.seconds} (default 60) or {@code -Dfinetune.load.maxPerClient} requests each,
 * whichever ends first. Off by default (it takes a minute and both cores); run it with
 * <pre>
 *   mvn -o -pl finetune-server -am test -Dtest=ServerLoadTest -Dsurefire.failIfNoSpecifiedTests=false -Dfinetune.load=true
 * </pre>
 * Every request carries its own {@code X-Request-Id}; the run fails when an answer is missing, carries
 * another request's id, or the server counted a request the clients did not send (answered twice), and
 * when the heap grows past half the JVM's maximum. Prints requests/s, p50/p99 latency and errors.
 */
class ServerLoadTest {
    static final int CLIENTS = 32;

    @Test
    void thirtyTwoClientsOverChatRerankAndDatasetReads(@TempDir Path dir) throws Exception {
        assumeTrue(Boolean.getBoolean("finetune.load"), "SKIPPED: the load run is off by default; -Dfinetune.load=true runs it");
        // one access-log line per request would be most of the console; the server still formats nothing else
        System.setProperty("org.slf4j.simpleLogger.log.dev.finetune.server.access", "warn");
        int seconds = Integer.getInteger("finetune.load.seconds", 60);
        int maxPerClient = Integer.getInteger("finetune.load.maxPerClient", 100_000);
        String key = ApiKeys.newKey();
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build();
                FinetuneServer server = FinetuneServer.builder(co, ApiKeys.of(key)).port(0).start()) {
            Http http = new Http(server.uri(), key);
            Path chatBase = LocalTrainingTest.baseFolder(Files.createDirectories(dir.resolve("chat-base")));
            Path taskBase = TaskFinetuneTest.tinyBase(Files.createDirectories(dir.resolve("task-base")));
            String chatData = validated(http, "load-chat", "chat-finetune-input", LocalTrainingTest.chatFile(dir));
            String rerankData = validated(http, "load-rerank", "reranker-finetune-input", TaskFinetuneTest.rerankFile(dir));
            String chatModel = ready(http, "load-chat", "BASE_TYPE_CHAT", chatBase, chatData,
                    "\"strategy\":\"STRATEGY_FULL\",\"train_epochs\":10,\"train_batch_size\":4");
            String rerankModel = ready(http, "load-rerank", "BASE_TYPE_RERANK", taskBase, rerankData, "\"train_epochs\":1");
            List<String> datasets = List.of(chatData, rerankData);
            String chatBody = "{\"model\":\"" + chatModel + "-ft\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there!\"}],"
                    + "\"max_tokens\":8,\"temperature\":0}";
            String rerankBody = "{\"model\":\"" + rerankModel + "-ft\",\"query\":\"where is the piano?\",\"documents\":"
                    + "[\"the tiger is here.\",\"the piano is here.\",\"the stone is here.\",\"the lemon is here.\"],\"top_n\":2}";
            // warm both models so the first requests do not measure loading
            assertEquals(200, http.post("/v2/chat", chatBody).status());
            assertEquals(200, http.post("/v2/rerank", rerankBody).status());

            long handledBefore = server.requestsHandled();
            String[] ops = {"chat", "rerank", "dataset"};
            List<long[]>[] latencies = newLists(ops.length);
            AtomicLong sent = new AtomicLong();
            AtomicLong answered = new AtomicLong();
            AtomicLong errors = new AtomicLong();
            ConcurrentHashMap<String, Integer> errorKinds = new ConcurrentHashMap<>();
            Set<String> seenIds = ConcurrentHashMap.newKeySet();
            long peakHeap[] = {0};
            long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            CountDownLatch done = new CountDownLatch(CLIENTS);
            Thread sampler = new Thread(() -> {
                while (done.getCount() > 0) {
                    Runtime rt = Runtime.getRuntime();
                    peakHeap[0] = Math.max(peakHeap[0], rt.totalMemory() - rt.freeMemory());
                    try {
                        done.await(200, java.util.concurrent.TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            sampler.setDaemon(true);
            sampler.start();
            long t0 = System.nanoTime();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                Thread t = new Thread(() -> {
                    long[][] mine = new long[ops.length][];
                    int[] counts = new int[ops.length];
                    for (int i = 0; i < ops.length; i++) {
                        mine[i] = new long[1024];
                    }
                    try {
                        for (int n = 0; n < maxPerClient && System.nanoTime() < deadline; n++) {
                            int op = (client + n) % ops.length;
                            String id = "c" + client + "-r" + n;
                            HttpRequest.Builder b = switch (op) {
                                case 0 -> json(http, "/v2/chat", chatBody);
                                case 1 -> json(http, "/v2/rerank", rerankBody);
                                default -> http.request("/v1/datasets/" + datasets.get(n % 2)).GET();
                            };
                            b.header("X-Request-Id", id);
                            sent.incrementAndGet();
                            long s = System.nanoTime();
                            try {
                                HttpResponse<String> r = http.client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                                long ns = System.nanoTime() - s;
                                answered.incrementAndGet();
                                String echoed = r.headers().firstValue("X-Request-Id").orElse("");
                                if (!echoed.equals(id) || !seenIds.add(echoed)) {
                                    throw new AssertionError("request " + id + " was answered with the id \"" + echoed + "\"");
                                }
                                if (r.statusCode() != 200) {
                                    errors.incrementAndGet();
                                    errorKinds.merge(ops[op] + " " + r.statusCode(), 1, Integer::sum);
                                    continue;
                                }
                                check(op, Json.reader().readTree(r.body()), datasets.get(n % 2));
                                if (counts[op] == mine[op].length) {
                                    mine[op] = Arrays.copyOf(mine[op], mine[op].length * 2);
                                }
                                mine[op][counts[op]++] = ns;
                            } catch (java.io.IOException e) {
                                errors.incrementAndGet();
                                errorKinds.merge(ops[op] + " " + e.getClass().getSimpleName(), 1, Integer::sum);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (Throwable e) {
                        errorKinds.merge("fatal " + e.getMessage(), 1, Integer::sum);
                        errors.incrementAndGet();
                    } finally {
                        for (int i = 0; i < ops.length; i++) {
                            synchronized (latencies[i]) {
                                latencies[i].add(Arrays.copyOf(mine[i], counts[i]));
                            }
                        }
                        done.countDown();
                    }
                }, "load-client-" + c);
                t.start();
            }
            assertTrue(done.await(seconds + 120L, java.util.concurrent.TimeUnit.SECONDS), "clients did not stop");
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long handled = server.requestsHandled() - handledBefore;

            StringBuilder report = new StringBuilder();
            long[] all = new long[0];
            for (int i = 0; i < ops.length; i++) {
                long[] v = latencies[i].stream().flatMapToLong(Arrays::stream).sorted().toArray();
                all = concat(all, v);
                report.append(String.format(Locale.ROOT, "  %-8s %7d ok  %7.1f req/s  p50 %6.1f ms  p99 %6.1f ms%n", ops[i], v.length,
                        v.length / elapsed, pct(v, 0.50), pct(v, 0.99)));
            }
            Arrays.sort(all);
            System.out.printf(Locale.ROOT, "load: %d clients, %.1f s, %d sent, %d answered, %d handled by the server, %d errors %s%n"
                            + "  all      %7d ok  %7.1f req/s  p50 %6.1f ms  p99 %6.1f ms%n%s  peak heap %d MiB of %d MiB%n",
                    CLIENTS, elapsed, sent.get(), answered.get(), handled, errors.get(), errorKinds, all.length, all.length / elapsed,
                    pct(all, 0.50), pct(all, 0.99), report, peakHeap[0] >> 20, Runtime.getRuntime().maxMemory() >> 20);
            assertEquals(sent.get(), answered.get(), "every request answered");
            assertEquals(sent.get(), handled, "the server handled each request once");
            assertEquals(0, errors.get(), "errors: " + errorKinds);
            assertTrue(peakHeap[0] < Runtime.getRuntime().maxMemory() / 2, "heap stayed bounded: " + (peakHeap[0] >> 20) + " MiB");
            assertEquals(0, server.generationsAdmitted());
        }
    }

    private static HttpRequest.Builder json(Http http, String path, String body) {
        return http.request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private static void check(int op, JsonNode j, String dataset) {
        boolean ok = switch (op) {
            case 0 -> j.path("message").path("role").asText().equals("assistant");
            case 1 -> j.path("results").size() == 2;
            default -> j.path("dataset").path("id").asText().equals(dataset);
        };
        if (!ok) {
            throw new AssertionError("unexpected answer: " + j);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<long[]>[] newLists(int n) {
        List<long[]>[] l = new List[n];
        for (int i = 0; i < n; i++) {
            l[i] = new ArrayList<>();
        }
        return l;
    }

    private static long[] concat(long[] a, long[] b) {
        long[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    private static String validated(Http http, String name, String type, Path file) {
        Http.Reply r = http.upload("/v1/datasets?name=" + name + "&type=" + type, List.of("data"), List.of(file));
        assertEquals(200, r.status(), r.body());
        String id = r.json().path("id").asText();
        JsonNode d = http.pollUntil("/v1/datasets/" + id,
                j -> Set.of("validated", "failed").contains(j.path("dataset").path("validation_status").asText()), Duration.ofSeconds(120));
        assertEquals("validated", d.path("dataset").path("validation_status").asText(), d.toString());
        return id;
    }

    private static String ready(Http http, String name, String baseType, Path base, String datasetId, String hp) {
        Http.Reply r = http.post("/v1/finetuning/finetuned-models", "{\"name\":\"" + name + "\",\"settings\":{\"base_model\":{"
                + "\"base_type\":\"" + baseType + "\",\"name\":" + ServerApiTest.quote(base.toString()) + "},\"dataset_id\":\""
                + datasetId + "\",\"hyperparameters\":{" + hp + ",\"early_stopping_patience\":0}}}");
        assertEquals(200, r.status(), r.body());
        String id = r.json().path("finetuned_model").path("id").asText();
        JsonNode m = http.pollUntil("/v1/finetuning/finetuned-models/" + id,
                j -> ServerApiTest.isTerminal(j.path("finetuned_model").path("status").asText()), Duration.ofSeconds(240));
        assertEquals("STATUS_READY", m.path("finetuned_model").path("status").asText(), m.toString());
        return id;
    }
}
