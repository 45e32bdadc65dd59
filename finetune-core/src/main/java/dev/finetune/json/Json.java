package dev.finetune.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;

/**
 * The one Jackson configuration for wire JSON and workspace files: snake_case names (Cohere's wire
 * format), absent optionals omitted, unknown properties tolerated (forward compatibility), ISO-8601
 * timestamps.
 *
 * <p>Hands out immutable {@link ObjectReader}s and {@link ObjectWriter}s (thread-safe, and a caller's
 * {@code with(...)} makes a new one); the mapper behind them is never shared, so nobody can
 * reconfigure it for everyone else.
 */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .serializationInclusion(JsonInclude.Include.NON_ABSENT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .findAndAddModules()
            .build();
    private static final ObjectReader READER = MAPPER.reader();
    private static final ObjectWriter WRITER = MAPPER.writer();
    private static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();

    private Json() {
    }

    /** A reader for trees ({@code readTree}) and, with {@code forType}, for values. */
    public static ObjectReader reader() {
        return READER;
    }

    public static ObjectReader reader(Class<?> type) {
        return READER.forType(type);
    }

    public static ObjectReader reader(TypeReference<?> type) {
        return READER.forType(type);
    }

    /** One-line JSON (JSONL records, wire bodies). */
    public static ObjectWriter writer() {
        return WRITER;
    }

    /** Indented JSON (records a person may read: model.json, dataset.json, CLI output). */
    public static ObjectWriter prettyWriter() {
        return PRETTY;
    }

    public static <T> T readValue(String json, Class<T> type) throws JsonProcessingException {
        return READER.forType(type).readValue(json);
    }

    public static <T> T readValue(String json, TypeReference<T> type) throws JsonProcessingException {
        return READER.forType(type).readValue(json);
    }

    public static <T> T readValue(byte[] json, Class<T> type) throws IOException {
        return READER.forType(type).readValue(json);
    }

    public static <T> T readValue(File file, Class<T> type) throws IOException {
        return READER.forType(type).readValue(file);
    }

    public static <T> T readValue(File file, TypeReference<T> type) throws IOException {
        return READER.forType(type).readValue(file);
    }

    public static <T> T readValue(InputStream in, Class<T> type) throws IOException {
        return READER.forType(type).readValue(in);
    }

    public static <T> T treeToValue(JsonNode node, Class<T> type) throws IOException {
        return READER.forType(type).readValue(node);
    }

    /** A value as a tree, with the wire naming. */
    public static <T extends JsonNode> T toTree(Object value) {
        return MAPPER.valueToTree(value);
    }

    public static ObjectNode object() {
        return MAPPER.getNodeFactory().objectNode();
    }

    public static ArrayNode array() {
        return MAPPER.getNodeFactory().arrayNode();
    }
}
