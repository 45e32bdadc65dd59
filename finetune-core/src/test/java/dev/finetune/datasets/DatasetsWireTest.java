package dev.finetune.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.BadRequestException;
import dev.finetune.json.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class DatasetsWireTest {
    private static Dataset sample() {
        FinetuneDatasetMetrics m = new FinetuneDatasetMetrics(100, 3, 2, 200, 1, 90,
                Optional.of(new FinetuneDatasetMetrics.ChatDataMetrics(4, 1, Optional.of("be brief"))), Optional.empty(),
                Optional.empty());
        return new Dataset("chats-1a2b", "chats", Instant.parse("2025-01-02T03:04:05Z"), Instant.parse("2025-01-02T03:04:06Z"),
                DatasetType.CHAT_FINETUNE_INPUT, ValidationStatus.VALIDATED, Optional.empty(), List.of("w"),
                List.of(DatasetPart.of("train", 2, 200, List.of("{}"))), Optional.of(DatasetMetrics.of(m)),
                Optional.of(new PiiSummary(Optional.of("redact"), Map.of("EMAIL_ADDRESS", 2L), 1, 0)));
    }

    @Test
    void datasetUsesCohereWireNames() throws Exception {
        JsonNode j = Json.toTree(sample());
        assertEquals("chat-finetune-input", j.get("dataset_type").asText());
        assertEquals("validated", j.get("validation_status").asText());
        assertEquals("2025-01-02T03:04:05Z", j.get("created_at").asText());
        assertEquals(2, j.at("/dataset_parts/0/num_rows").asInt());
        assertEquals(200, j.at("/dataset_parts/0/size_bytes").asInt());
        assertEquals(100, j.at("/metrics/finetune_dataset_metrics/trainable_token_count").asInt());
        assertEquals(4, j.at("/metrics/finetune_dataset_metrics/chat_data_metrics/num_train_turns").asInt());
        assertEquals("be brief", j.at("/metrics/finetune_dataset_metrics/chat_data_metrics/preamble").asText());
        assertFalse(j.has("validation_error"), "absent optionals are omitted");
        assertEquals(2, j.at("/pii/findings_by_type/EMAIL_ADDRESS").asInt());
    }

    @Test
    void datasetRoundTripsThroughJson() throws Exception {
        Dataset d = sample();
        assertEquals(d, Json.readValue(Json.writer().writeValueAsString(d), Dataset.class));
    }

    @Test
    void unknownWireValuesAreKept() throws Exception {
        Dataset d = Json.readValue("{\"id\":\"x-1\",\"name\":\"n\",\"created_at\":\"2025-01-02T03:04:05Z\","
                + "\"dataset_type\":\"embed-input\",\"validation_status\":\"archived\"}", Dataset.class);
        assertEquals("embed-input", d.datasetType().toString());
        assertFalse(d.datasetType().isKnown());
        assertEquals("archived", d.validationStatus().toString());
        assertFalse(d.validationStatus().isTerminal());
        assertSame(DatasetType.CHAT_FINETUNE_INPUT, DatasetType.valueOf("chat-finetune-input"));
    }

    @Test
    void nameLongerThan50CharactersIsRejectedWithTheDocumentedMessage() {
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> DatasetsCreateRequest.builder().name("x".repeat(51)).type(DatasetType.CHAT_FINETUNE_INPUT).build());
        assertEquals("The name must be less than 50 characters long.", e.getMessage());
        assertEquals(50, DatasetsCreateRequest.builder().name("x".repeat(50)).type(DatasetType.CHAT_FINETUNE_INPUT).build()
                .name().length());
    }

    @Test
    void requestDefaultsAndOptions() {
        DatasetsCreateRequest r = DatasetsCreateRequest.builder().name("n").type(DatasetType.RERANKER_FINETUNE_INPUT)
                .skipMalformedInput(true).csvDelimiter(';').build();
        assertTrue(r.skipMalformedInput());
        assertFalse(r.keepOriginalFile());
        assertEquals(';', r.csvDelimiter());
        assertThrows(BadRequestException.class,
                () -> DatasetsCreateRequest.builder().name("n").type(DatasetType.RERANKER_FINETUNE_INPUT).csvDelimiter('"').build());
    }

    @Property(tries = 100)
    void typeWireNamesRoundTrip(@ForAll @AlphaChars @StringLength(min = 1, max = 30) String name) throws Exception {
        DatasetType t = DatasetType.valueOf(name);
        assertEquals(t, Json.readValue(Json.writer().writeValueAsString(t), DatasetType.class));
        assertEquals(name, t.toString());
    }
}
