package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench commands' contract: what they print and that their last line is the figure scripts read (no speed asserted). */
class BenchCommandTest {
    private final Cli cli = new Cli();

    private List<String> lines() {
        return cli.out().lines().toList();
    }

    @Test
    void generateLoadsTheSavedModelInTheAskedDtypeAndEndsWithTokensPerSecond() {
        for (String dtype : List.of("f32", "bf16", "f16", "q8_0")) {
            assertEquals(0, cli.run("bench", "generate", "--family", "llama", "--layers", "1", "--heads", "4", "--kv-heads", "2",
                    "--hidden", "40", "--intermediate", "24", "--vocab", "70", "--ctx", "16", "--tokens", "5", "--runs", "1",
                    "--dtype", dtype), cli.both());
            List<String> out = lines();
            assertTrue(out.get(out.size() - 1).matches("tokens_per_second=[0-9.]+"), cli.both());
            assertTrue(out.stream().anyMatch(l -> l.startsWith("weights: " + dtype + ",")), cli.both());
            assertTrue(out.stream().anyMatch(l -> l.matches("peak_heap_mb=[0-9]+")), cli.both());
            assertTrue(out.stream().anyMatch(l -> l.matches("weights_gb_per_second=[0-9.]+")), cli.both());
        }
        // a GPT-2 saved as F16 and decoded as stored F16 (its Conv1D weights transposed while loading)
        assertEquals(0, cli.run("bench", "generate", "--layers", "1", "--heads", "2", "--channels", "16", "--vocab", "50",
                "--ctx", "12", "--tokens", "4", "--runs", "1", "--dtype", "f16"), cli.both());
        assertTrue(cli.out().contains("saved as F16"), cli.both());
    }

    @Test
    void badDtypesAreUsageErrorsNamingTheChoices() {
        assertEquals(2, cli.run("bench", "generate", "--dtype", "q4"), cli.both());
        assertTrue(cli.err().contains("--dtype") && cli.err().contains("f32, bf16, f16, q8_0"), cli.both());
        assertEquals(2, cli.run("generate", "--model", "base-light", "--dtype", "int3", "hello"), cli.both());
        assertTrue(cli.err().contains("--dtype") && cli.err().contains("stored"), cli.both());
    }

    @Test
    void bandwidthEndsWithTheReadBandwidth() {
        assertEquals(0, cli.run("bench", "bandwidth", "--mb", "8", "--runs", "1"), cli.both());
        List<String> out = lines();
        assertTrue(out.get(out.size() - 1).matches("read_gb_per_second=[0-9.]+"), cli.both());
        assertTrue(out.stream().anyMatch(l -> l.matches("read_gb_per_second_1_thread=[0-9.]+")), cli.both());
    }
}
