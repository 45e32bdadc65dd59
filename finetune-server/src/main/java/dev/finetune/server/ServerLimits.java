package dev.finetune.server;

import dev.finetune.Ranges;
import dev.finetune.datasets.DatasetsClient;
import java.time.Duration;
import java.util.Objects;

/**
 * What one request may take, each with a clear error past it:
 * <pre>
 *   max_upload_bytes          per dataset file, default 1.5 GiB (the service's limit)      413
 *   max_json_bytes            a JSON request body, default 8 MiB                            413
 *   idle_timeout              no byte read or written for this long ends the request, 60 s
 *   max_concurrent_generations  chat, generate, rerank and classify running at once, default the core count
 *   max_queued_generations    waiting for a slot, default 64; beyond it                     429 + Retry-After
 *   queue_timeout             longest wait for a slot, default 120 s; then                   503 + Retry-After
 * </pre>
 */
public record ServerLimits(long maxUploadBytes, long maxJsonBytes, Duration idleTimeout, int maxConcurrentGenerations,
                           int maxQueuedGenerations, Duration queueTimeout) {

    public ServerLimits {
        Ranges.atLeast("max_upload_bytes", maxUploadBytes, 1);
        Ranges.atLeast("max_json_bytes", maxJsonBytes, 1);
        Objects.requireNonNull(idleTimeout, "idle_timeout");
        Objects.requireNonNull(queueTimeout, "queue_timeout");
        Ranges.check("max_concurrent_generations", maxConcurrentGenerations, 1, 1024);
        Ranges.check("max_queued_generations", maxQueuedGenerations, 0, 100_000);
    }

    public static ServerLimits defaults() {
        return new ServerLimits(DatasetsClient.MAX_FILE_BYTES, 8L << 20, Duration.ofSeconds(60),
                Math.max(1, Runtime.getRuntime().availableProcessors()), 64, Duration.ofSeconds(120));
    }

    public ServerLimits withMaxUploadBytes(long n) {
        return new ServerLimits(n, maxJsonBytes, idleTimeout, maxConcurrentGenerations, maxQueuedGenerations, queueTimeout);
    }

    public ServerLimits withMaxJsonBytes(long n) {
        return new ServerLimits(maxUploadBytes, n, idleTimeout, maxConcurrentGenerations, maxQueuedGenerations, queueTimeout);
    }

    public ServerLimits withIdleTimeout(Duration d) {
        return new ServerLimits(maxUploadBytes, maxJsonBytes, d, maxConcurrentGenerations, maxQueuedGenerations, queueTimeout);
    }

    public ServerLimits withGenerations(int concurrent, int queued) {
        return new ServerLimits(maxUploadBytes, maxJsonBytes, idleTimeout, concurrent, queued, queueTimeout);
    }

    public ServerLimits withQueueTimeout(Duration d) {
        return new ServerLimits(maxUploadBytes, maxJsonBytes, idleTimeout, maxConcurrentGenerations, maxQueuedGenerations, d);
    }
}
