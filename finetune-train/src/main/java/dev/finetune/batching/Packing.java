package dev.finetune.batching;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sequence packing: the sequences of one batch laid out, whole and in a deterministic order, one after
 * the other in rows of one length T, so that a step computes on few padding positions. The model keeps
 * packed sequences apart ({@link dev.finetune.model.CausalLM#forward(int[], int[], int[], int, int)}: each
 * attends only to itself and its positions restart at 0), so a packed batch computes what the padded batch
 * computes, to float rounding.
 *
 * <p>{@link #pack} chooses the row length T (from the longest sequence up to a cap) and the rows by
 * first-fit decreasing: sequences longest first (ties in input order), each into the first row with room,
 * and keeps the T whose rows × T is smallest (the smallest such T on a tie). Rows × T is never more than
 * padding every sequence to the longest ({@link #padded}), and T never more than the cap, so a packed pass
 * needs no more activation memory than the padded one. A sequence is never split: a sequence longer than
 * the cap is the caller's to cut first (the trainers cut at the context, as they always did).
 */
public final class Packing {
    private Packing() {
    }

    /**
     * Where the sequences of a batch go: {@code rows} rows of {@code T} positions; sequence i in row
     * {@code row[i]} at columns {@code [offset[i], offset[i] + length[i])}. Within a row the sequences are
     * contiguous from column 0; the columns after a row's last sequence are padding.
     */
    public record Layout(int rows, int T, int[] row, int[] offset, int[] length) {
        /** Sequences laid out. */
        public int sequences() {
            return length.length;
        }

        /** Positions the rows hold, padding included (rows × T). */
        public long slots() {
            return (long) rows * T;
        }

        /** Positions that hold a sequence's token (Σ length). */
        public long used() {
            long n = 0;
            for (int l : length) {
                n += l;
            }
            return n;
        }

        /** The share of {@link #slots()} that is padding, in [0, 1); 0 for an empty layout. */
        public double paddingShare() {
            return Packing.paddingShare(used(), slots());
        }

        /**
         * Fills {@code out} (rows × T, row-major) with each position's index within its own sequence,
         * what {@link dev.finetune.model.CausalLM#forward(int[], int[], int[], int, int)} takes: 0 ..
         * length-1 for each sequence, and the padding after a row's last sequence as one more sequence
         * 0 .. k-1 of its own (nothing attends to it and its targets are ignored).
         */
        public void positions(int[] out) {
            int[] fill = new int[rows];
            for (int i = 0; i < length.length; i++) {
                int at = row[i] * T + offset[i];
                for (int j = 0; j < length[i]; j++) {
                    out[at + j] = j;
                }
                fill[row[i]] = Math.max(fill[row[i]], offset[i] + length[i]);
            }
            for (int r = 0; r < rows; r++) {
                int at = r * T;
                for (int j = fill[r]; j < T; j++) {
                    out[at + j] = j - fill[r];
                }
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Layout l && rows == l.rows && T == l.T && Arrays.equals(row, l.row) && Arrays.equals(offset, l.offset)
                    && Arrays.equals(length, l.length);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * (31 * (31 * rows + T) + Arrays.hashCode(row)) + Arrays.hashCode(offset)) + Arrays.hashCode(length);
        }

        @Override
        public String toString() {
            return rows + " rows of " + T + " (" + sequences() + " sequences, " + used() + " of " + slots() + " positions used)";
        }

        /** Rows a pass may take when it may hold at most {@code maxSlots} positions (at least one row). */
        public int rowsPerPass(long maxSlots) {
            return (int) Math.max(1, Math.min(rows, maxSlots / T));
        }

        /**
         * Rows a pass may take when it may hold at most {@code maxSlots} positions and {@code maxSquares}
         * attention weights per head (rows × T², the model's dense (T,T) matrix per row): at least one row.
         */
        public int rowsPerPass(long maxSlots, long maxSquares) {
            return (int) Math.max(1, Math.min(rowsPerPass(maxSlots), maxSquares / ((long) T * T)));
        }
    }

    /** {@code 1 - used / slots}, 0 when nothing was computed. */
    public static double paddingShare(long used, long slots) {
        return slots <= 0 ? 0.0 : 1.0 - (double) used / slots;
    }

    /** One row per sequence, in order, each padded to the longest: the unpacked layout. */
    public static Layout padded(int[] lengths) {
        int n = lengths.length;
        int T = 1;
        for (int l : lengths) {
            T = Math.max(T, check(l, Integer.MAX_VALUE));
        }
        int[] row = new int[n];
        for (int i = 0; i < n; i++) {
            row[i] = i;
        }
        return new Layout(n, T, row, new int[n], lengths.clone());
    }

    /**
     * Packs sequences of {@code lengths} (each 0 .. cap; an empty one takes no position) into the rows × T with the fewest positions
     * that first-fit decreasing finds for a row length T between the longest sequence and {@code cap}.
     * Deterministic: the same lengths give the same layout. Cost: O(cap · n · rows), small for a batch
     * (n ≤ 16 for the documented train_batch_size range).
     */
    public static Layout pack(int[] lengths, int cap) {
        int n = lengths.length;
        if (n == 0) {
            return new Layout(0, 1, new int[0], new int[0], new int[0]);
        }
        int maxLen = 1;
        long sum = 0;
        for (int l : lengths) {
            maxLen = Math.max(maxLen, check(l, cap));
            sum += l;
        }
        int[] sorted = longestFirst(lengths);
        int[] room = new int[n];
        // every sequence a row of its own at the longest length is always possible: the bound to beat
        long best = (long) n * maxLen;
        int bestT = maxLen;
        for (int T = maxLen; T <= cap; T++) {
            long fewestRows = (sum + T - 1) / T;
            if (fewestRows * T >= best) {
                continue; // not even perfectly full rows of this length would beat the best
            }
            int limit = (int) ((best - 1) / T); // more rows than this cannot beat the best
            int r = firstFitRows(lengths, sorted, T, room, limit);
            if (r > 0 && (long) r * T < best) {
                best = (long) r * T;
                bestT = T;
            }
        }
        return place(lengths, sorted, bestT);
    }

    /**
     * Consecutive sequences (an evaluation, in its order) into passes of at most {@code maxRows} rows of
     * at most {@code cap} positions: each sequence into the first row of the current pass with room, a new
     * pass when none of {@code maxRows} rows has room. Pass k lays out the {@link Layout#sequences()}
     * sequences after those of the passes before it (sequence i of a layout is {@code lengths[first + i]});
     * its T is its fullest row.
     */
    public static List<Layout> inOrder(int[] lengths, int cap, int maxRows) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("a pass needs at least one row, got " + maxRows);
        }
        List<Layout> out = new ArrayList<>();
        int n = lengths.length;
        int[] room = new int[maxRows];
        int[] row = new int[n];
        int[] offset = new int[n];
        int start = 0;
        int rows = 0;
        for (int i = 0; i < n; i++) {
            int l = check(lengths[i], cap);
            int r = 0;
            while (r < rows && room[r] < l) {
                r++;
            }
            if (r == rows && rows == maxRows) {
                out.add(slice(lengths, row, offset, start, i, rows, room, cap));
                start = i;
                rows = 0;
                r = 0;
            }
            if (r == rows) {
                room[rows++] = cap;
            }
            row[i] = r;
            offset[i] = cap - room[r];
            room[r] -= l;
        }
        if (n > start) {
            out.add(slice(lengths, row, offset, start, n, rows, room, cap));
        }
        return out;
    }

    private static Layout slice(int[] lengths, int[] row, int[] offset, int from, int to, int rows, int[] room, int cap) {
        int T = 1;
        for (int r = 0; r < rows; r++) {
            T = Math.max(T, cap - room[r]);
        }
        return new Layout(rows, T, Arrays.copyOfRange(row, from, to), Arrays.copyOfRange(offset, from, to),
                Arrays.copyOfRange(lengths, from, to));
    }

    private static int check(int length, int cap) {
        if (length < 0 || length > cap) {
            throw new IllegalArgumentException("a sequence of " + length + " tokens: packing takes 0 to " + cap);
        }
        return length;
    }

    /** Indices by length, longest first, ties in index order. */
    private static int[] longestFirst(int[] lengths) {
        int n = lengths.length;
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = ((long) (Integer.MAX_VALUE - lengths[i]) << 32) | i;
        }
        Arrays.sort(keys);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) keys[i];
        }
        return out;
    }

    /** Rows first-fit decreasing needs at row length T, or -1 once it needs more than {@code limit}. */
    private static int firstFitRows(int[] lengths, int[] sorted, int T, int[] room, int limit) {
        int rows = 0;
        for (int i : sorted) {
            int l = lengths[i];
            int r = 0;
            while (r < rows && room[r] < l) {
                r++;
            }
            if (r == rows) {
                if (rows == limit) {
                    return -1;
                }
                room[rows++] = T;
            }
            room[r] -= l;
        }
        return rows;
    }

    private static Layout place(int[] lengths, int[] sorted, int T) {
        int n = lengths.length;
        int[] room = new int[n];
        int[] row = new int[n];
        int[] offset = new int[n];
        int rows = 0;
        for (int i : sorted) {
            int l = lengths[i];
            int r = 0;
            while (r < rows && room[r] < l) {
                r++;
            }
            if (r == rows) {
                room[rows++] = T;
            }
            row[i] = r;
            offset[i] = T - room[r];
            room[r] -= l;
        }
        return new Layout(rows, T, row, offset, lengths.clone());
    }
}
