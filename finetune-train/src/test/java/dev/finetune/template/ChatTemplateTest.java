package dev.finetune.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.chat.ChatMessage;
import dev.finetune.tokenizer.Tokenizer;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    static final Tokenizer CHARS = new CharTokenizer();
    static final ChatTemplate.Ids IDS = new ChatTemplate.Ids(0, 1, 2, 3, 4, 5);
    static final ChatTemplate T = new ChatTemplate(CHARS, IDS);

    @Test
    void rendersOneExamplePerChatbotTurnAndTrainsOnlyTheAnswers() {
        List<ChatTemplate.Example> ex = T.examples(List.of(ChatMessage.system("be brief"), ChatMessage.user("hi"),
                ChatMessage.assistant("yo"), ChatMessage.user("why"), ChatMessage.assistant("ok")), 1000);
        assertEquals(2, ex.size());
        ChatTemplate.Example first = ex.get(0);
        assertEquals("<0><1><3>be brief<2><1><4>hi<2><1><5>yo<2>", CHARS.decode(first.tokens()));
        // trained: "y", "o" and the end-of-turn after them
        assertEquals(3, first.trainedCount());
        int n = first.tokens().length;
        assertTrue(first.trained()[n - 1] && first.trained()[n - 2] && first.trained()[n - 3]);
        assertFalse(first.trained()[n - 4]);
        ChatTemplate.Example second = ex.get(1);
        assertEquals("<0><1><3>be brief<2><1><4>hi<2><1><5>yo<2><1><4>why<2><1><5>ok<2>", CHARS.decode(second.tokens()));
        assertEquals(3, second.trainedCount(), "the earlier answer is context in the second example");
        int[] targets = second.targets();
        assertEquals(second.tokens().length - 1, targets.length);
        assertEquals(CHARS.encode("k")[0], targets[targets.length - 2]);
        assertEquals(IDS.endOfTurn(), targets[targets.length - 1]);
        assertEquals(-100, targets[0]);
    }

    @Test
    void laterSystemMessagesAreTurnsNotPreambles() {
        List<ChatTemplate.Example> ex = T.examples(List.of(ChatMessage.user("a"), ChatMessage.system("b"),
                ChatMessage.assistant("c")), 1000);
        assertEquals("<0><1><4>a<2><1><3>b<2><1><5>c<2>", CHARS.decode(ex.get(0).tokens()));
    }

    @Test
    void dropsOldestTurnsFirstAndKeepsThePreamble() {
        List<ChatMessage> conv = List.of(ChatMessage.system("P"), ChatMessage.user("aaaaaaaaaa"),
                ChatMessage.assistant("bbbbbbbbbb"), ChatMessage.user("cc"), ChatMessage.assistant("dd"));
        // full second example: 1 + 4 + 13 + 13 + 5 + 5 = 41 tokens; allow 20
        ChatTemplate.Example e = T.examples(conv, 20).get(1);
        assertEquals("<0><1><3>P<2><1><4>cc<2><1><5>dd<2>", CHARS.decode(e.tokens()));
    }

    @Test
    void aTooLongAnswerIsCutAtTheEndAndItsEndIsNotTrained() {
        ChatTemplate.Example e = T.examples(List.of(ChatMessage.user("q"), ChatMessage.assistant("x".repeat(50))), 12).get(0);
        assertEquals(12, e.tokens().length);
        assertEquals(IDS.bos(), e.tokens()[0]);
        assertTrue(e.tokens()[e.tokens().length - 1] != IDS.endOfTurn());
    }

    @Test
    void promptEndsWithTheChatbotHeader() {
        int[] p = T.prompt(List.of(ChatMessage.user("hi")), 100);
        assertEquals("<0><1><4>hi<2><1><5>", CHARS.decode(p));
        int[] cut = T.prompt(List.of(ChatMessage.system("sys"), ChatMessage.user("old"), ChatMessage.assistant("x"),
                ChatMessage.user("new")), 15);
        assertEquals("<0><1><3>sys<2><1><4>new<2><1><5>", CHARS.decode(cut));
    }

    @Property(tries = 300)
    void examplesNeverExceedTheContextAndAlwaysTrainSomething(@ForAll @StringLength(max = 60) String user,
                                                              @ForAll @StringLength(min = 1, max = 60) String answer,
                                                              @ForAll @IntRange(min = 8, max = 80) int maxTokens) {
        List<ChatTemplate.Example> ex = T.examples(List.of(ChatMessage.system("preamble"), ChatMessage.user(user),
                ChatMessage.assistant(answer)), maxTokens);
        assertEquals(1, ex.size());
        ChatTemplate.Example e = ex.get(0);
        assertTrue(e.tokens().length <= maxTokens);
        assertTrue(e.trainedCount() >= 1);
        assertEquals(IDS.bos(), e.tokens()[0]);
        for (int i = 0; i < e.tokens().length; i++) {
            if (e.trained()[i]) {
                assertTrue(e.tokens()[i] >= 6 || e.tokens()[i] == IDS.endOfTurn());
            }
        }
        if (1 + 11 + user.length() + 3 + answer.length() + 3 <= maxTokens) {
            assertArrayEquals(CHARS.encode(answer), java.util.Arrays.copyOfRange(e.tokens(),
                    e.tokens().length - 1 - answer.length(), e.tokens().length - 1));
            assertEquals(answer.length() + 1, e.trainedCount());
        }
    }
}
