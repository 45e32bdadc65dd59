package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.template.ReferenceFamilies;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TemplateCommandTest {
    private static final ObjectMapper OM = new ObjectMapper();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String stdin, String... args) {
        TemplateCommand.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + ex.getMessage());
            return 1;
        });
        return cli.execute(args);
    }

    @AfterEach
    void restore() {
        TemplateCommand.in = System.in;
    }

    @Test
    void rendersEachLineWithTheModelsTemplateAndIds() throws Exception {
        for (String family : ReferenceFamilies.NAMES) {
            out.getBuffer().setLength(0);
            StringBuilder stdin = new StringBuilder();
            List<JsonNode> cases = ReferenceFamilies.jsonl(family, "chat_templates.jsonl");
            for (JsonNode c : cases) {
                stdin.append(OM.writeValueAsString(OM.createObjectNode().set("messages", c.get("messages")))).append('\n');
            }
            assertEquals(0, run(stdin.toString(), "template", "render", "--tokenizer", ReferenceFamilies.dir(family).toString(),
                    "--add-generation-prompt", "--date-string", "26 Jul 2024"), err.toString());
            String[] lines = out.toString().split("\n");
            assertEquals(cases.size(), lines.length);
            for (int i = 0; i < lines.length; i++) {
                JsonNode got = OM.readTree(lines[i]);
                assertEquals(cases.get(i).get("rendered").asText(), got.get("rendered").asText(), family);
                assertEquals(cases.get(i).get("rendered_ids"), got.get("ids"), family);
            }
        }
    }

    @Test
    void cohereRolesAreAccepted() throws Exception {
        assertEquals(0, run("{\"messages\":[{\"role\":\"System\",\"content\":\"S\"},{\"role\":\"User\",\"content\":\"U\"},"
                + "{\"role\":\"Chatbot\",\"content\":\"C\"}]}\n", "template", "render", "--tokenizer",
                ReferenceFamilies.dir("qwen2.5").toString()), err.toString());
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nC<|im_end|>\n",
                OM.readTree(out.toString().trim()).get("rendered").asText());
    }

    @Test
    void aMalformedLineStopsWithItsLineNumber() {
        int code = run("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n{\"messages\": [\n", "template", "render",
                "--tokenizer", ReferenceFamilies.dir("smollm2").toString());
        assertEquals(1, code);
        assertTrue(err.toString().contains("line 2"), err.toString());
        assertEquals(1, out.toString().split("\n").length);
    }

    @Test
    void previewShowsTheTrainingExamplesWithTheLossMarked(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("tiny-smollm2");
        GPT2Checkpoint.save(GPT2.randomInit(GPT2Config.of(49152, 256, 8, 1, 2), 1, 0.02f), base);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(ReferenceFamilies.dir("smollm2").resolve(f), base.resolve(f));
        }
        Path ds = dir.resolve("ws").resolve("datasets").resolve("ds-1");
        Files.createDirectories(ds);
        Files.writeString(ds.resolve("train.jsonl"),
                "{\"messages\":[{\"role\":\"User\",\"content\":\"Hi\"},{\"role\":\"Chatbot\",\"content\":\"Hello there.\"},"
                        + "{\"role\":\"User\",\"content\":\"Bye\"},{\"role\":\"Chatbot\",\"content\":\"Goodbye.\"}]}\n");
        assertEquals(0, run("", "finetune", "preview", "--base-model", base.toString(), "--dataset-id", "ds-1",
                "--examples", "2", "--workspace", dir.resolve("ws").toString()), err.toString());
        String text = out.toString();
        assertTrue(text.contains("<|im_start|>assistant\n⟦Hello there.<|im_end|>⟧\n"), text);
        assertTrue(text.contains("⟦Goodbye.<|im_end|>⟧"), text);
        assertFalse(text.contains("⟦Hi"), text);
        out.getBuffer().setLength(0);
        assertEquals(0, run("", "finetune", "preview", "--base-model", base.toString(), "--dataset-id", "ds-1",
                "--examples", "1", "--json", "--workspace", dir.resolve("ws").toString()), err.toString());
        JsonNode e = OM.readTree(out.toString().trim());
        StringBuilder trained = new StringBuilder();
        for (int i = 0; i < e.get("ids").size(); i++) {
            if (e.get("mask").get(i).asInt() == 1) {
                trained.append(e.get("tokens").get(i).asText());
            }
        }
        assertEquals("Hello there.<|im_end|>", trained.toString());
    }
}
