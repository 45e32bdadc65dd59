package dev.finetune.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.BadRequestException;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatRole;
import dev.finetune.classify.ClassifyRequest;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.ReturnLikelihoods;
import dev.finetune.rerank.RerankRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The service's JSON request bodies read into the library's requests. Types are checked field by field
 * ({@code "max_tokens: expected an integer"}); ranges are the requests' own checks. Unknown fields are
 * ignored, as the service's forward-compatible clients expect; a feature this build does not have
 * (tools, documents for chat, classify {@code examples}) is a 400 naming it.
 */
final class WireRequests {
    private WireRequests() {
    }

    static ChatRequest chat(JsonNode b) {
        requireObject(b);
        for (String unsupported : List.of("tools", "documents", "response_format", "citation_options")) {
            if (present(b, unsupported)) {
                throw new BadRequestException(unsupported + ": not supported by this server (local fine-tuned models answer with text only)");
            }
        }
        JsonNode msgs = b.get("messages");
        if (msgs == null || !msgs.isArray()) {
            throw new BadRequestException("messages: required, a list of {role, content}");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            String field = "messages[" + i + "]";
            if (!m.isObject()) {
                throw new BadRequestException(field + ": expected an object {role, content}");
            }
            String role = requiredText(m, "role", field + ".role");
            if (role.toLowerCase(Locale.ROOT).equals("tool")) {
                throw new BadRequestException(field + ".role: tool messages are not supported by this server");
            }
            messages.add(new ChatMessage(ChatRole.of(role), content(m.get("content"), field + ".content")));
        }
        ChatRequest.Builder r = ChatRequest.builder().model(requiredText(b, "model", "model")).messages(messages);
        optInt(b, "max_tokens").ifPresent(r::maxTokens);
        optFloat(b, "temperature").ifPresent(r::temperature);
        optFloat(b, "p").ifPresent(r::p);
        optInt(b, "k").ifPresent(r::k);
        optLong(b, "seed").ifPresent(r::seed);
        optStrings(b, "stop_sequences").ifPresent(r::stopSequences);
        return r.build();
    }

    /** Whether {@code stream} is true (a JSON boolean). */
    static boolean stream(JsonNode b) {
        JsonNode s = b.get("stream");
        if (s == null || s.isNull()) {
            return false;
        }
        if (!s.isBoolean()) {
            throw new BadRequestException("stream: expected true or false");
        }
        return s.booleanValue();
    }

