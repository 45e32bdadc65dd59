package dev.finetune.server;

import dev.finetune.ClientV2;
import dev.finetune.FinetuneException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's REST API on one {@link ClientV2}, so the official SDKs work against it unchanged
 * (point {@code environment} / {@code base_url} at {@link #uri()}).
 *
 * <pre>{@code
 * ClientV2 co = ClientV2.builder().workspace(dir).build();
 * ApiKeys keys = ApiKeys.openOrCreate(co.root());
 * keys.createdKey().ifPresent(k -> terminal.show("API key (shown once): " + k));
 * try (FinetuneServer server = FinetuneServer.builder(co, keys).port(8080).closeClient(true).start()) {
 *     server.join();
 * }
 * }</pre>
 *
 * <p>It also serves the dashboard at {@code /} (see {@link DashboardAssets}): a page in the browser that signs
 * in with the same key and drives the same API.
 *
 * <p>Binds 127.0.0.1 unless told otherwise; every endpoint but {@code GET /health} and the dashboard's
 * files needs a bearer key.
 * {@link #close()} is graceful: no new connections, requests in flight (a chat stream too) finish within
 * the stop time-out, then, when the server owns the client, the client closes (a running fine-tune
 * stops at a step boundary and resumes on the next start; the workspace lock is released).
 */
public final class FinetuneServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FinetuneServer.class);
    static final String UPLOADS = "server-uploads";

    private final Server jetty;
    private final ServerConnector connector;
    private final ClientV2 client;
    private final boolean closeClient;
    private final ApiHandler api;
    private final String host;
    private volatile boolean closed;

    private FinetuneServer(Builder b) {
        this.client = b.client;
        this.closeClient = b.closeClient;
        this.host = b.host;
        QueuedThreadPool pool = new QueuedThreadPool(b.maxThreads, Math.min(8, b.maxThreads));
        pool.setName("finetune-http");
        if (VirtualThreads.areSupported()) {
            pool.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor("finetune-http-v"));
        }
        this.jetty = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        this.connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(b.host);
        connector.setPort(b.port);
        connector.setIdleTimeout(b.limits.idleTimeout().toMillis());
        jetty.addConnector(connector);
        Path uploads = client.root().resolve(UPLOADS);
        if (Files.isDirectory(uploads)) {
            ApiHandler.deleteQuietly(uploads); // spool files a killed process left
        }
        this.api = new ApiHandler(client, b.keys, b.limits, uploads);
        jetty.setHandler(new GracefulHandler(api));
        jetty.setStopTimeout(b.stopTimeout.toMillis());
        jetty.setStopAtShutdown(false); // close() is called by whoever owns us (the CLI's shutdown hook)
    }

    /** A server for {@code client}, accepting the bearer keys in {@code keys}. */
    public static Builder builder(ClientV2 client, ApiKeys keys) {
        return new Builder(client, keys);
    }

    /** The port bound (the real one when the builder asked for 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The base address to give an SDK, e.g. {@code http://127.0.0.1:8080}. */
    public URI uri() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return URI.create("http://" + h + ":" + port());
    }

    /** Blocks until the server has stopped. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /** Requests waiting for or running a generation right now (for tests and health checks). */
    public int generationsAdmitted() {
        return api.gate().admitted();
    }

    /** Requests received since the start, each counted once whatever its status (for load tests and monitoring). */
    public long requestsHandled() {
        return api.handled();
    }

    /** Stops gracefully (see the class comment); safe to call more than once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("server on {} stopping: finishing requests in flight", uri());
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.warn("the HTTP server did not stop cleanly", e);
        }
        if (closeClient) {
            client.close();
        }
        LOG.info("server stopped");
    }

    public static final class Builder {
        private final ClientV2 client;
        private final ApiKeys keys;
        private String host = "127.0.0.1";
        private int port = 8080;
        private ServerLimits limits = ServerLimits.defaults();
        private Duration stopTimeout = Duration.ofSeconds(30);
        private boolean closeClient;
        private int maxThreads = 200;

        private Builder(ClientV2 client, ApiKeys keys) {
            this.client = Objects.requireNonNull(client, "client");
            this.keys = Objects.requireNonNull(keys, "keys");
        }

        /** The address to bind; default 127.0.0.1 (this machine only). */
        public Builder host(String h) {
            this.host = Objects.requireNonNull(h, "host");
            return this;
        }

        /** The port; 0 picks a free one ({@link FinetuneServer#port()} tells which). */
        public Builder port(int p) {
            dev.finetune.Ranges.check("port", p, 0, 65535);
            this.port = p;
            return this;
        }

        public Builder limits(ServerLimits l) {
            this.limits = Objects.requireNonNull(l, "limits");
            return this;
        }

        /** How long {@link FinetuneServer#close()} lets requests in flight finish (default 30 s). */
        public Builder stopTimeout(Duration d) {
            this.stopTimeout = Objects.requireNonNull(d, "stopTimeout");
            return this;
        }

        /** Whether {@link FinetuneServer#close()} also closes the client (default false: the caller owns it). */
        public Builder closeClient(boolean close) {
            this.closeClient = close;
            return this;
        }

        /** Request threads (default 200; a blocked generation holds one). */
        public Builder maxThreads(int n) {
            dev.finetune.Ranges.check("max_threads", n, 4, 10_000);
            this.maxThreads = n;
            return this;
        }

        /** Binds and starts serving. */
        public FinetuneServer start() {
            FinetuneServer s = new FinetuneServer(this);
            try {
                s.jetty.start();
            } catch (Exception e) {
                try {
                    s.jetty.stop();
                } catch (Exception ignored) {
                    // already failing
                }
                throw new FinetuneException("cannot serve on " + host + ":" + port + ": " + e.getMessage(), e);
            }
            if (!isLoopback(host)) {
                LOG.warn("serving on {}: reachable from other machines; every request still needs an API key", host);
            }
            LOG.info("serving the REST API on {}", s.uri());
            return s;
        }

        private static boolean isLoopback(String host) {
            try {
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
    }
}
