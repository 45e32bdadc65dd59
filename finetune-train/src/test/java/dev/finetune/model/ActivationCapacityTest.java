package dev.finetune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Activation buffers grow by size, not by shape: few long rows, then many short rows, must not allocate
 * for many long rows (that product exhausted the heap while evaluating a reranker).
 */
class ActivationCapacityTest {
    @Test
    void capacityFollowsTheLargestPassNotTheLargestBatchTimesTheLongestRow() {
        GPT2 m = GPT2.randomInit(GPT2Config.of(50, 64, 16, 1, 2), 1, 0.2f);
        m.forwardHidden(new int[2 * 60], 2, 60);
        m.forwardHidden(new int[100 * 3], 100, 3);
        assertEquals(300, m.activations().capBT);
        assertEquals(2L * 60 * 60, m.activations().capBTT);
        // and every shape still computes what a fresh model computes
        int[] tokens = new int[8 * 5];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7) % 50;
        }
        m.forward(tokens, 8, 5);
        float[] reused = Arrays.copyOf(m.logits(), 8 * 5 * 50);
        GPT2 fresh = GPT2.randomInit(GPT2Config.of(50, 64, 16, 1, 2), 1, 0.2f);
        fresh.forward(tokens, 8, 5);
        assertArrayEquals(Arrays.copyOf(fresh.logits(), 8 * 5 * 50), reused);
    }
}
