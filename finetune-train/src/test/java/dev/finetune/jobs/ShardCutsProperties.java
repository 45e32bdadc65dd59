package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** A step's examples cut into gradient shards: contiguous, in order, covering every example once, none empty. */
class ShardCutsProperties {
    @Property
    void cutsCoverTheStepInOrderWithoutEmptyShards(@ForAll @IntRange(min = 0, max = 300) int n,
                                                   @ForAll @IntRange(min = 1, max = 64) int shards) {
        List<int[]> cuts = ShardedTraining.cuts(n, shards);
        assertEquals(Math.min(n, shards), cuts.size());
        int at = 0;
        for (int[] c : cuts) {
            assertEquals(at, c[0]);
            assertTrue(c[1] > c[0]);
            // balanced: sizes differ by at most one
            assertTrue(c[1] - c[0] <= n / shards + 1 && c[1] - c[0] >= n / shards);
            at = c[1];
        }
        assertEquals(n, at);
    }
}
