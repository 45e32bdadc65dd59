package dev.finetune.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JsonTest {
    record Sample(String datasetType, Instant createdAt, Optional<String> validationError) {
    }

    @Test
    void writesSnakeCaseIsoTimesAndOmitsEmptyOptionals() throws Exception {
        String json = Json.writer().writeValueAsString(
                new Sample("chat-finetune-input", Instant.parse("2025-01-02T03:04:05Z"), Optional.empty()));
        assertEquals("{\"dataset_type\":\"chat-finetune-input\",\"created_at\":\"2025-01-02T03:04:05Z\"}", json);
        Sample back = Json.readValue(
                "{\"dataset_type\":\"x\",\"created_at\":\"2025-01-02T03:04:05Z\",\"validation_error\":\"e\",\"new_field\":1}",
                Sample.class);
        assertEquals(Optional.of("e"), back.validationError());
    }
}
