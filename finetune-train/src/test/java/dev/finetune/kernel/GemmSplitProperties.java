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

    /**
     * The B panels: whole strips, never wider than the pack buffer holds (1.5 ncMax, whole strips), never more of them
     * than the nearest count of ncMax-wide panels, and as wide as equal panels allow (the last one is not
     * a sliver that packs A again for a few columns).
     */
    @Property(tries = 500)
    void panelsAreWholeStripsNearTheBlockWidth(@ForAll @IntRange(min = 1, max = 60_000) int width,
                                               @ForAll @IntRange(min = 1, max = 2048) int nc) {
        BlockedGemm g = new BlockedGemm(64, 24, nc);
        int panel = g.panelWidth(width);
        int panels = (width + panel - 1) / panel;
        String what = width + " columns, ncMax " + g.ncMax + ": panels of " + panel + " x " + panels;
        assertTrue(panel % g.nr == 0, what);
        assertTrue(panel <= g.panelCapacity(), what);
        assertTrue(panels <= Math.max(1, (width + g.ncMax / 2) / g.ncMax), what);
        int last = width - (panels - 1) * panel;
        assertTrue(panels == 1 || last > panel - panels * g.nr, what);
    }

    /** The k slices: equal (to one), never deeper than the pack buffers hold, as few as that allows. */
    @Property(tries = 500)
    void kSlicesAreEqualAndAsFewAsTheBuffersAllow(@ForAll @IntRange(min = 1, max = 60_000) int k,
                                                  @ForAll @IntRange(min = 1, max = 1024) int kc) {
        BlockedGemm g = new BlockedGemm(kc, 24, 64);
        int depth = g.depthOf(k);
        int slices = (k + depth - 1) / depth;
        String what = k + " deep, kcMax " + kc + ": slices of " + depth + " x " + slices;
        assertTrue(depth >= 1 && depth <= g.depthCapacity(), what);
        assertTrue(slices == (k + g.depthCapacity() - 1) / g.depthCapacity(), what);
        assertTrue(k - (slices - 1) * depth > depth - slices, what);
    }
}
