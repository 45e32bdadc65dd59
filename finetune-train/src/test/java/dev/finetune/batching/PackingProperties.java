package dev.finetune.batching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.model.CausalLM;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Packing keeps every sequence exactly once and whole: in one row, at one offset, never split across
 * rows, never overlapping another, never past the row's end; rows are filled from column 0; the positions
 * restart at 0 for each sequence and pass the model's check; and packing never computes more positions
 * than padding every sequence to the longest.
 */
class PackingProperties {
    /** A batch: up to 16 sequence lengths (the documented train_batch_size range) and a cap at least the longest. */
    record Batch(int[] lengths, int cap) {
    }

    @Provide
    Arbitrary<Batch> batches() {
        return Arbitraries.integers().between(1, 300).array(int[].class).ofMinSize(0).ofMaxSize(16)
                .flatMap(ls -> {
                    int max = Arrays.stream(ls).max().orElse(1);
                    return Arbitraries.integers().between(max, max + 300).map(cap -> new Batch(ls, cap));
                });
    }

    @Provide
    Arbitrary<Batch> evaluations() {
        return Combinators.combine(Arbitraries.integers().between(1, 120).array(int[].class).ofMaxSize(200),
                Arbitraries.integers().between(0, 200)).as((ls, extra) -> new Batch(ls, 120 + extra));
    }

    /** Every sequence once, whole, in bounds, rows contiguous from 0, positions restarting per sequence. */
    static void assertWellFormed(Packing.Layout lay, int[] lengths, int cap) {
        int n = lengths.length;
        assertEquals(n, lay.sequences());
        assertArrayEquals(lengths, lay.length(), "every sequence keeps its whole length");
        assertTrue(lay.T() >= 1 && lay.T() <= Math.max(1, cap), "T " + lay.T() + " within the cap " + cap);
        int[][] owner = new int[lay.rows()][lay.T()];
        for (int[] r : owner) {
            Arrays.fill(r, -1);
        }
        for (int i = 0; i < n; i++) {
            int r = lay.row()[i];
            int o = lay.offset()[i];
            assertTrue(r >= 0 && r < lay.rows(), "sequence " + i + " in row " + r + " of " + lay.rows());
            assertTrue(o >= 0 && o + lengths[i] <= lay.T(), "sequence " + i + " at [" + o + ", " + (o + lengths[i]) + ") fits T " + lay.T());
            for (int j = o; j < o + lengths[i]; j++) {
                assertEquals(-1, owner[r][j], "row " + r + " column " + j + " holds two sequences");
                owner[r][j] = i;
            }
        }
        for (int r = 0; r < lay.rows(); r++) {
            boolean padding = false;
            for (int j = 0; j < lay.T(); j++) {
                padding |= owner[r][j] < 0;
                assertTrue(owner[r][j] < 0 || !padding, "row " + r + ": a sequence after padding at column " + j);
            }
        }
        int[] pos = new int[(int) lay.slots()];
        lay.positions(pos);
        CausalLM.checkPositions(pos, lay.rows(), lay.T(), Integer.MAX_VALUE);
        for (int i = 0; i < n; i++) {
            int at = lay.row()[i] * lay.T() + lay.offset()[i];
            for (int j = 0; j < lengths[i]; j++) {
                assertEquals(j, pos[at + j], "sequence " + i + " position " + j);
            }
        }
        long used = Arrays.stream(lengths).asLongStream().sum();
        assertEquals(used, lay.used());
        assertEquals(Packing.paddingShare(used, lay.slots()), lay.paddingShare(), 0.0);
    }

    @Property(tries = 500)
    void packKeepsEverySequenceOnceAndWholeAndNeverPadsMoreThanPaddingToTheLongest(@ForAll("batches") Batch b) {
        Packing.Layout lay = Packing.pack(b.lengths(), b.cap());
        assertWellFormed(lay, b.lengths(), b.cap());
        Packing.Layout padded = Packing.padded(b.lengths());
        assertWellFormed(padded, b.lengths(), Integer.MAX_VALUE);
        if (b.lengths().length > 0) {
            assertTrue(lay.slots() <= padded.slots(), lay.slots() + " packed slots vs " + padded.slots() + " padded");
            assertTrue(lay.rows() <= b.lengths().length);
            // no row could take another sequence's place: rows × T is never beaten by one row fewer of the same T
            assertTrue(lay.slots() >= lay.used());
        }
        assertEquals(lay, Packing.pack(b.lengths().clone(), b.cap()), "deterministic");
    }

    @Property(tries = 300)
    void inOrderPassesKeepTheOrderAndTheRowLimit(@ForAll("evaluations") Batch b, @ForAll @IntRange(min = 1, max = 8) int maxRows) {
        List<Packing.Layout> passes = Packing.inOrder(b.lengths(), b.cap(), maxRows);
        int first = 0;
        for (Packing.Layout lay : passes) {
            assertTrue(lay.rows() >= 1 && lay.rows() <= maxRows, lay.rows() + " rows, limit " + maxRows);
            assertTrue(lay.sequences() >= 1);
            assertWellFormed(lay, Arrays.copyOfRange(b.lengths(), first, first + lay.sequences()), b.cap());
            first += lay.sequences();
        }
        assertEquals(b.lengths().length, first, "every sequence in exactly one pass, in order");
    }

    @Test
    void aKnownBatchPacksIntoTwoFullRows() {
        // 6 | 3 3 at T 6 (first fit decreasing): 12 positions, none padding; padded: 3 rows of 6, a third padding
        Packing.Layout lay = Packing.pack(new int[] {3, 6, 3}, 6);
        assertEquals(2, lay.rows());
        assertEquals(6, lay.T());
        assertArrayEquals(new int[] {1, 0, 1}, lay.row());
        assertArrayEquals(new int[] {0, 0, 3}, lay.offset());
        assertEquals(0.0, lay.paddingShare(), 0.0);
        assertEquals(1.0 / 3, Packing.padded(new int[] {3, 6, 3}).paddingShare(), 1e-12);
        int[] pos = new int[12];
        lay.positions(pos);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 0, 1, 2, 0, 1, 2}, pos);
    }

    @Test
    void rowLengthIsChosenToWasteLeast() {
        // 5 4 3 2 1 (15): rows of 5 hold them exactly (5 | 4 1 | 3 2); a longer cap must not make it worse
        Packing.Layout lay = Packing.pack(new int[] {1, 2, 3, 4, 5}, 12);
        assertEquals(15, lay.slots());
        // the padding after a row's last sequence is a sequence of its own, positions from 0
        Packing.Layout tail = Packing.pack(new int[] {4, 2}, 4);
        int[] pos = new int[(int) tail.slots()];
        tail.positions(pos);
        assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 0, 1}, pos);
    }

    @Test
    void aSequenceLongerThanTheCapIsRejectedNotSplit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Packing.pack(new int[] {3, 9}, 8));
        assertTrue(e.getMessage().contains("9 tokens"), e.getMessage());
        List<Integer> none = new ArrayList<>();
        assertEquals(none.size(), Packing.inOrder(new int[0], 4, 2).size());
    }
}
