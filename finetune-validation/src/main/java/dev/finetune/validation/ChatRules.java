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
 * The warning names each such conversation by its 0-based index in its file (train or eval) and the
 * number of its turns that were dropped; {@link #cut} is the one place the rule is applied, so the
 * warning, the turn counts in the metrics and the stored part the trainer reads always agree.
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
        Cut cut = cut(roles, contents, preambleAt);
        if (cut.droppedTurns() > 0) {
            stats.tooLongConversation(stats.received - 1, cut.droppedTurns());
        }
        if (cut.keptTurns() == 0) {
            stats.tooManyTokens++;
            return null;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode arr = out.putArray("messages");
        for (int i = 0; i < roles.length; i++) {
            if (i >= cut.keptEnd() && i != preambleAt) {
                continue;
            }
            arr.addObject().put("role", roles[i]).put("content", contents[i]);
        }
        return new Example(out, total + cut.keptTokens(), cut.keptTurns());
    }

    /**
     * What the too-long-turn rule keeps of a conversation: the messages {@code [0, keptEnd)}, holding
     * {@code keptTurns} turns and {@code keptTokens} tokens (preamble not included); {@code droppedTurns}
     * turns are dropped, the first one over {@link #MAX_TURN_TOKENS} and every turn after it.
     */
    record Cut(int keptEnd, int keptTurns, int droppedTurns, int keptTokens) {
    }

    /**
     * The one place the rule is applied: a turn (the messages after the previous Chatbot message up to and
     * including the next one, the preamble left out) over {@link #MAX_TURN_TOKENS} tokens is dropped with
     * every turn after it, since their context would include it. Messages after the last Chatbot message
     * are not a turn; they are kept when nothing is cut.
     */
    Cut cut(String[] roles, String[] contents, int preambleAt) {
        int n = roles.length;
        int kept = 0;
        int keptEnd = 0;
        int keptTokens = 0;
        int turns = 0;
        int turnTokens = 0;
        boolean cutting = false;
        for (int i = 0; i < n; i++) {
            if (i == preambleAt) {
                continue;
            }
            if (!cutting) {
                turnTokens += tokenizer.countTokens(contents[i]);
            }
            if (roles[i].equals("Chatbot")) {
                turns++;
                if (!cutting && turnTokens > MAX_TURN_TOKENS) {
                    cutting = true;
                } else if (!cutting) {
                    kept++;
                    keptEnd = i + 1;
                    keptTokens += turnTokens;
                }
                turnTokens = 0;
            }
        }
        if (!cutting) {
            return new Cut(n, kept, 0, keptTokens + turnTokens); // trailing messages after the last Chatbot reply stay
        }
        return new Cut(keptEnd, kept, turns - kept, keptTokens);
    }
}
