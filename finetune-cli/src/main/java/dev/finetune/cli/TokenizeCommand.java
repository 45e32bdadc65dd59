package dev.finetune.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.tokenizer.ByteLevelBpe;
import dev.finetune.tokenizer.Tokenizers;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code finetune tokenize}: JSONL {@code {"text": ...}} lines on stdin to {@code {"ids": [...]}} lines on
 * stdout, in order; {@code --decode} the reverse. A malformed line stops with an error naming its
 * number (exit 1); the lines before it have been written.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Encode JSONL {\"text\": ...} lines from stdin to {\"ids\": [...]} lines on stdout,",
                "or decode them back with --decode. Default tokenizer: GPT-2 (embedded)."})
public final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "folder with tokenizer.json, or encoder.json + vocab.bpe (default: embedded GPT-2)")
    Path tokenizer;

    @Option(names = "--decode", description = "read {\"ids\": [...]} lines and write {\"text\": ...} lines")
    boolean decode;

    /** Where input comes from; tests replace it. */
    static java.io.InputStream in = System.in;

    @Override
    public Integer call() throws Exception {
        ByteLevelBpe bpe = tokenizer == null ? Tokenizers.gpt2() : Tokenizers.load(tokenizer);
        ObjectMapper om = new ObjectMapper();
        JsonFactory jf = om.getFactory();
        PrintWriter err = spec.commandLine().getErr();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        Writer w = spec.commandLine().getOut();
        Writer out = new BufferedWriter(w, 1 << 16);
        String line;
        long lineNo = 0;
        try {
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = om.readTree(line);
                } catch (Exception e) {
                    return fail(out, err, "stdin line " + lineNo + ": not valid JSON ("
                            + e.getMessage().lines().findFirst().orElse("") + ")");
                }
                try (JsonGenerator g = jf.createGenerator(out)) {
                    g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                    if (!decode) {
                        JsonNode t = n == null ? null : n.get("text");
                        if (t == null || !t.isTextual()) {
                            return fail(out, err, "stdin line " + lineNo + ": expected {\"text\": \"...\"}, a string field \"text\"");
                        }
                        int[] ids = bpe.encode(t.asText());
                        g.writeStartObject();
                        g.writeFieldName("ids");
                        g.writeArray(ids, 0, ids.length);
                        g.writeEndObject();
                    } else {
                        JsonNode a = n == null ? null : n.get("ids");
                        if (a == null || !a.isArray()) {
                            return fail(out, err, "stdin line " + lineNo + ": expected {\"ids\": [...]}, an array field \"ids\"");
                        }
                        int[] ids = new int[a.size()];
                        for (int i = 0; i < ids.length; i++) {
                            JsonNode v = a.get(i);
                            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() >= bpe.vocabSize()) {
                                return fail(out, err, "stdin line " + lineNo + ": ids[" + i + "] = " + v
                                        + " is not a token id in 0.." + (bpe.vocabSize() - 1));
                            }
                            ids[i] = v.asInt();
                        }
                        g.writeStartObject();
                        g.writeStringField("text", bpe.decode(ids));
                        g.writeEndObject();
                    }
                }
                out.write('\n');
            }
        } finally {
            out.flush();
        }
        return 0;
    }

    private static int fail(Writer out, PrintWriter err, String message) throws java.io.IOException {
        out.flush();
        err.println("error: " + message);
        err.flush();
        return 1;
    }
}
