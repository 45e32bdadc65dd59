package dev.finetune.validation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MessagesTest {
    @Test
    void everyTextTheValidatorBuildsIsRecognizedAsDocumented() {
        List<String> all = List.of(Messages.extraSpeaker("Bot", 3), Messages.missingChatbot(1), Messages.missingUser(2),
                Messages.preamblesTooLong(false, List.of(1L, 2L), 2048), Messages.preamblesTooLong(true, List.of(1L), 2048),
                Messages.tooManyTokens(false, "3:1"), Messages.tooManyTokens(true, "3:1, 4:2"),
                Messages.notEnoughValid(1, 4, 1, 1, 1, Messages.REQUIRE_2_NO_EVAL), Messages.AUTO_SPLIT,
                Messages.requiredField("messages", 9), Messages.csvHeader(List.of("text", "label")),
                Messages.notJsonl(1, "chat-finetune-input", ChatRules.SCHEMA), Messages.invalidJson(2, "Unexpected end"),
                Messages.lineTooLong(5, 16 << 20), Messages.wrongType("label", "a list of labels", 3),
                Messages.emptyField("text", 4), Messages.csvFieldCount(3, 2, 7), Messages.unterminatedQuote(8),
                Messages.incorrectlyEncoded(true, 2, List.of(1L, 2L)), Messages.duplicates(false, 1), Messages.skipped("x"),
                Messages.skippedMore(5), Messages.moreErrors(3), Messages.leakage(2), Messages.leakage(1),
                Messages.passageBothRelevantAndNegative(3), Messages.hardNegativesRemoved(false, 2),
                Messages.pairsTruncated(1, 510), Messages.pairsTruncated(7, 510), Messages.notEnoughQueries(3, 256),
                Messages.notEnoughLabels(1), Messages.tooFewPerLabel("a (1)", 5), "invalid eval file: " + Messages.missingUser(1));
        for (String m : all) {
            assertTrue(Messages.isDocumented(m), m);
        }
    }

    @Test
    void otherTextsAreNotDocumented() {
        for (String m : List.of("", "java.lang.NullPointerException", "Unexpected character ('<' (code 60))",
                "missing Chatbot in example", "line x is not valid JSON: y", "invalid eval file: boom")) {
            assertFalse(Messages.isDocumented(m), m);
        }
    }

    @Test
    void theDocumentedServiceTextsAreWordForWord() {
        assertTrue(Messages.AUTO_SPLIT.equals("dataset has 0 valid eval rows. dataset will be auto-split"));
        assertTrue(Messages.requiredField("query", 12).equals("The required field query was not found in the dataset (line: 12)"));
        assertTrue(Messages.csvHeader(List.of("text", "label")).equals(
                "csv files must have a header with the required fields: [text, label]"));
    }
}
