package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.batching.Packing;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Packed rows compute what padded rows compute: the same sequences, each alone in a row padded to the
 * longest (the unpacked layout) or laid several to a row with their positions restarting at 0, give the
 * same loss, the same gradient of every weight and the same logits, for GPT-2 (learned positions) and the
 * Llama family (RoPE, grouped-query attention, Qwen2 biases, head_dim != hidden/heads). And a packed
 * sequence never sees its neighbours: changing one leaves the others' logits bit for bit unchanged.
 *
 * <p>Tolerance. Both layouts multiply the same numbers; what differs is the order of float additions:
 * the weight gradients sum over all B·T rows (the rows come in another order, the padded layout adds exact
 * zeros from its padding rows, and the blocked GEMM splits the sum at other places), and attention's
 * att·v, dS·k and dSᵀ·q sum over T positions padded against n packed. Reassociating a float32 sum of N
 * terms moves it by at most about N·2⁻²⁴ of the sum of the terms' magnitudes; with N ≤ 120 rows here that
 * is ≤ 1e-5 of the largest gradient's scale. We allow 2e-5 of the largest gradient of the tensor plus
 * 1e-6 absolute (a real masking or position bug moves gradients by 1e-2 and more of their scale), and
 * 1e-5 relative on the loss and logits (which pass through fewer reassociated sums).
 */
class PackedBatchTest {
    /** Sequences of these lengths: short ones that pack several to a row beside long ones. */
    static final int[] LENGTHS = {11, 3, 7, 2, 14, 5, 1, 9, 4, 6};

    static Stream<Arguments> models() {
        LlamaConfig hd = new LlamaConfig("qwen2", 23, 12, 20, 2, 4, 2, 6, 16, 1e-6f, 10000, null,
                true, false, false, "float32", -1, -1);
        return Stream.of(
                Arguments.of("gpt2", GPT2.randomInit(GPT2Config.of(23, 16, 16, 2, 4), 3, 0.3f)),
                Arguments.of("llama GQA", Llama.randomInit(LlamaConfig.of(23, 16, 16, 24, 2, 4, 2), 2, 0.3f)),
                Arguments.of("qwen2 biases, head_dim 6", Llama.randomInit(hd, 1, 0.3f)));
    }

    /** Tokens and targets of each sequence (some targets ignored, as prompts are). */
    record Data(int[][] tokens, int[][] targets) {
        static Data random(int V, long seed) {
            Random r = new Random(seed);
            int[][] tk = new int[LENGTHS.length][];
            int[][] tg = new int[LENGTHS.length][];
            for (int i = 0; i < LENGTHS.length; i++) {
                tk[i] = new int[LENGTHS[i]];
                tg[i] = new int[LENGTHS[i]];
                for (int j = 0; j < LENGTHS[i]; j++) {
                    tk[i][j] = r.nextInt(V);
                    tg[i][j] = r.nextInt(4) == 0 ? CausalLM.IGNORE_INDEX : r.nextInt(V);
                }
            }
            return new Data(tk, tg);
        }
    }

    /** A layout's tokens, targets and positions. */
    record Rows(Packing.Layout layout, int[] tokens, int[] targets, int[] positions) {
        static Rows of(Packing.Layout lay, Data d) {
            int n = (int) lay.slots();
            int[] tk = new int[n];
            int[] tg = new int[n];
            Arrays.fill(tg, CausalLM.IGNORE_INDEX);
            for (int i = 0; i < lay.sequences(); i++) {
                int at = lay.row()[i] * lay.T() + lay.offset()[i];
                System.arraycopy(d.tokens()[i], 0, tk, at, lay.length()[i]);
                System.arraycopy(d.targets()[i], 0, tg, at, lay.length()[i]);
            }
            int[] pos = new int[n];
            lay.positions(pos);
            return new Rows(lay, tk, tg, pos);
        }

        int index(int seq, int j) {
            return lay().row()[seq] * lay().T() + lay().offset()[seq] + j;
        }

