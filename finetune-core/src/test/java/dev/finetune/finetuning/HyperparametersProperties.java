package dev.finetune.finetuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.BadRequestException;
import dev.finetune.json.Json;
import java.util.Optional;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class HyperparametersProperties {

    @Property
    void epochsInRangeAreAccepted(@ForAll @IntRange(min = 1, max = 10) int v) {
        assertEquals(v, Hyperparameters.builder().trainEpochs(v).build().epochs());
    }

    @Property
    void epochsOutOfRangeAreRejected(@ForAll int v) {
        if (v >= 1 && v <= 10) {
            return;
        }
        BadRequestException e = assertThrows(BadRequestException.class, () -> Hyperparameters.builder().trainEpochs(v).build());
        assertTrue(e.getMessage().startsWith("train_epochs: " + v + " is outside the allowed range 1 to 10"), e.getMessage());
    }

    @Property
    void batchSizeBoundsAreInclusive(@ForAll int v) {
        boolean ok = v >= 2 && v <= 16;
        if (ok) {
            assertEquals(v, Hyperparameters.builder().trainBatchSize(v).build().batchSize());
        } else {
            assertThrows(BadRequestException.class, () -> Hyperparameters.builder().trainBatchSize(v).build());
        }
    }

    @Property
    void patienceBoundsAreInclusive(@ForAll int v) {
        boolean ok = v >= 0 && v <= 10;
        if (ok) {
            assertEquals(v, Hyperparameters.builder().earlyStoppingPatience(v).build().stoppingPatience());
        } else {
            BadRequestException e = assertThrows(BadRequestException.class,
                    () -> Hyperparameters.builder().earlyStoppingPatience(v).build());
            assertTrue(e.getMessage().contains("early_stopping_patience") && e.getMessage().contains("0 to 10"));
        }
    }

    @Property
    void learningRateInRangeIsAccepted(@ForAll @DoubleRange(min = 0.00005, max = 0.1) @net.jqwik.api.constraints.Scale(8) double v) {
        assertEquals(v, Hyperparameters.builder().learningRate(v).build().lr());
    }

    @Property
    void learningRateOutOfRangeIsRejected(@ForAll double v) {
        if (v >= 0.00005 && v <= 0.1) {
            return;
        }
        BadRequestException e = assertThrows(BadRequestException.class, () -> Hyperparameters.builder().learningRate(v).build());
        assertTrue(e.getMessage().contains("learning_rate") && e.getMessage().contains("0.00005 to 0.1"), e.getMessage());
    }

    @Property
    void thresholdBoundsAreInclusive(@ForAll double v) {
        boolean ok = v >= 0.001 && v <= 0.1;
        if (ok) {
            assertEquals(v, Hyperparameters.builder().earlyStoppingThreshold(v).build().stoppingThreshold());
        } else {
            assertThrows(BadRequestException.class, () -> Hyperparameters.builder().earlyStoppingThreshold(v).build());
        }
    }

    @Property
    void loraRanges(@ForAll int alpha, @ForAll int rank) {
        boolean ok = alpha >= 1 && alpha <= 128 && rank >= 1 && rank <= 32;
        if (ok) {
            Hyperparameters h = Hyperparameters.builder().loraAlpha(alpha).loraRank(rank).build();
            assertEquals(alpha, h.alpha());
            assertEquals(rank, h.rank());
        } else {
            assertThrows(BadRequestException.class, () -> Hyperparameters.builder().loraAlpha(alpha).loraRank(rank).build());
        }
    }

    @Example
    void exactBoundsAndDefaults() {
        Hyperparameters lo = Hyperparameters.builder().trainEpochs(1).learningRate(0.00005).trainBatchSize(2)
                .earlyStoppingThreshold(0.001).earlyStoppingPatience(0).build();
        Hyperparameters hi = Hyperparameters.builder().trainEpochs(10).learningRate(0.1).trainBatchSize(16)
                .earlyStoppingThreshold(0.1).earlyStoppingPatience(10).build();
        assertEquals(0, lo.stoppingPatience());
        assertEquals(16, hi.batchSize());
        Hyperparameters d = Hyperparameters.defaults();
        assertEquals(1, d.epochs());
        assertEquals(0.01, d.lr());
        assertEquals(16, d.batchSize());
        assertEquals(0.001, d.stoppingThreshold());
        assertEquals(10, d.stoppingPatience());
        assertEquals(Strategy.STRATEGY_LORA, d.strategyValue());
    }

    @Example
    void jsonRoundTripsAndIsCheckedOnTheWayIn() throws Exception {
        Hyperparameters h = Hyperparameters.builder().trainEpochs(3).learningRate(0.001).loraTargetModules(
                LoraTargetModules.LORA_TARGET_MODULES_QKVO).strategy(Strategy.STRATEGY_FULL).seed(7).build();
        String json = Json.writer().writeValueAsString(h);
        assertTrue(json.contains("\"train_epochs\":3") && json.contains("\"lora_target_modules\":\"LORA_TARGET_MODULES_QKVO\""), json);
        assertEquals(h, Json.readValue(json, Hyperparameters.class));
        Exception e = assertThrows(Exception.class, () -> Json.readValue("{\"train_epochs\":11}", Hyperparameters.class));
        assertTrue(String.valueOf(e.getMessage()).contains("train_epochs"), e.getMessage());
    }

    @Example
    void unknownEnumValuesSurviveARoundTrip() throws Exception {
        Status s = Json.readValue("\"STATUS_SOMETHING_NEW\"", Status.class);
        assertFalse(s.isKnown());
        assertEquals("\"STATUS_SOMETHING_NEW\"", Json.writer().writeValueAsString(s));
        assertEquals(Status.STATUS_READY, Status.valueOf("STATUS_READY"));
        assertTrue(Status.STATUS_READY.isKnown());
    }

    @Example
    void theWandbKeyNeverLeaves() throws Exception {
        WandbConfig w = WandbConfig.builder().project("p").apiKey("sk-secret-123").entity("team").build();
        assertFalse(w.toString().contains("sk-secret-123"));
        Settings s = Settings.builder().baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT)).datasetId("d-1").wandb(w).build();
        FinetunedModel m = FinetunedModel.builder().name("m").settings(s).build();
        String json = Json.writer().writeValueAsString(m);
        assertFalse(json.contains("sk-secret-123"), json);
        assertFalse(m.toString().contains("sk-secret-123"), m.toString());
        assertTrue(json.contains("\"project\":\"p\""), json);
        WandbConfig in = Json.readValue("{\"project\":\"p\",\"api_key\":\"k\"}", WandbConfig.class);
        assertEquals("k", in.apiKey());
        assertEquals(Optional.empty(), in.entity());
        assertThrows(Exception.class, () -> Json.readValue("{\"project\":\"p\"}", WandbConfig.class));
    }
}
