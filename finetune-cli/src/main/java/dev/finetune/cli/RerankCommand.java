package dev.finetune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.ClientV2;
import dev.finetune.json.Json;
import dev.finetune.rerank.RerankRequest;
import dev.finetune.rerank.RerankResponse;
import dev.finetune.rerank.RerankResult;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code finetune rerank}: documents ordered by a rerank model's relevance to a query. */
@Command(name = "rerank", mixinStandardHelpOptions = true,
        description = "Order the documents of FILE by relevance to a query with a rerank model (<id>-ft).")
public final class RerankCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "<id>-ft of a rerank fine-tune")
    String model;

    @Option(names = "--query", required = true, description = "the query")
    String query;

    @Option(names = "--documents", required = true, paramLabel = "FILE",
            description = "one document per line; or a .jsonl file of strings / {\"text\": ...} objects; "
                    + "or a .json array of the same; - reads standard input")
    String documents;

    @Option(names = "--top-n", description = "keep the best N (default all)")
    Integer topN;

    @Option(names = "--max-tokens-per-doc", description = "truncate each document to N tokens first (default 4096)")
    Integer maxTokensPerDoc;

    @Option(names = "--json", description = "print the response JSON")
    boolean json;

    @Mixin
    WorkspaceOption workspace;

    @Override
    public Integer call() throws Exception {
        if (!documents.equals("-") && !Files.isRegularFile(Path.of(documents))) {
            throw new ParameterException(spec.commandLine(), "--documents: " + documents + " is not a readable file");
        }
        List<String> docs = readDocuments(documents);
        RerankRequest.Builder b = RerankRequest.builder().model(model).query(query).documents(docs);
        if (topN != null) {
            b.topN(topN);
        }
        if (maxTokensPerDoc != null) {
            b.maxTokensPerDoc(maxTokensPerDoc);
        }
        RerankRequest req = b.build();
        PrintWriter out = spec.commandLine().getOut();
        try (ClientV2 co = workspace.open(false)) { // inference only: no job runner
            RerankResponse r = co.rerank(req);
            if (json) {
                out.println(Json.prettyWriter().writeValueAsString(r));
            } else {
                out.printf("%-5s %-6s %-7s %s%n", "rank", "index", "score", "document");
                int rank = 1;
                for (RerankResult x : r.results()) {
                    out.printf("%-5d %-6d %.4f  %s%n", rank++, x.index(), x.relevanceScore(), abbreviate(docs.get(x.index())));
                }
            }
        }
        out.flush();
        return 0;
    }

    static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() <= 80 ? one : one.substring(0, 77) + "...";
    }

    /** The documents of {@code file} (see the option's description), with line-numbered errors. */
    static List<String> readDocuments(String file) throws IOException {
        List<String> lines;
        if (file.equals("-")) {
            lines = new java.io.BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines().toList();
        } else {
            Path p = Path.of(file);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("--documents: " + file + " is not a readable file");
            }
            lines = Files.readAllLines(p, StandardCharsets.UTF_8);
        }
        List<String> docs = new ArrayList<>();
        if (file.endsWith(".json")) {
            JsonNode arr;
            try {
                arr = Json.reader().readTree(String.join("\n", lines));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (arr == null || !arr.isArray()) {
                throw new IllegalArgumentException(file + ": expected a JSON array of documents");
            }
            int i = 0;
            for (JsonNode n : arr) {
                docs.add(text(n, file + " element " + i++));
            }
        } else if (file.endsWith(".jsonl")) {
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = Json.reader().readTree(lines.get(i));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException(file + " line " + (i + 1) + ": not valid JSON (" + e.getOriginalMessage() + ")");
                }
                docs.add(text(n, file + " line " + (i + 1)));
            }
        } else {
            for (String l : lines) {
                if (!l.isBlank()) {
                    docs.add(l);
                }
            }
        }
        if (docs.isEmpty()) {
            throw new IllegalArgumentException("--documents: " + file + " holds no documents");
        }
        return docs;
    }

    private static String text(JsonNode n, String where) {
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isObject() && n.path("text").isTextual()) {
            return n.get("text").asText();
        }
        throw new IllegalArgumentException(where + ": a document must be a string or an object with a \"text\" string");
    }
}
