package dev.finetune.rerank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.BadRequestException;
import dev.finetune.classify.Classification;
import dev.finetune.classify.ClassifyRequest;
import dev.finetune.classify.ClassifyResponse;
import dev.finetune.json.Json;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Request checks with clear messages, and the wire JSON of the responses. */
class RequestValidationTest {
    @Test
    void rerankRequestsAreChecked() {
        RerankRequest ok = RerankRequest.builder().model("m-ft").query("q").documents(List.of("a", "b")).topN(1).build();
        assertEquals(Optional.of(1), ok.topN());
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> RerankRequest.builder().model("m").query(" ").documents(List.of("a")).build());
        assertTrue(e.getMessage().contains("query"));
        e = assertThrows(BadRequestException.class, () -> RerankRequest.builder().model("m").query("q").documents(List.of()).build());
        assertTrue(e.getMessage().contains("documents: must hold 1 to 1000"), e.getMessage());
        e = assertThrows(BadRequestException.class,
                () -> RerankRequest.builder().model("m").query("q").documents(Collections.nCopies(1001, "d")).build());
        assertTrue(e.getMessage().contains("got 1001"), e.getMessage());
        e = assertThrows(BadRequestException.class,
                () -> RerankRequest.builder().model("m").query("q").documents(List.of("a")).topN(0).build());
        assertTrue(e.getMessage().contains("top_n"), e.getMessage());
        e = assertThrows(BadRequestException.class,
                () -> RerankRequest.builder().model("m").query("q").documents(List.of("a")).maxTokensPerDoc(0).build());
        assertTrue(e.getMessage().contains("max_tokens_per_doc"), e.getMessage());
    }

    @Test
    void classifyRequestsAreChecked() {
        assertThrows(BadRequestException.class, () -> ClassifyRequest.of("m", List.of()));
        assertThrows(BadRequestException.class, () -> ClassifyRequest.of("m", Collections.nCopies(97, "x")));
        BadRequestException e = assertThrows(BadRequestException.class, () -> ClassifyRequest.of("m", List.of("a", "")));
        assertTrue(e.getMessage().contains("inputs[1]"), e.getMessage());
        assertEquals(List.of("a"), ClassifyRequest.builder().model("m").inputs(List.of("a")).inputs());
    }

    @Test
    void responsesUseTheWireNames() throws Exception {
        String r = Json.writer().writeValueAsString(new RerankResponse("id", List.of(new RerankResult(2, 0.75))));
        assertEquals("{\"id\":\"id\",\"results\":[{\"index\":2,\"relevance_score\":0.75}]}", r);
        Classification single = new Classification("c", "text", Optional.of("pos"), List.of("pos"), Optional.of(0.9), List.of(0.9),
                Map.of("pos", new Classification.LabelConfidence(0.9)), "single-label");
        String c = Json.writer().writeValueAsString(new ClassifyResponse("id", List.of(single)));
        assertTrue(c.contains("\"prediction\":\"pos\"") && c.contains("\"confidences\":[0.9]")
                && c.contains("\"labels\":{\"pos\":{\"confidence\":0.9}}") && c.contains("\"classification_type\":\"single-label\""), c);
        Classification multi = new Classification("c", "text", Optional.empty(), List.of(), Optional.empty(), List.of(), Map.of(),
                "multi-label");
        String m = Json.writer().writeValueAsString(multi);
        assertFalse(m.contains("\"prediction\"") || m.contains("\"confidence\":"), m);
    }
}
