package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GradientAccumulationTest {
    @Test
    void microBatchesNormalizedByTheWholeBatchGiveTheFullBatchGradient() {
        GPT2Config cfg = GPT2Config.of(41, 16, 16, 2, 2);
        int B = 4;
        int T = 9;
        Random r = new Random(3);
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(41);
            targets[i] = r.nextInt(5) == 0 ? GPT2.IGNORE_INDEX : r.nextInt(41);
        }
        int total = (int) Arrays.stream(targets).filter(t -> t != GPT2.IGNORE_INDEX).count();
        GPT2 m = GPT2.randomInit(cfg, 1, 0.3f);
        m.forward(tokens, targets, B, T);
        m.zeroGrad();
        m.backward();
        float[] full = m.gradients().clone();
        m.zeroGrad();
        for (int half = 0; half < 2; half++) {
            int[] tk = Arrays.copyOfRange(tokens, half * 2 * T, (half + 1) * 2 * T);
            int[] tg = Arrays.copyOfRange(targets, half * 2 * T, (half + 1) * 2 * T);
            m.forward(tk, tg, 2, T);
            m.backward(total);
        }
        float[] acc = m.gradients();
        for (int i = 0; i < full.length; i++) {
            assertEquals(full[i], acc[i], 1e-6 + 1e-4 * Math.abs(full[i]), "gradient " + i);
        }
    }
}
