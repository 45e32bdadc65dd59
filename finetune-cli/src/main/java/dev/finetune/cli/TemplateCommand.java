package dev.finetune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.chat.ChatMessage;
import dev.finetune.template.ConversationExamples;
import dev.finetune.template.ModelTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code finetune template}: a model folder's own chat template. */
@Command(name = "template", mixinStandardHelpOptions = true, description = "Render a model's own chat template.",
        subcommands = {TemplateCommand.Render.class})
public final class TemplateCommand implements Runnable {
    /** Standard input (tests replace it). */
    static java.io.InputStream in = System.in;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * {@code template render}: each stdin line {@code {"messages": [...]}} (the template's roles or
     * Cohere's) becomes one {@code {"rendered": "...", "ids": [...]}} line, in order.
     */
    @Command(name = "render", mixinStandardHelpOptions = true,
            description = "Read {\"messages\": [...]} JSONL on stdin; write one {\"rendered\", \"ids\"} JSON line per input line.")
    static final class Render implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--tokenizer", paramLabel = "DIR", required = true,
                description = "model folder with tokenizer.json and tokenizer_config.json (or chat_template.jinja)")
        Path tokenizer;

        @Option(names = "--add-generation-prompt", description = "end with the assistant header, as a prompt to answer")
        boolean addGenerationPrompt;

        @Option(names = "--date-string", paramLabel = "S", description = "the template's date_string variable (Llama 3: \"26 Jul 2024\"); default today")
        String dateString;

        @Override
        public Integer call() throws Exception {
            ByteLevelBpe bpe = BpeFiles.load(tokenizer);
            ModelTemplate t = ModelTemplate.load(tokenizer, bpe).orElseThrow(() -> new IllegalArgumentException(
                    tokenizer + " has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json)"));
            if (dateString != null) {
                t = t.withVariables(Map.of("date_string", dateString));
            }
            ObjectMapper om = new ObjectMapper();
            PrintWriter out = spec.commandLine().getOut();
            BufferedReader reader = new BufferedReader(new InputStreamReader(TemplateCommand.in, StandardCharsets.UTF_8));
            String line;
            long n = 0;
            while ((line = reader.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                List<ChatMessage> msgs;
                try {
                    JsonNode rec = om.readTree(line);
                    msgs = ConversationExamples.conversation(rec, "stdin line " + n);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException("stdin line " + n + ": not valid JSON (" + e.getOriginalMessage() + ")");
                }
                String rendered = t.render(msgs, addGenerationPrompt);
                ObjectNode o = om.createObjectNode();
                o.put("rendered", rendered);
                ArrayNode ids = o.putArray("ids");
                for (int id : t.encodeRendered(rendered, msgs)) {
                    ids.add(id);
                }
                out.println(om.writeValueAsString(o));
                out.flush();
            }
            return 0;
        }
    }
}
