package dev.finetune.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.chat.ChatMessage;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelTemplateTest {

    static ModelTemplate template(String family) {
        return ModelTemplate.load(ReferenceFamilies.dir(family), ReferenceFamilies.tokenizer(family)).orElseThrow()
                .withVariables(Map.of("date_string", "26 Jul 2024"));
    }

    /** The text of the trained ids, and of the ids in the trained run's place. */
    private static String trainedText(ByteLevelBpe tok, ChatTemplate.Example e) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < e.tokens().length; i++) {
            if (e.trained()[i]) {
                ids.add(e.tokens()[i]);
            }
        }
        return tok.decode(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Trained positions form one run at the end of the prompt. */
    private static void assertOneRun(ChatTemplate.Example e) {
        int first = -1;
        int last = -1;
        for (int i = 0; i < e.trained().length; i++) {
            if (e.trained()[i]) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        for (int i = first; i <= last; i++) {
            assertTrue(e.trained()[i], "trained positions are contiguous");
        }
    }

    static List<ChatMessage> conversation(boolean system) {
        List<ChatMessage> c = new ArrayList<>();
        if (system) {
            c.add(ChatMessage.system("You answer in one line."));
        }
        c.add(ChatMessage.user("Hi, what is 2+2?"));
        c.add(ChatMessage.assistant("2+2 equals 4."));
        c.add(ChatMessage.user("And 3+3?"));
        c.add(ChatMessage.assistant("It is 6, <|im_end|> as text."));
        return c;
    }

    @ParameterizedTest
    @ValueSource(strings = {"smollm2", "qwen2.5", "llama3.2"})
    void theLossCoversExactlyEachAssistantTurnAndItsEndOfTurn(String family) {
        ModelTemplate t = template(family);
        ByteLevelBpe tok = t.tokenizer();
        for (boolean system : new boolean[] {false, true}) {
            List<ChatMessage> conv = conversation(system);
            ModelTemplate.Examples ex = t.examples(conv, 4096);
            assertEquals(2, ex.examples().size());
            assertEquals(0, ex.truncated());
            List<ChatMessage> answers = conv.stream().filter(m -> m.role() == dev.finetune.chat.ChatRole.ASSISTANT).toList();
            for (int k = 0; k < 2; k++) {
                ChatTemplate.Example e = ex.examples().get(k);
                assertOneRun(e);
                assertEquals(answers.get(k).content() + t.endOfTurn(), trainedText(tok, e), family + " system=" + system);
                // the prompt part is exactly what chat inference sends for the conversation so far
                int at = conv.indexOf(answers.get(k));
                int[] prompt = t.prompt(conv.subList(0, at), 4096).ids();
                assertArrayEquals(prompt, Arrays.copyOf(e.tokens(), prompt.length), family);
                assertFalse(e.trained()[prompt.length - 1]);
                assertTrue(e.trained()[prompt.length]);
            }
            // text the assistant wrote never became the control token: one end-of-turn id in the trained run
            ChatTemplate.Example last = ex.examples().get(1);
            long eots = 0;
            for (int i = 0; i < last.tokens().length; i++) {
                if (last.trained()[i] && last.tokens()[i] == t.endOfTurnId()) {
                    eots++;
                }
            }
            assertEquals(1, eots);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"smollm2", "qwen2.5", "llama3.2"})
    void longConversationsDropOldTurnsFirstAndSayHowManyWereCut(String family) {
        ModelTemplate t = template(family);
        List<ChatMessage> conv = new ArrayList<>();
        conv.add(ChatMessage.system("Be brief."));
        for (int i = 0; i < 6; i++) {
            conv.add(ChatMessage.user("Question number " + i + " is about the weather in a long sentence."));
            conv.add(ChatMessage.assistant("Answer " + i + "."));
        }
        int full = t.examples(conv, 100_000).examples().get(5).tokens().length;
        ModelTemplate.Examples ex = t.examples(conv, full - 20);
        assertTrue(ex.truncated() >= 1);
        for (ChatTemplate.Example e : ex.examples()) {
            assertTrue(e.tokens().length <= full - 20);
        }
        assertEquals("Answer 5." + t.endOfTurn(), trainedText(t.tokenizer(), ex.examples().get(5)));
        String p = t.tokenizer().decode(ex.examples().get(5).tokens());
        assertTrue(p.contains("Be brief."), "the system message is kept: " + p);
        assertFalse(p.contains("Question number 0"), p);
    }

    @ParameterizedTest
    @ValueSource(strings = {"smollm2", "qwen2.5", "llama3.2"})
    void stopIdsIncludeTheEndOfTurnAndTheConfigsEos(String family) {
        ModelTemplate t = template(family);
        int[] stops = t.stopIds();
        assertTrue(Arrays.stream(stops).anyMatch(i -> i == t.endOfTurnId()));
        if (family.equals("llama3.2")) {
            for (int id : new int[] {128001, 128008, 128009}) {
                assertTrue(Arrays.stream(stops).anyMatch(i -> i == id), "eos id " + id);
            }
        }
        if (family.equals("qwen2.5")) {
            assertTrue(Arrays.stream(stops).anyMatch(i -> i == 151643), "<|endoftext|>");
        }
    }
}