        Packing.Layout lay() {
            return layout;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void packedRowsGiveThePaddedLossGradientsAndLogits(String name, CausalLM m) {
        int V = m.config().vocabSize();
        Data d = Data.random(V, 7);
        Rows padded = Rows.of(Packing.padded(LENGTHS), d);
        Rows packed = Rows.of(Packing.pack(LENGTHS, 16), d);
        assertTrue(packed.lay().rows() < padded.lay().rows() && packed.lay().slots() < padded.lay().slots(),
                "the lengths pack: " + packed.lay());

        float lossPadded = m.forward(padded.tokens(), padded.targets(), null, padded.lay().rows(), padded.lay().T());
        float[] logitsPadded = m.logits().clone();
        m.zeroGrad();
        m.backward();
        float[] gradPadded = m.gradients().clone();

        float lossPacked = m.forward(packed.tokens(), packed.targets(), packed.positions(), packed.lay().rows(), packed.lay().T());
        float[] logitsPacked = m.logits().clone();
        m.zeroGrad();
        m.backward();
        float[] gradPacked = m.gradients().clone();

        assertEquals(lossPadded, lossPacked, 1e-5 * Math.abs(lossPadded), name + " loss");
        for (int i = 0; i < LENGTHS.length; i++) {
            for (int j = 0; j < LENGTHS[i]; j++) {
                int a = padded.index(i, j) * V;
                int b = packed.index(i, j) * V;
                for (int v = 0; v < V; v++) {
                    assertEquals(logitsPadded[a + v], logitsPacked[b + v], 1e-5 * (1 + Math.abs(logitsPadded[a + v])),
                            name + " logit " + v + " of sequence " + i + " position " + j);
                }
            }
        }
        for (TensorView t : m.tensors()) {
            float scale = 0;
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                scale = Math.max(scale, Math.abs(gradPadded[i]));
            }
            assertTrue(scale > 0, name + " " + t.name() + " has a gradient");
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                assertEquals(gradPadded[i], gradPacked[i], 1e-6 + 2e-5 * scale, name + " d" + t.name() + "[" + (i - t.offset()) + "]");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void aPackedSequenceNeverSeesItsNeighbours(String name, CausalLM m) {
        int V = m.config().vocabSize();
        Data d = Data.random(V, 11);
        Packing.Layout lay = Packing.pack(LENGTHS, 16);
        Rows before = Rows.of(lay, d);
        // the sequence that shares its row with another and comes first in it
        int victim = -1;
        int neighbour = -1;
        for (int i = 0; i < LENGTHS.length && victim < 0; i++) {
            for (int k = 0; k < LENGTHS.length; k++) {
                if (k != i && lay.row()[k] == lay.row()[i] && lay.offset()[k] > lay.offset()[i]) {
                    victim = i;
                    neighbour = k;
                    break;
                }
            }
        }
        assertTrue(victim >= 0, "some row holds two sequences");
        m.forward(before.tokens(), null, before.positions(), lay.rows(), lay.T());
        float[] a = m.logits().clone();
        // change every token of the earlier sequence: the later one in its row must not notice
        for (int j = 0; j < LENGTHS[victim]; j++) {
            d.tokens()[victim][j] = (d.tokens()[victim][j] + 1) % V;
        }
        Rows after = Rows.of(lay, d);
        m.forward(after.tokens(), null, after.positions(), lay.rows(), lay.T());
        float[] b = m.logits();
        int from = before.index(neighbour, 0) * V;
        int to = before.index(neighbour, LENGTHS[neighbour] - 1) * V + V;
        assertArrayEquals(Arrays.copyOfRange(a, from, to), Arrays.copyOfRange(b, from, to), name);
        int changed = before.index(victim, 0) * V;
        assertTrue(!Arrays.equals(Arrays.copyOfRange(a, changed, changed + V), Arrays.copyOfRange(b, changed, changed + V)),
                "the changed sequence's own logits move");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void packedHiddenStatesAndTheirBackwardMatchThePaddedOnes(String name, CausalLM m) {
        int V = m.config().vocabSize();
        int C = m.config().hiddenSize();
        Data d = Data.random(V, 5);
        Rows padded = Rows.of(Packing.padded(LENGTHS), d);
        Rows packed = Rows.of(Packing.pack(LENGTHS, 16), d);
        // a head reading each sequence's last position, d loss / d hidden = 1 there
        float[][] last = new float[2][LENGTHS.length * C];
        float[][] grads = new float[2][];
        Rows[] both = {padded, packed};
        for (int k = 0; k < 2; k++) {
            Rows r = both[k];
            m.forwardHidden(r.tokens(), k == 0 ? null : r.positions(), r.lay().rows(), r.lay().T());
            float[] dh = new float[(int) r.lay().slots() * C];
            for (int i = 0; i < LENGTHS.length; i++) {
                int off = m.hiddenOffset(r.lay().row()[i], r.lay().offset()[i] + LENGTHS[i] - 1);
                System.arraycopy(m.hidden(), off, last[k], i * C, C);
                Arrays.fill(dh, off, off + C, 1f);
            }
            m.zeroGrad();
            m.backwardHidden(dh);
            grads[k] = m.gradients().clone();
        }
        for (int i = 0; i < last[0].length; i++) {
            assertEquals(last[0][i], last[1][i], 1e-5 * (1 + Math.abs(last[0][i])), name + " hidden " + i);
        }
        float scale = 0;
        for (float g : grads[0]) {
            scale = Math.max(scale, Math.abs(g));
        }
        for (int i = 0; i < grads[0].length; i++) {
            assertEquals(grads[0][i], grads[1][i], 1e-6 + 2e-5 * scale, name + " gradient " + i);
        }
    }

    @Test
    void positionsThatNeitherStartNorContinueASequenceAreRejected() {
        GPT2 m = GPT2.randomInit(GPT2Config.of(23, 16, 16, 1, 2), 3, 0.3f);
        int[] tokens = new int[8];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.forward(tokens, null, new int[] {0, 1, 2, 0, 0, 1, 3, 1}, 2, 4));
        assertTrue(e.getMessage().contains("position 3 at index 6 (row 1, column 2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(tokens, null, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 2, 4));
        assertTrue(e.getMessage().contains("index 4 (row 1, column 0)"), e.getMessage());
    }

    @Test
    void aPackedRowMayBeLongerThanTheContextButNoSequenceMay() {
        GPT2 m = GPT2.randomInit(GPT2Config.of(23, 16, 16, 1, 2), 3, 0.3f);
        // a row of 24 > n_positions 16 holding sequences of 12 and 12: each within the context
        Packing.Layout lay = new Packing.Layout(1, 24, new int[] {0, 0}, new int[] {0, 12}, new int[] {12, 12});
        int[] pos = new int[24];
        lay.positions(pos);
        int[] tokens = new int[24];
        for (int i = 0; i < 24; i++) {
            tokens[i] = (i * 5) % 23;
        }
        m.forward(tokens, null, pos, 1, 24);
        float[] packed = Arrays.copyOf(m.logits(), 24 * 23);
        // the second sequence alone computes what it computed in the long row
        m.forward(Arrays.copyOfRange(tokens, 12, 24), 1, 12);
        float[] alone = Arrays.copyOf(m.logits(), 12 * 23);
        for (int i = 0; i < alone.length; i++) {
            assertEquals(alone[i], packed[12 * 23 + i], 1e-5 * (1 + Math.abs(alone[i])), "logit " + i);
        }
        int[] tooLong = new int[24];
        for (int i = 0; i < 24; i++) {
            tooLong[i] = i;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.forward(tokens, null, tooLong, 1, 24));
        assertTrue(e.getMessage().contains("position 16 at index 16") && e.getMessage().contains("past the context of 16"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.forward(tokens, 1, 24), "an unpacked row stays within the context");
    }
}
