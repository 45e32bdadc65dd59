package dev.finetune.pii;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Scans and redacts every string value of a JSON tree (one JSONL line), giving each finding its field
 * path: {@code messages[2].content}, {@code ["odd key"].x}; a bare string at the root has path {@code ""}.
 * Object keys, numbers and booleans are not scanned. Thread-safe; the input tree is never modified.
 */
public final class PiiJson {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final PiiScanner scanner;

    public PiiJson(PiiScanner scanner) {
        this.scanner = Objects.requireNonNull(scanner, "scanner");
    }

    /** What a scan or a redaction found: the findings (with line and field path) and counts by label. */
    public static final class Result {
        private final JsonNode node;
        private final List<Finding> findings;
        private final Map<String, Integer> counts;

        Result(JsonNode node, List<Finding> findings) {
            this.node = node;
            this.findings = List.copyOf(findings);
            Map<String, Integer> c = new TreeMap<>();
            for (Finding f : findings) {
                c.merge(f.label(), 1, Integer::sum);
            }
            this.counts = Collections.unmodifiableMap(c);
        }

        /** The redacted copy of the tree, or the input tree itself after a scan. */
        public JsonNode node() {
            return node;
        }

        /** In document order; offsets are into the original string value at {@link Finding#field()}. */
        public List<Finding> findings() {
            return findings;
        }

        /** Number of findings per label ({@code EMAIL_ADDRESS}, {@code CUSTOM_name}), sorted by label. */
        public Map<String, Integer> counts() {
            return counts;
        }

        public boolean isEmpty() {
            return findings.isEmpty();
        }

        @Override
        public String toString() {
            return "PiiJson.Result{counts=" + counts + "}";
        }
    }

    /** The findings in every string of {@code root}, located at {@code line} (0 when unknown). */
    public Result scan(JsonNode root, long line) {
        List<Finding> out = new ArrayList<>();
        walk(root, "", line, null, out);
        return new Result(root, out);
    }

    /** A copy of {@code root} with every finding replaced by {@code redactor}, and what was replaced. */
    public Result redact(JsonNode root, long line, PiiRedactor redactor) {
        Objects.requireNonNull(redactor, "redactor");
        List<Finding> out = new ArrayList<>();
        JsonNode copy = walk(root, "", line, redactor, out);
        return new Result(copy, out);
    }

    /** Scans (and, with a redactor, rebuilds) the subtree at {@code path}; returns the node to keep. */
    private JsonNode walk(JsonNode node, String path, long line, PiiRedactor redactor, List<Finding> out) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            String value = node.textValue();
            List<Finding> found = scanner.scan(value);
            for (Finding f : found) {
                out.add(f.withLocation(line, path));
            }
            if (redactor == null || found.isEmpty()) {
                return node;
            }
            return TextNode.valueOf(redactor.redact(value, found));
        }
        if (node.isObject()) {
            ObjectNode copy = redactor == null ? null : JsonNodeFactory.instance.objectNode();
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode child = walk(e.getValue(), child(path, e.getKey()), line, redactor, out);
                if (copy != null) {
                    copy.set(e.getKey(), child);
                }
            }
            return copy == null ? node : copy;
        }
        if (node.isArray()) {
            ArrayNode copy = redactor == null ? null : JsonNodeFactory.instance.arrayNode(node.size());
            for (int i = 0; i < node.size(); i++) {
                JsonNode child = walk(node.get(i), path + "[" + i + "]", line, redactor, out);
                if (copy != null) {
                    copy.add(child);
                }
            }
            return copy == null ? node : copy;
        }
        return redactor == null ? node : node.deepCopy();
    }

    /** {@code parent.key}, or {@code parent["key"]} when the key is not an identifier. */
    static String child(String parent, String key) {
        if (IDENTIFIER.matcher(key).matches()) {
            return parent.isEmpty() ? key : parent + "." + key;
        }
        StringBuilder sb = new StringBuilder(parent).append("[\"");
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.append("\"]").toString();
    }
}
