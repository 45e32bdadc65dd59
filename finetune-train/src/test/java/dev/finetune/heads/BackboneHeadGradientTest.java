package dev.finetune.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.model.TensorView;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The backbone's hidden-state path ({@link GPT2#forwardHidden}, {@link GPT2#backwardHidden}) with a head
 * and the listwise loss on sequences of different lengths: analytic gradients of backbone, adapter and
 * head weights against central finite differences of the whole pipeline.
 */
class BackboneHeadGradientTest {
    static final GPT2Config CFG = GPT2Config.of(40, 16, 16, 2, 2);
    static final List<int[]> SEQS = List.of(new int[] {3, 9, 1, 30, 7, 2}, new int[] {5, 5, 11}, new int[] {39, 0, 12, 8},
            new int[] {17});

    static double loss(GPT2 model, LinearHead head, boolean backward) {
        HeadPass pass = new HeadPass(model, head);
        float[] scores = pass.forward(SEQS);
        float[] d = new float[scores.length];
        double l = Losses.listwiseSoftmax(scores, 0, 3, 1, d, 0.5) + Losses.listwiseSoftmax(scores, 3, 4, 3, d, 0.5);
        if (backward) {
            pass.backward(d);
        }
        return l;
    }

    static double numeric(GPT2 model, LinearHead head, float[] array, int i) {
        float keep = array[i];
        double eps = 1e-2;
        array[i] = (float) (keep + eps);
        double up = loss(model, head, false);
        array[i] = (float) (keep - eps);
        double down = loss(model, head, false);
        array[i] = keep;
        return (up - down) / (2 * eps);
    }

    @Test
    void fullModelAndHeadGradientsMatchFiniteDifferences() {
        GPT2 model = GPT2.randomInit(CFG, 11, 0.3f);
        LinearHead head = new LinearHead(CFG.channels(), 1, 4, 0.5f);
        model.zeroGrad();
        head.zeroGrad();
        loss(model, head, true);
        Random r = new Random(2);
        float[] g = model.gradients().clone();
        double largest = 0;
        for (TensorView v : model.tensors()) {
            for (int k = 0; k < 3; k++) {
                int i = v.offset() + r.nextInt(v.size());
                double num = numeric(model, head, model.parameters(), i);
                largest = Math.max(largest, Math.abs(num));
                assertEquals(num, g[i], 2e-3 + 3e-2 * Math.abs(num), v.name() + " [" + (i - v.offset()) + "]");
            }
        }
        // wte rows of tokens in the inputs get gradient; 4 rows never seen get none
        TensorView wte = model.tensor("wte.weight");
        for (int c = 0; c < CFG.channels(); c++) {
            assertEquals(0f, g[wte.offset() + 38 * CFG.channels() + c]);
        }
        float[] hg = head.gradients().clone();
        for (int i = 0; i < hg.length; i++) {
            double num = numeric(model, head, head.parameters(), i);
            assertEquals(num, hg[i], 2e-3 + 3e-2 * Math.abs(num), "head " + i);
        }
        assertEquals(true, largest > 1e-3, "the check must see non-trivial gradients");
    }

    @Test
    void loraGradientsThroughTheHiddenPathMatchFiniteDifferences() {
        GPT2 model = GPT2.randomInit(CFG, 12, 0.3f);
        LoraAdapter lora = new LoraAdapter(CFG, 2, 4, LoraAdapter.Targets.QKVO_FFN, 9);
        Random r = new Random(5);
        for (int i = 0; i < lora.parameters().length; i++) {
            lora.parameters()[i] = (float) (r.nextGaussian() * 0.3); // B = 0 at init would hide A's gradient
        }
        model.setAllTrainable(false);
        model.setAdapter(lora);
        LinearHead head = new LinearHead(CFG.channels(), 1, 4, 0.5f);
        model.zeroGrad();
        lora.zeroGrad();
        head.zeroGrad();
        float[] frozen = model.gradients().clone();
        loss(model, head, true);
        assertArrayEquals(frozen, model.gradients(), "a frozen backbone gets no gradient");
        float[] g = lora.gradients().clone();
        for (int k = 0; k < 25; k++) {
            int i = r.nextInt(g.length);
            double num = numeric(model, head, lora.parameters(), i);
            assertEquals(num, g[i], 2e-3 + 3e-2 * Math.abs(num), "lora " + i);
        }
    }

    @Test
    void paddingAfterASequenceDoesNotChangeItsScore() {
        GPT2 model = GPT2.randomInit(CFG, 13, 0.3f);
        LinearHead head = new LinearHead(CFG.channels(), 3, 4, 0.5f);
        float[] alone = new HeadPass(model, head).forward(List.of(SEQS.get(1)));
        float[] together = new HeadPass(model, head).forward(SEQS);
        assertArrayEquals(alone, Arrays.copyOfRange(together, 3, 6), 1e-5f);
        float[] sorted = Scoring.outputs(model, head, SEQS);
        assertArrayEquals(together, sorted, 1e-5f);
    }

    @Test
    void backwardHiddenNeedsAForwardHidden() {
        GPT2 model = GPT2.randomInit(CFG, 14, 0.3f);
        model.zeroGrad();
        assertThrows(IllegalStateException.class, () -> model.backwardHidden(new float[16 * 16]));
        model.forwardHidden(new int[] {1, 2, 3}, 1, 3);
        model.backwardHidden(new float[3 * 16]);
        assertThrows(IllegalStateException.class, () -> model.backwardHidden(new float[3 * 16]));
    }
}
