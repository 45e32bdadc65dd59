package dev.finetune.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.finetune.ClientV2;
import dev.finetune.jobs.LocalTrainingTest;
import dev.finetune.jobs.TaskFinetuneTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official TypeScript SDK ({@code cohere-ai}, pinned in {@code src/test/sdk/package-lock.json})
 * runs the seed workflow in {@code src/test/sdk/workflow.mjs} against a server on a free loopback port.
 * Needs {@code node} and {@code npm ci} in {@code src/test/sdk} ({@code .ci/run} does it); without them the
 * test is skipped with a notice saying so.
 */
class SdkWorkflowTest {
    static final Path SDK = Path.of("src/test/sdk");

    @Test
    void theOfficialTypeScriptSdkRunsTheSeedWorkflow(@TempDir Path dir) throws Exception {
        assumeTrue(nodeWorks(), "SKIPPED: the TypeScript SDK test needs `node` on the PATH (none found)");
        assumeTrue(Files.isDirectory(SDK.resolve("node_modules/cohere-ai")),
                "SKIPPED: the TypeScript SDK test needs `npm ci` in finetune-server/src/test/sdk (node_modules missing)");
        String key = ApiKeys.newKey();
        Path chatBase = LocalTrainingTest.baseFolder(Files.createDirectories(dir.resolve("chat-base")));
        Path taskBase = TaskFinetuneTest.tinyBase(Files.createDirectories(dir.resolve("task-base")));
        Path csv = Files.writeString(dir.resolve("chats.csv"), "prompt,completion\nhello,hi\nbye,ciao\n");
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build();
                FinetuneServer server = FinetuneServer.builder(co, ApiKeys.of(key)).port(0).start()) {
            ProcessBuilder pb = new ProcessBuilder("node", "workflow.mjs").directory(SDK.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("node.log").toFile());
            Map<String, String> env = pb.environment();
            env.put("FINETUNE_URL", server.uri().toString());
            env.put("FINETUNE_API_KEY", key);
            env.put("CHAT_BASE", chatBase.toString());
            env.put("TASK_BASE", taskBase.toString());
            env.put("CHAT_TRAIN", LocalTrainingTest.chatFile(dir).toString());
            env.put("CHAT_EVAL", ServerApiTest.evalChat(dir).toString());
            env.put("RERANK_TRAIN", TaskFinetuneTest.rerankFile(dir).toString());
            env.put("CLASSIFY_TRAIN", TaskFinetuneTest.singleLabelFile(dir).toString());
            env.put("CSV_FILE", csv.toString());
            env.remove("CO_API_KEY");
            Process p = pb.start();
            boolean finished = p.waitFor(6, TimeUnit.MINUTES);
            if (!finished) {
                p.destroyForcibly();
            }
            String log = Files.readString(dir.resolve("node.log"), StandardCharsets.UTF_8);
            System.out.println(log);
            assertTrue(finished, "the SDK workflow did not finish within 6 minutes:\n" + log);
            assertEquals(0, p.exitValue(), log);
            assertTrue(log.contains("sdk: workflow passed"), log);
        }
    }

    static boolean nodeWorks() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
