package dev.finetune.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class PromptCompletionTemplateTest {
    static final CharTokenizer CHARS = new CharTokenizer();
    static final PromptCompletionTemplate T = new PromptCompletionTemplate(CHARS, 0);

    @Test
    void trainsTheCompletionAndItsEndOnly() {
        ChatTemplate.Example e = T.example("Q: ", "ab", 100);
        assertEquals("Q: ab<0>", CHARS.decode(e.tokens()));
        assertEquals(3, e.trainedCount());
        int[] targets = e.targets();
        assertEquals(-100, targets[0]);
        assertEquals(-100, targets[1]);
        assertEquals(CHARS.encode("a")[0], targets[2]);
        assertEquals(0, targets[4]);
    }

    @Test
    void aLongPromptLosesItsStart() {
        ChatTemplate.Example e = T.example("0123456789", "xy", 6);
        assertEquals("789xy<0>", CHARS.decode(e.tokens()));
    }

    @Property(tries = 300)
    void fitsAndTrainsSomething(@ForAll @StringLength(max = 40) String prompt,
                                @ForAll @StringLength(min = 1, max = 40) String completion,
                                @ForAll @IntRange(min = 3, max = 60) int maxTokens) {
        ChatTemplate.Example e = T.example(prompt, completion, maxTokens);
        assertTrue(e.tokens().length <= maxTokens);
        assertTrue(e.trainedCount() >= 1);
        assertTrue(!e.trained()[0]);
    }
}
