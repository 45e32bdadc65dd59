package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.jobs.LocalTrainingTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./finetune} against the stub hub, each command in its own JVM with the hub's environment
 * variables set: {@code base-models pull|list|rm}, and a hub name given as {@code --base-model} and
 * {@code --model} (the resolution hook), the README's upload / create / chat.
 */
class HubCliTest {
    static final String REPO = HubDownloadTest.REPO;
    static final String C = HubDownloadTest.C2;

    @TempDir
    Path tmp;
    StubHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = new StubHub().commit(REPO, "main", C, HubDownloadTest.V2).commit(REPO, "v1", HubDownloadTest.C1, HubDownloadTest.V1);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** @param out stdout, then stderr */
    record Run(int exit, String stdout, String out) {
    }

    Run cli(Map<String, String> extraEnv, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "--add-modules=jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                dev.finetune.cli.Main.class.getName()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(tmp, "stderr", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("HUGGINGFACE") || k.equals("XDG_CACHE_HOME"));
        pb.environment().put("HF_HOME", tmp.resolve("hf-home").toString());
        pb.environment().put("HF_ENDPOINT", hub.endpoint());
        pb.environment().put("FINETUNE_HOME", tmp.resolve("ws").toString());
        pb.environment().putAll(extraEnv);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out, out + Files.readString(err));
    }

    Run cli(String... args) throws Exception {
        return cli(Map.of(), args);
    }

    /** The command line in this JVM (for commands that take the hub cache as {@code --cache}). */
    Run inProcess(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = new picocli.CommandLine(new dev.finetune.cli.Main());
        cli.setOut(new java.io.PrintWriter(out));
        cli.setErr(new java.io.PrintWriter(err));
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + ex.getMessage());
            return 1;
        });
        int code = cli.execute(args);
        return new Run(code, out.toString(), out + err.toString());
    }

    @Test
    void pullListAndRemoveAHubModel() throws Exception {
        Path snap = tmp.resolve("hf-home/hub/models--tiny-org--tiny-gpt2/snapshots").resolve(C);
        Run pull = cli("base-models", "pull", REPO);
        assertEquals(0, pull.exit(), pull.out());
        assertTrue(pull.out().contains("downloading " + REPO + "@main (commit 222222222222): 5 files, 3.5 MB"), pull.out());
        assertTrue(pull.out().contains("(100%)") && pull.out().contains("left"), pull.out());
        assertTrue(pull.out().contains(REPO + " is ready in " + snap), pull.out());
        assertEquals(0, cli("base-models", "pull", REPO + "@v1").exit());

        String cache = tmp.resolve("hf-home/hub").toString();
        String ws = tmp.resolve("ws").toString();
        Run json = inProcess("base-models", "list", "--json", "--cache", cache, "--workspace", ws);
        assertEquals(0, json.exit(), json.out());
        JsonNode arr = new ObjectMapper().readTree(json.stdout());
        assertEquals("base-light", arr.get(0).path("name").asText());
        assertEquals("built-in", arr.get(0).path("source").asText());
        long expected = TinyHubModel.WANTED.stream().mapToLong(f -> HubDownloadTest.V2.get(f).length).sum();
        boolean found = false;
        for (JsonNode n : arr) {
            if (n.path("commit").asText().equals(C)) {
                found = true;
                assertEquals(REPO, n.path("name").asText());
                assertEquals("hub", n.path("source").asText());
                assertEquals("main", n.path("refs").get(0).asText());
                assertEquals(expected, n.path("size_bytes").asLong());
                assertTrue(n.path("complete").asBoolean());
                assertEquals(snap.toString(), n.path("path").asText());
            }
        }
        assertTrue(found, json.out());

        Run table = inProcess("base-models", "list", "--cache", cache, "--workspace", ws);
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith(REPO) && l.contains("main 222222222222") && l.contains("3.5 MB")
                && l.contains("cached")), table.out());
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith(REPO) && l.contains("v1 111111111111")), table.out());

        Run rm = inProcess("base-models", "rm", "--cache", cache, REPO);
        assertEquals(0, rm.exit(), rm.out());
        assertTrue(rm.out().contains("removed " + REPO) && rm.out().contains("freeing"), rm.out());
        assertFalse(Files.exists(tmp.resolve("hf-home/hub/models--tiny-org--tiny-gpt2")));
        assertEquals(1, inProcess("base-models", "rm", "--cache", cache, REPO).exit());

        Run missing = cli("base-models", "pull", "tiny-org/not-there");
        assertEquals(1, missing.exit(), missing.out());
        assertTrue(missing.out().contains("error: tiny-org/not-there"), missing.out());
        Run help = inProcess("base-models", "pull", "--help");
        assertTrue(help.out().contains("--cache") && help.out().contains("NAME[@REVISION]"), help.out());
    }

    @Test
    void aHubNameFineTunesAndChatsInThreeCommands() throws Exception {
        Path data = LocalTrainingTest.chatFile(tmp);
        Run upload = cli("datasets", "create", "--type", "chat-finetune-input", "--name", "qa", data.toString());
        assertEquals(0, upload.exit(), upload.out());
        String id = upload.stdout().lines().findFirst().orElseThrow().trim();
        assertTrue(upload.stdout().contains("validated"), upload.out());
        Run create = cli("finetune", "create", "--name", "qa", "--base-model", "chat:" + REPO, "--dataset-id", id,
                "--epochs", "1", "--wait");
        assertEquals(0, create.exit(), create.out());
        assertTrue(create.out().contains("STATUS_READY"), create.out());
        String model = create.out().lines().filter(l -> l.contains("STATUS_READY")).findFirst().orElseThrow().split(" ")[0];
        int before = hub.requests.size();
        // cached now: offline works, with no request
        Run chat = cli(Map.of("HF_HUB_OFFLINE", "1"), "chat", "--model", model + "-ft", "--max-tokens", "3", "what is two plus two?");
        assertEquals(0, chat.exit(), chat.out());
        Run gen = cli(Map.of("HF_HUB_OFFLINE", "1"), "generate", "--model", REPO, "--max-tokens", "3", "--temperature", "0", "To be");
        assertEquals(0, gen.exit(), gen.out());
        assertEquals(before, hub.requests.size());
        Run offlineMiss = cli(Map.of("HF_HUB_OFFLINE", "1"), "generate", "--model", REPO + "@v1", "To be");
        assertEquals(1, offlineMiss.exit(), offlineMiss.out());
        assertTrue(offlineMiss.out().contains("HF_HUB_OFFLINE is set") && offlineMiss.out().contains("refs/v1"), offlineMiss.out());
    }

}
