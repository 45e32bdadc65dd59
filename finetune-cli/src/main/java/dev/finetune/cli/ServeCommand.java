package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.server.ApiKeys;
import dev.finetune.server.FinetuneServer;
import dev.finetune.server.ServerLimits;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finetune serve}: the service's REST API on this workspace, for the official SDKs. Runs until
 * SIGTERM or Ctrl-C, then stops gracefully (requests in flight finish, a running fine-tune stops at a
 * step boundary and resumes on the next start, the workspace lock is released).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the Cohere REST API (datasets, fine-tuning, v2 chat with streaming, rerank, classify, "
                + "generate, tokenize) on this workspace, so the official SDKs work against it unchanged.",
                "The dashboard (choose, upload, review, estimate, start and watch a fine-tune) is at the server's address, "
                + "e.g. http://127.0.0.1:8080/; it signs in with the same key.",
                "Every request but GET /health and the dashboard's files needs 'Authorization: Bearer KEY'. The first start makes a key, prints "
                + "it once and stores only its SHA-256 in the workspace.",
                "Trains in this process: queued and interrupted fine-tunes of the workspace run here; SIGTERM or Ctrl-C "
                + "stops gracefully (requests in flight finish, a running fine-tune stops at a step boundary and resumes "
                + "on the next start)."})
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "address to bind (default ${DEFAULT-VALUE}: this machine only; 0.0.0.0 for every interface)")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port to listen on (default ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Mixin
    WorkspaceOption workspace;

    @Mixin
    InferenceDtypeOption dtype;

    @Option(names = "--api-key-file", paramLabel = "FILE",
            description = "accept the keys in FILE (one a line, # comments) instead of the workspace's own key")
    Path apiKeyFile;

    @Option(names = "--max-concurrent-generations", paramLabel = "N",
            description = "chat, generate, rerank and classify calls run at once (default: the core count)")
    Integer maxConcurrent;

    @Option(names = "--max-queued-generations", paramLabel = "N", defaultValue = "64",
            description = "calls waiting for a slot before the server answers 429 (default ${DEFAULT-VALUE})")
    int maxQueued;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "a request that sends or reads nothing for this long is ended (default ${DEFAULT-VALUE})")
    int idleTimeoutSeconds;

    @Override
    public Integer call() throws Exception {
        // the access log (method, path, status, ms) is the point of a server's log: show it unless told otherwise
        if (System.getenv("FINETUNE_LOG") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.dev.finetune.server", "info");
        }
        PrintWriter out = spec.commandLine().getOut();
        dtype.apply();
        // the server trains: queued and interrupted fine-tunes of the workspace run in this process
        ClientV2 co = workspace.open(true);
        FinetuneServer server;
        try {
            ApiKeys keys = apiKeyFile != null ? ApiKeys.fromFile(apiKeyFile) : ApiKeys.openOrCreate(co.root());
            ServerLimits limits = ServerLimits.defaults().withIdleTimeout(Duration.ofSeconds(idleTimeoutSeconds))
                    .withGenerations(maxConcurrent != null ? maxConcurrent : ServerLimits.defaults().maxConcurrentGenerations(),
                            maxQueued);
            server = FinetuneServer.builder(co, keys).host(host).port(port).limits(limits).closeClient(true).start();
            Optional<String> created = keys.createdKey();
            out.println("finetune: serving " + co.root() + " on " + server.uri());
            if (created.isPresent()) {
                out.println("API key (shown once; only its SHA-256 is stored in " + co.root().resolve(ApiKeys.FILE) + "):");
                out.println("  " + created.get());
            } else {
                out.println("API keys: " + (apiKeyFile != null ? "from " + apiKeyFile : "the workspace's (" + ApiKeys.FILE
                        + "; delete it to make a new one)"));
            }
            out.println("Dashboard: " + server.uri() + "/ (sign in with the key)");
            out.println("SDK: CohereClientV2({ token: KEY, environment: \"" + server.uri() + "\" })");
            out.flush();
        } catch (RuntimeException e) {
            co.close();
            throw e;
        }
        Thread hook = new Thread(server::close, "finetune-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        server.join();
        return 0;
    }
}
