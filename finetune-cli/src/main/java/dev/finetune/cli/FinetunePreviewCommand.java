package dev.finetune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.chat.ChatMessage;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.template.ChatTemplate;
import dev.finetune.template.ConversationExamples;
import dev.finetune.template.ModelTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finetune preview}: the first training examples of a chat dataset as the trainer will see them,
 * before any training: the base model's template (its own, or the built-in one), its tokenizer and
 * context, and which tokens carry loss.
 */
@Command(name = "preview", mixinStandardHelpOptions = true,
        description = "Show the first training examples of a chat dataset as the trainer sees them, loss-carrying tokens marked.")
public final class FinetunePreviewCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--base-model", required = true, paramLabel = "NAME",
            description = "a built-in base model (base-light; built once with ./finetune base-models build) or a model folder")
    String baseModel;

    @Option(names = "--dataset-id", required = true, paramLabel = "ID", description = "a validated chat dataset of the workspace")
    String datasetId;

    @Option(names = "--examples", paramLabel = "N", defaultValue = "3", description = "how many examples to show (default ${DEFAULT-VALUE})")
    int examples;

    @Option(names = "--json", description = "one JSON line per example: ids, mask (1 where the token carries loss), tokens")
    boolean json;

    /** Holds the inherited {@code --workspace} option. */
    @picocli.CommandLine.ParentCommand
    FinetuneCommand parent;

    @Override
    public Integer call() throws Exception {
        Path root = (parent == null ? new WorkspaceOption() : parent.workspace).root();
        Path part = root.resolve("datasets").resolve(datasetId).resolve("train.jsonl");
        if (!Files.isRegularFile(part)) {
            throw new IllegalArgumentException("dataset " + datasetId + " has no validated train part in " + root
                    + " (see ./finetune datasets list)");
        }
        Path base = BaseModels.builtIn(baseModel).map(s -> root.resolve("base-models").resolve(s.name())).orElse(Path.of(baseModel));
        if (!Files.isRegularFile(base.resolve(GPT2Checkpoint.CONFIG_FILE))) {
            throw new IllegalArgumentException("base model " + baseModel + ": no model folder at " + base
                    + (BaseModels.builtIn(baseModel).isPresent() ? " (build it first: ./finetune base-models build " + baseModel + ")" : ""));
        }
        int ctx = GPT2Checkpoint.readConfig(base.resolve(GPT2Checkpoint.CONFIG_FILE)).maxSeqLen();
        ByteLevelBpe bpe = BpeFiles.load(base);
        List<ChatTemplate.Example> shown = new ArrayList<>();
        String which;
        var own = ModelTemplate.load(base, bpe);
        if (own.isPresent()) {
            shown = ConversationExamples.read(part, own.get(), ctx + 1, examples).examples();
            which = "the model's own chat template";
        } else {
            ChatTemplate.Ids ids = BaseModels.templateIds(bpe).orElseThrow(() -> new IllegalArgumentException(baseModel
                    + " has neither its own chat template nor the built-in template's tokens (training adds them)"));
            ChatTemplate t = new ChatTemplate(bpe, ids);
            ObjectMapper om = new ObjectMapper();
            try (BufferedReader r = Files.newBufferedReader(part, StandardCharsets.UTF_8)) {
                String s;
                long n = 0;
                while ((s = r.readLine()) != null && shown.size() < examples) {
                    n++;
                    if (!s.isBlank()) {
                        List<ChatMessage> conv = ConversationExamples.conversation(om.readTree(s), part + " line " + n);
                        shown.addAll(t.examples(conv, ctx + 1));
                    }
                }
            }
            which = "the built-in chat template";
        }
        shown = shown.subList(0, Math.min(examples, shown.size()));
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper om = new ObjectMapper();
        for (int k = 0; k < shown.size(); k++) {
            ChatTemplate.Example e = shown.get(k);
            if (json) {
                ObjectNode o = om.createObjectNode();
                o.put("example", k);
                ArrayNode ids = o.putArray("ids");
                ArrayNode mask = o.putArray("mask");
                ArrayNode toks = o.putArray("tokens");
                for (int i = 0; i < e.tokens().length; i++) {
                    ids.add(e.tokens()[i]);
                    mask.add(e.trained()[i] ? 1 : 0);
                    toks.add(bpe.decode(new int[] {e.tokens()[i]}));
                }
                out.println(om.writeValueAsString(o));
            } else {
                out.printf("--- example %d: %d tokens, %d carry loss (%s; loss-carrying text between ⟦ and ⟧)%n", k,
                        e.tokens().length, e.trainedCount(), which);
                out.println(marked(bpe, e));
            }
        }
        out.flush();
        return 0;
    }

    /** The example's text with each run of loss-carrying tokens between ⟦ and ⟧. */
    static String marked(ByteLevelBpe bpe, ChatTemplate.Example e) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        int n = e.tokens().length;
        while (i < n) {
            int j = i;
            while (j < n && e.trained()[j] == e.trained()[i]) {
                j++;
            }
            String text = bpe.decode(java.util.Arrays.copyOfRange(e.tokens(), i, j));
            sb.append(e.trained()[i] ? "⟦" + text + "⟧" : text);
            i = j;
        }
        return sb.toString();
    }
}
