package dev.finetune.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The GEMM's split of its strips over the pool: every thread gets a chunk whenever there are at least
 * {@code minimum} strips per thread, whatever the strip count's parity (a ceiling division once gave an
 * odd count one chunk, so the vocabulary's weight gradient ran on one of two cores), and never two or
 * more chunks per thread (each chunk packs its own panels).
 */
class GemmSplitProperties {
    @Property(tries = 500)
    void enoughStripsGiveEveryThreadAChunk(@ForAll @IntRange(min = 1, max = 200_000) int strips,
                                          @ForAll @IntRange(min = 1, max = 16) int threads,
                                          @ForAll @IntRange(min = 1, max = 8) int minimum) {
        int chunks = Parallel.chunks(strips, PackedGemm.splitGrain(strips, threads, minimum), threads);
        int atLeast = Math.max(1, Math.min(threads, strips / minimum));
        String what = strips + " strips, " + threads + " threads, minimum " + minimum + ": " + chunks + " chunks";
        assertTrue(chunks >= atLeast, what);
        assertTrue(chunks < 2 * threads || chunks == 1, what);
    }
}
