package dev.finetune.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The documented truncation of rerank (whole query, passage gets the rest of 510) and classify (512) inputs. */
class TaskInputsProperties {
    static final int EOT = 99_999;

    @Property(tries = 300)
    void rerankKeepsTheWholeQueryAndFillsTheRestWithThePassage(@ForAll @Size(max = 700) int[] query,
                                                              @ForAll @Size(max = 900) int[] passage,
                                                              @ForAll @IntRange(min = 3, max = 600) int max) {
        int[] s = TaskInputs.rerank(query, passage, max, EOT);
        assertTrue(s.length <= max, "length " + s.length + " > " + max);
        assertEquals(EOT, s[s.length - 1]);
        int q = Math.min(query.length, max - 2 - (passage.length > 0 ? 1 : 0));
        assertArrayEquals(Arrays.copyOf(query, q), Arrays.copyOf(s, q), "the query comes first");
        assertEquals(EOT, s[q], "then the separator");
        int p = s.length - q - 2;
        assertTrue(p >= Math.min(1, passage.length), "at least one passage token when there is one");
        assertArrayEquals(Arrays.copyOf(passage, p), Arrays.copyOfRange(s, q + 1, q + 1 + p), "then the passage's start");
        if (query.length + passage.length + 2 <= max) {
            assertEquals(query.length + passage.length + 2, s.length, "nothing is cut when everything fits");
        } else if (query.length <= max - 3 && passage.length > 0) {
            assertEquals(max, s.length, "the passage takes every token the query leaves");
        }
    }

    @Property(tries = 300)
    void classifyKeepsTheStartOfTheText(@ForAll @Size(max = 900) int[] text, @ForAll @IntRange(min = 1, max = 600) int max) {
        int[] s = TaskInputs.classify(text, max, EOT);
        assertEquals(Math.min(text.length + 1, max), s.length);
        assertEquals(EOT, s[s.length - 1]);
        assertArrayEquals(Arrays.copyOf(text, s.length - 1), Arrays.copyOf(s, s.length - 1));
    }

    @Test
    void theDocumentedLimits() {
        int[] query = new int[600];
        int[] s = TaskInputs.rerank(new int[20], new int[2000], TaskInputs.RERANK_MAX_TOKENS, EOT);
        assertEquals(510, s.length);
        assertEquals(512, TaskInputs.classify(new int[2000], TaskInputs.CLASSIFY_MAX_TOKENS, EOT).length);
        assertEquals(510, TaskInputs.rerank(query, new int[5], 510, EOT).length, "an over-long query is cut to leave one passage token");
        assertThrows(IllegalArgumentException.class, () -> TaskInputs.rerank(new int[1], new int[1], 2, EOT));
    }
}