    /** v2 content: a string, or a list of {@code {"type": "text", "text": ...}} parts. */
    private static String content(JsonNode c, String field) {
        if (c == null || c.isNull()) {
            throw new BadRequestException(field + ": required");
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                JsonNode part = c.get(i);
                String type = part.path("type").asText("text");
                if (!type.equals("text")) {
                    throw new BadRequestException(field + "[" + i + "].type: \"" + type + "\" is not supported (only text)");
                }
                sb.append(requiredText(part, "text", field + "[" + i + "].text"));
            }
            return sb.toString();
        }
        throw new BadRequestException(field + ": expected a string or a list of text parts");
    }

    static RerankRequest rerank(JsonNode b) {
        requireObject(b);
        JsonNode docs = b.get("documents");
        if (docs == null || !docs.isArray()) {
            throw new BadRequestException("documents: required, a list of strings");
        }
        List<String> documents = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            JsonNode d = docs.get(i);
            if (d.isTextual()) {
                documents.add(d.textValue());
            } else if (d.isObject() && d.path("text").isTextual()) {
                documents.add(d.get("text").textValue());
            } else {
                throw new BadRequestException("documents[" + i + "]: expected a string");
            }
        }
        RerankRequest.Builder r = RerankRequest.builder().model(requiredText(b, "model", "model"))
                .query(requiredText(b, "query", "query")).documents(documents);
        optInt(b, "top_n").ifPresent(r::topN);
        optInt(b, "max_tokens_per_doc").ifPresent(r::maxTokensPerDoc);
        return r.build();
    }

    static ClassifyRequest classify(JsonNode b) {
        requireObject(b);
        if (present(b, "examples") && b.get("examples").size() > 0) {
            throw new BadRequestException("examples: few-shot classification is not supported by this server; "
                    + "fine-tune a classification model and pass its \"<id>-ft\"");
        }
        List<String> inputs = optStrings(b, "inputs").orElseThrow(() -> new BadRequestException("inputs: required, a list of strings"));
        return ClassifyRequest.of(requiredText(b, "model", "model"), inputs);
    }

    static GenerateRequest generate(JsonNode b) {
        requireObject(b);
        if (stream(b)) {
            throw new BadRequestException("stream: streaming is not supported on /v1/generate; use /v2/chat with stream");
        }
        optInt(b, "num_generations").ifPresent(n -> {
            if (n != 1) {
                throw new BadRequestException("num_generations: " + n + " is outside the allowed range 1 to 1 (inclusive)");
            }
        });
        GenerateRequest.Builder r = GenerateRequest.builder().prompt(requiredText(b, "prompt", "prompt"))
                .model(requiredText(b, "model", "model"));
        optInt(b, "max_tokens").ifPresent(r::maxTokens);
        optFloat(b, "temperature").ifPresent(r::temperature);
        optFloat(b, "p").ifPresent(r::p);
        optInt(b, "k").ifPresent(r::k);
        optLong(b, "seed").ifPresent(r::seed);
        optStrings(b, "stop_sequences").ifPresent(r::stopSequences);
        optText(b, "return_likelihoods").ifPresent(v -> {
            try {
                r.returnLikelihoods(ReturnLikelihoods.valueOf(v));
            } catch (IllegalArgumentException e) {
                throw new BadRequestException("return_likelihoods: \"" + v + "\" is not one of NONE, GENERATION, ALL");
            }
        });
        return r.build();
    }

    static void requireObject(JsonNode b) {
        if (b == null || !b.isObject()) {
            throw new BadRequestException("the request body must be a JSON object");
        }
    }

    static boolean present(JsonNode b, String field) {
        JsonNode n = b.get(field);
        return n != null && !n.isNull();
    }

    static String requiredText(JsonNode b, String field, String label) {
        JsonNode n = b.get(field);
        if (n == null || n.isNull()) {
            throw new BadRequestException(label + ": required");
        }
        if (!n.isTextual()) {
            throw new BadRequestException(label + ": expected a string");
        }
        return n.textValue();
    }

    static Optional<String> optText(JsonNode b, String field) {
        JsonNode n = b.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isTextual()) {
            throw new BadRequestException(field + ": expected a string");
        }
        return Optional.of(n.textValue());
    }

    static Optional<Integer> optInt(JsonNode b, String field) {
        JsonNode n = b.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.canConvertToInt() || !(n.isIntegralNumber() || (n.isNumber() && n.doubleValue() == Math.rint(n.doubleValue())))) {
            throw new BadRequestException(field + ": expected an integer");
        }
        return Optional.of(n.intValue());
    }

    static Optional<Long> optLong(JsonNode b, String field) {
        JsonNode n = b.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.canConvertToLong() || !(n.isIntegralNumber() || (n.isNumber() && n.doubleValue() == Math.rint(n.doubleValue())))) {
            throw new BadRequestException(field + ": expected an integer");
        }
        return Optional.of(n.longValue());
    }

    static Optional<Float> optFloat(JsonNode b, String field) {
        JsonNode n = b.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isNumber()) {
            throw new BadRequestException(field + ": expected a number");
        }
        return Optional.of(n.floatValue());
    }

    static Optional<List<String>> optStrings(JsonNode b, String field) {
        JsonNode n = b.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isArray()) {
            throw new BadRequestException(field + ": expected a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isTextual()) {
                throw new BadRequestException(field + "[" + i + "]: expected a string");
            }
            out.add(n.get(i).textValue());
        }
        return Optional.of(out);
    }
}
