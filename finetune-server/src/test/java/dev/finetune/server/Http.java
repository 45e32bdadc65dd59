package dev.finetune.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/** A small JDK {@link HttpClient} wrapper for the server's tests: JSON in and out, multipart uploads, SSE. */
final class Http {
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final URI base;
    final String key;

    Http(URI base, String key) {
        this.base = base;
        this.key = key;
    }

    Http withKey(String other) {
        return new Http(base, other);
    }

    record Reply(int status, String body, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return Json.reader().readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    Reply get(String path) {
        return send(request(path).GET());
    }

    Reply delete(String path) {
        return send(request(path).DELETE());
    }

    Reply post(String path, String json) {
        return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Reply patch(String path, String json) {
        return send(request(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    /** A multipart/form-data upload of the given files as fields ({@code data}, {@code eval_data}). */
    Reply upload(String pathAndQuery, List<String> fields, List<Path> files) {
        String boundary = "----finetune" + UUID.randomUUID();
        List<byte[]> chunks = new ArrayList<>();
        try {
            for (int i = 0; i < fields.size(); i++) {
                chunks.add(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fields.get(i) + "\"; filename=\""
                        + files.get(i).getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
                chunks.add(Files.readAllBytes(files.get(i)));
                chunks.add("\r\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        chunks.add(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(request(pathAndQuery).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArrays(chunks)));
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return b;
    }

    Reply send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** GETs {@code path} until {@code done} holds, or fails after {@code timeout}. */
    JsonNode pollUntil(String path, Predicate<JsonNode> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            Reply r = get(path);
            if (r.status() != 200) {
                throw new AssertionError("GET " + path + " -> " + r.status() + " " + r.body());
            }
            last = r.json();
            if (done.test(last)) {
                return last;
            }
            try {
                Thread.sleep(50); // the poll interval, not a stand-in for synchronisation: the deadline decides
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("GET " + path + " did not reach the expected state within " + timeout + "; last: " + last);
    }

    /** The SSE events of a body: each {@code event:} type with its parsed {@code data:} JSON. */
    static List<JsonNode> sseEvents(String body) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        String type = null;
        for (String line : body.split("\n", -1)) {
            if (line.startsWith("event: ")) {
                type = line.substring(7).strip();
            } else if (line.startsWith("data: ")) {
                JsonNode d = Json.reader().readTree(line.substring(6));
                if (!d.path("type").asText().equals(type)) {
                    throw new AssertionError("event " + type + " carries data of type " + d.path("type"));
                }
                out.add(d);
            }
        }
        return out;
    }
}
