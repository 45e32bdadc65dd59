package dev.finetune.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

class LoraAdapterTest {
    static final GPT2Config CFG = GPT2Config.of(37, 16, 16, 2, 2);
    static final int B = 2;
    static final int T = 7;

    static int[][] batch() {
        Random r = new Random(9);
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(CFG.vocabSize());
            targets[i] = i % 3 == 0 ? GPT2.IGNORE_INDEX : r.nextInt(CFG.vocabSize());
        }
        return new int[][] {tokens, targets};
    }

    static GPT2 frozenBase() {
        GPT2 m = GPT2.randomInit(CFG, 4, 0.3f);
        m.setAllTrainable(false);
        return m;
    }

    @ParameterizedTest
    @EnumSource(LoraAdapter.Targets.class)
    void aFreshAdapterLeavesTheModelExactlyAsItWas(LoraAdapter.Targets targets) {
        int[][] d = batch();
        GPT2 m = frozenBase();
        float base = m.forward(d[0], d[1], B, T);
        m.setAdapter(new LoraAdapter(CFG, 4, 8, targets, 1));
        assertEquals(base, m.forward(d[0], d[1], B, T), 0f);
    }

    @ParameterizedTest
    @EnumSource(LoraAdapter.Targets.class)
    void gradientsMatchFiniteDifferences(LoraAdapter.Targets targets) {
        int[][] d = batch();
        GPT2 m = frozenBase();
        LoraAdapter lora = new LoraAdapter(CFG, 2, 4, targets, 2);
        Random r = new Random(5);
        float[] p = lora.parameters();
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0f) {
                p[i] = (float) (r.nextGaussian() * 0.2); // B away from 0 so A's gradient is not 0
            }
        }
        m.setAdapter(lora);
        m.forward(d[0], d[1], B, T);
        m.zeroGrad();
        lora.zeroGrad();
        m.backward();
        float[] g = lora.gradients().clone();
        int checked = 0;
        for (int i = 0; i < p.length; i += Math.max(1, p.length / 40)) {
            float keep = p[i];
            float eps = 1e-2f;
            p[i] = keep + eps;
            double up = m.forward(d[0], d[1], B, T);
            p[i] = keep - eps;
            double down = m.forward(d[0], d[1], B, T);
            p[i] = keep;
            double num = (up - down) / (2 * eps);
            assertEquals(num, g[i], 2e-3 + 5e-2 * Math.abs(num), "d lora[" + i + "] (" + targets + ")");
            checked++;
        }
        assertEquals(true, checked >= 20);
    }

    @ParameterizedTest
    @EnumSource(LoraAdapter.Targets.class)
    void mergingGivesTheSameLogitsAndSavedWeightsLoadBack(LoraAdapter.Targets targets, @TempDir Path dir) {
        int[][] d = batch();
        GPT2 m = frozenBase();
        LoraAdapter lora = new LoraAdapter(CFG, 3, 6, targets, 3);
        Random r = new Random(6);
        for (int i = 0; i < lora.parameters().length; i++) {
            lora.parameters()[i] += (float) (r.nextGaussian() * 0.1);
        }
        m.setAdapter(lora);
        m.forward(d[0], B, T);
        float[] withAdapter = m.logits().clone();
        Path f = dir.resolve("adapter.safetensors");
        lora.save(f, 6);
        LoraAdapter back = new LoraAdapter(CFG, 3, 6, targets, 99);
        back.load(f);
        assertArrayEquals(lora.parameters(), back.parameters());
        m.setAdapter(null);
        back.mergeInto(m);
        m.forward(d[0], B, T);
        float[] merged = m.logits();
        for (int i = 0; i < withAdapter.length; i++) {
            assertEquals(withAdapter[i], merged[i], 1e-4 + 1e-4 * Math.abs(withAdapter[i]), "logit " + i);
        }
    }
}
