package dev.finetune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.json.Json;
import dev.finetune.pii.Finding;
import dev.finetune.pii.PiiJson;
import dev.finetune.pii.PiiScanner;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code finetune pii scan FILE}: what personal data a file holds, by type and place, never the values. */
@Command(name = "pii", mixinStandardHelpOptions = true, description = "Find personal data in files.",
        subcommands = PiiCommand.Scan.class)
public final class PiiCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = {"Scan a JSONL, CSV or text file line by line; print counts by type and the places",
                    "(line, JSON field, character offsets). Values are never printed."})
    static final class Scan implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "the file to scan (JSONL, CSV or text, UTF-8)")
        Path file;

        @Option(names = "--json", description = "print a JSON report")
        boolean json;

        @Option(names = "--region", paramLabel = "XX", description = "phone number regions (ISO 3166, repeatable; default US GB DE FR IN ES IT AU)")
        List<String> regions = new ArrayList<>();

        @Option(names = "--min-confidence", paramLabel = "P", defaultValue = "0.5",
                description = "the confidence (0 to 1) a finding needs to count; higher leaves context-lowered findings as written (default ${DEFAULT-VALUE})")
        double minConfidence;

        @Option(names = "--max-locations", defaultValue = "50", description = "places listed at most (default ${DEFAULT-VALUE})")
        int maxLocations;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(file)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), file + ": no such file");
            }
            if (!(minConfidence >= 0 && minConfidence <= 1)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--min-confidence: " + minConfidence + " is outside the allowed range 0 to 1 (inclusive)");
            }
            PiiScanner.Builder b = PiiScanner.builder().minConfidence(minConfidence);
            if (!regions.isEmpty()) {
                b.phoneRegions(regions);
            }
            PiiScanner scanner = b.build();
            PiiJson pj = new PiiJson(scanner);
            ObjectMapper om = new ObjectMapper();
            Map<String, Long> counts = new TreeMap<>();
            List<Finding> places = new ArrayList<>();
            long lines = 0;
            long total = 0;
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines++;
                    List<Finding> found;
                    String t = line.strip();
                    if (t.startsWith("{") || t.startsWith("[")) {
                        JsonNode n;
                        try {
                            n = om.readTree(t);
                        } catch (Exception e) {
                            n = null;
                        }
                        found = n != null ? pj.scan(n, lines).findings() : located(scanner.scan(line), lines);
                    } else {
                        found = located(scanner.scan(line), lines);
                    }
                    for (Finding f : found) {
                        counts.merge(f.label(), 1L, Long::sum);
                        total++;
                        if (places.size() < maxLocations) {
                            places.add(f);
                        }
                    }
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectNode root = Json.object();
                root.put("file", file.toString());
                root.put("lines", lines);
                root.put("findings", total);
                root.set("counts", Json.toTree(counts));
                ArrayNode arr = root.putArray("locations");
                for (Finding f : places) {
                    ObjectNode o = arr.addObject();
                    o.put("type", f.label());
                    o.put("line", f.line());
                    f.field().ifPresent(x -> o.put("field", x));
                    o.put("start", f.start());
                    o.put("end", f.end());
                    o.put("confidence", f.confidence());
                }
                out.println(Json.prettyWriter().writeValueAsString(root));
            } else {
                out.printf("%s: %d lines, %d findings%n", file, lines, total);
                counts.forEach((k, v) -> out.printf("  %-16s %d%n", k, v));
                for (Finding f : places) {
                    out.printf("  line %d%s [%d, %d) %s (confidence %.2f)%n", f.line(), f.field().map(x -> " " + x).orElse(""),
                            f.start(), f.end(), f.label(), f.confidence());
                }
            }
            out.flush();
            return 0;
        }

        private static List<Finding> located(List<Finding> found, long line) {
            List<Finding> out = new ArrayList<>(found.size());
            for (Finding f : found) {
                out.add(f.withLocation(line, null));
            }
            return out;
        }
    }
}
