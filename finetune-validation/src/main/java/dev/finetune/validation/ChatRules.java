package dev.finetune.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.datasets.DatasetType;
import dev.finetune.tokenizer.Tokenizer;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code chat-finetune-input}: {@code {"messages": [{"role", "content"}, ...]}}. Roles are System,
 * User and Chatbot in any letter case (stored capitalized). The first System message is the preamble
 * (at most 2048 tokens); later ones are ordinary speakers. A turn is every message after the previous
 * Chatbot message up to and including the next one; a turn over 16384 tokens is dropped together with
 * the turns after it (their context would include it), and a conversation left with no turn is dropped.
 */
final class ChatRules extends Rules {
    static final int MAX_PREAMBLE_TOKENS = 2048;
    static final int MAX_TURN_TOKENS = 16384;
    static final String SCHEMA = "{\"messages\": [{\"role\": \"System\", \"content\": \"...\"}, "
            + "{\"role\": \"User\", \"content\": \"...\"}, {\"role\": \"Chatbot\", \"content\": \"...\"}]}";

    ChatRules(Tokenizer tokenizer) {
        super(tokenizer);
    }

    @Override
    DatasetType type() {
        return DatasetType.CHAT_FINETUNE_INPUT;
    }

    @Override
    String schema() {
        return SCHEMA;
    }

    @Override
    int minTrainExamples() {
        return 1;
    }

    @Override
    Example check(JsonNode record, long line, PartStats stats) throws RowError {
        checkObject(record, line, this);
        JsonNode messages = required(record, "messages", line);
        if (!messages.isArray()) {
            throw new RowError(Messages.wrongType("messages", "a list of messages", line));
        }
        int n = messages.size();
        String[] roles = new String[n];
        String[] contents = new String[n];
        int preambleAt = -1;
        boolean user = false;
        boolean chatbot = false;
        for (int i = 0; i < n; i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw new RowError(Messages.wrongType("messages", "a list of objects with role and content", line));
            }
            String role = requiredText(m, "role", line);
            contents[i] = requiredText(m, "content", line);
            switch (role.toLowerCase(Locale.ROOT)) {
                case "system":
                    roles[i] = "System";
                    if (preambleAt < 0) {
                        preambleAt = i;
                    }
                    break;
                case "user":
                    roles[i] = "User";
                    user = true;
                    break;
                case "chatbot":
                    roles[i] = "Chatbot";
                    chatbot = true;
                    break;
                default:
                    throw new RowError(Messages.extraSpeaker(role, line));
            }
        }
        if (!user) {
            throw new RowError(Messages.missingUser(), Messages.missingUser(line));
        }
        if (!chatbot) {
            throw new RowError(Messages.missingChatbot(), Messages.missingChatbot(line));
        }
        int total = 0;
        if (preambleAt >= 0) {
            int p = tokenizer.countTokens(contents[preambleAt]);
            if (p > MAX_PREAMBLE_TOKENS) {
                stats.preamblesTooLong.add(line);
                return null;
            }
            total += p;
            if (stats.preamble.isEmpty()) {
                stats.preamble = Optional.of(contents[preambleAt]);
            }
        }
        // Walk the turns; keep messages up to the end of the last turn before the first too-long one.
        int keptEnd = n;
        int keptTurns = 0;
        int tooLongTurns = 0;
        int turnTokens = 0;
        int keptTokens = total;
        boolean cut = false;
        for (int i = 0; i < n; i++) {
            if (i == preambleAt) {
                continue;
            }
            turnTokens += tokenizer.countTokens(contents[i]);
            if (roles[i].equals("Chatbot")) {
                if (turnTokens > MAX_TURN_TOKENS) {
                    tooLongTurns++;
                    if (!cut) {
                        cut = true;
                        keptEnd = lastTurnEnd(roles, i, preambleAt);
                    }
                } else if (!cut) {
                    keptTurns++;
                    keptTokens += turnTokens;
                }
                turnTokens = 0;
            }
        }
        if (!cut) {
            keptTokens += turnTokens; // trailing messages after the last Chatbot reply
        }
        if (tooLongTurns > 0) {
            stats.tooManyTokenPairs.add(line + ":" + tooLongTurns);
        }
        if (keptTurns == 0) {
            stats.tooManyTokens++;
            return null;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode arr = out.putArray("messages");
        for (int i = 0; i < keptEnd; i++) {
            arr.addObject().put("role", roles[i]).put("content", contents[i]);
        }
        return new Example(out, keptTokens, keptTurns);
    }

    /** The index just past the Chatbot message that ends the turn before the one ending at {@code chatbotAt}. */
    private static int lastTurnEnd(String[] roles, int chatbotAt, int preambleAt) {
        for (int j = chatbotAt - 1; j >= 0; j--) {
            if (j != preambleAt && roles[j].equals("Chatbot")) {
                return j + 1;
            }
        }
        return 0;
    }
}
