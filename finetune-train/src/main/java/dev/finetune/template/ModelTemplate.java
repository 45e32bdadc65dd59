package dev.finetune.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.FinetuneException;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRole;
import dev.finetune.tokenizer.AddedToken;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A model folder's own chat template together with its tokenizer: the prompts chat inference sends,
 * the ids that end an answer, and the training examples of a conversation with their loss mask.
 *
 * <p><b>Which tokens carry loss.</b> For the Chatbot message at position k, the template renders the
 * conversation's first k messages with {@code add_generation_prompt} (the prompt P, exactly what chat
 * inference sends) and the first k+1 messages without it (F). F must start with P; the rest of F is
 * the answer: its text, the template's end-of-turn token ({@code eos_token} of
 * {@code tokenizer_config.json}) and whatever the template writes after that (ChatML's newline). The
 * example is ids(P) followed by ids(answer); the loss is on the answer's ids up to and including the
 * end-of-turn token, nothing before or after. Since ids(P) is what inference feeds the model, training
 * and answering see the same tokens.
 *
 * <p><b>Text a user wrote never becomes a control token.</b> Rendered text is encoded with the
 * template's special tokens matched; when a message itself contains a special token's spelling, the
 * messages' spans in the rendered text are encoded as ordinary text and only the template's own text
 * has special tokens.
 *
 * <p><b>Context policy</b> (an example or a prompt longer than the room): whole messages before the
 * answered one are dropped, oldest first (a leading System message is kept while anything else can
 * go), the conversation re-rendered; then the prompt loses ids from its start; last the answer is
 * cut at its end (its end-of-turn token is then not trained).
 */
public final class ModelTemplate {
    private static final ObjectMapper OM = new ObjectMapper();

    private final JinjaChatTemplate template;
    private final ByteLevelBpe tokenizer;
    private final String endOfTurn;
    private final int endOfTurnId;
    private final int[] stopIds;
    private final Map<String, Object> variables;
    private final List<String> specialTexts;

    /**
     * @param template   the model's Jinja template
     * @param tokenizer  the model's tokenizer
     * @param endOfTurn  the template's end-of-turn token text ({@code eos_token})
     * @param stopIds    every id that ends generation (end of turn, eos ids of the model's configs)
     * @param variables  extra template variables ({@code date_string}...)
     */
    public ModelTemplate(JinjaChatTemplate template, ByteLevelBpe tokenizer, String endOfTurn, int[] stopIds,
                         Map<String, Object> variables) {
        this.template = Objects.requireNonNull(template);
        this.tokenizer = Objects.requireNonNull(tokenizer);
        this.endOfTurn = Objects.requireNonNull(endOfTurn);
        this.endOfTurnId = tokenizer.tokenId(endOfTurn).orElseThrow(() -> new FinetuneException(
                "the chat template's end-of-turn token " + endOfTurn + " is not an added token of the tokenizer"));
        Set<Integer> stops = new LinkedHashSet<>();
        stops.add(endOfTurnId);
        for (int s : stopIds) {
            stops.add(s);
        }
        this.stopIds = stops.stream().mapToInt(Integer::intValue).toArray();
        this.variables = Map.copyOf(variables);
        List<String> sp = new ArrayList<>();
        for (AddedToken a : tokenizer.addedTokens()) {
            sp.add(a.content());
        }
        this.specialTexts = List.copyOf(sp);
    }

    /**
     * The template of model folder {@code dir}, when it has one: the template as {@link ChatTemplates}
     * finds it, {@code eos_token} as its end of turn, and as stop ids the end of turn, the
     * {@code eos_token_id} of {@code generation_config.json} and {@code config.json} (a number or a
     * list) and the tokenizer's {@code <|endoftext|>}.
     */
    public static Optional<ModelTemplate> load(Path dir, ByteLevelBpe tokenizer) {
        Optional<JinjaChatTemplate> t = ChatTemplates.find(dir);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        JsonNode config = ChatTemplates.tokenizerConfig(dir);
        String eos = ChatTemplates.tokenText(config.path("eos_token")).orElseThrow(() -> new FinetuneException(
                dir.resolve(ChatTemplates.TOKENIZER_CONFIG) + ": a chat template needs eos_token (its end-of-turn token)"));
        return Optional.of(new ModelTemplate(t.get(), tokenizer, eos, eosIds(dir, tokenizer), Map.of()));
    }

    /** The ids that end a sequence by the model folder's configs, plus {@code <|endoftext|>} when the tokenizer has it. */
    public static int[] eosIds(Path dir, ByteLevelBpe tokenizer) {
        Set<Integer> ids = new LinkedHashSet<>();
        for (String f : List.of("generation_config.json", "config.json")) {
            Path p = dir.resolve(f);
            if (!Files.isRegularFile(p)) {
                continue;
            }
            JsonNode n;
            try {
                n = OM.readTree(p.toFile()).path("eos_token_id");
            } catch (IOException e) {
                throw new FinetuneException(p + ": not valid JSON (" + e.getMessage() + ")", e);
            }
            if (n.isInt()) {
                ids.add(n.asInt());
            } else if (n.isArray()) {
                for (JsonNode x : n) {
                    if (!x.isInt()) {
                        throw new FinetuneException(p + ": eos_token_id must be a number or a list of numbers");
                    }
                    ids.add(x.asInt());
                }
            } else if (!n.isMissingNode() && !n.isNull()) {
                throw new FinetuneException(p + ": eos_token_id must be a number or a list of numbers");
            }
        }
        tokenizer.tokenId("<|endoftext|>").ifPresent(ids::add);
        ids.removeIf(i -> i < 0 || i >= tokenizer.vocabSize());
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The same template with more variables (e.g. {@code date_string}). */
    public ModelTemplate withVariables(Map<String, Object> more) {
        Map<String, Object> v = new LinkedHashMap<>(variables);
        v.putAll(more);
        return new ModelTemplate(template, tokenizer, endOfTurn, stopIds, v);
    }

    public JinjaChatTemplate template() {
        return template;
    }

    public ByteLevelBpe tokenizer() {
        return tokenizer;
    }

    /** The end-of-turn token's text and id. */
    public String endOfTurn() {
        return endOfTurn;
    }

    public int endOfTurnId() {
        return endOfTurnId;
    }

    /** Every id that ends an answer. */
    public int[] stopIds() {
        return stopIds.clone();
    }

    /** The rendered text of {@code messages}. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return template.render(messages, addGenerationPrompt, variables);
    }

    /** The ids of a rendered text, the messages' own text never matched as special tokens. */
    public int[] encodeRendered(String rendered, List<ChatMessage> messages) {
        boolean userSpecial = false;
        for (ChatMessage m : messages) {
            for (String s : specialTexts) {
                if (m.content().contains(s)) {
                    userSpecial = true;
                    break;
                }
            }
        }
        if (!userSpecial) {
            return tokenizer.encode(rendered, true, false);
        }
        // template text with special tokens, each message's span (as given, or trimmed) as ordinary text
        List<Integer> out = new ArrayList<>();
        int at = 0;
        for (ChatMessage m : messages) {
            String c = m.content();
            int i = c.isEmpty() ? -1 : rendered.indexOf(c, at);
            if (i < 0 && !c.strip().isEmpty()) {
                c = c.strip();
                i = rendered.indexOf(c, at);
            }
            if (i < 0) {
                if (c.isEmpty()) {
                    continue;
                }
                throw new FinetuneException("the chat template transforms a message that holds special-token text"
                        + " in a way this library cannot separate from the template's own tokens");
            }
            add(out, tokenizer.encode(rendered.substring(at, i), true, false));
            add(out, tokenizer.encode(c));
            at = i + c.length();
        }
        add(out, tokenizer.encode(rendered.substring(at), true, false));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void add(List<Integer> out, int[] ids) {
        for (int id : ids) {
            out.add(id);
        }
    }

    /** A rendered prompt: its text and ids. */
    public record Prompt(String text, int[] ids) {
    }

    /**
     * The prompt to answer {@code conversation}: rendered with {@code add_generation_prompt}, at most
     * {@code maxTokens} ids by the context policy.
     */
    public Prompt prompt(List<ChatMessage> conversation, int maxTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
        List<ChatMessage> msgs = new ArrayList<>(conversation);
        while (true) {
            String text = render(msgs, true);
            int[] ids = encodeRendered(text, msgs);
            if (ids.length <= maxTokens) {
                return new Prompt(text, ids);
            }
            int drop = toDrop(msgs);
            if (drop < 0) {
                return new Prompt(text, Arrays.copyOfRange(ids, ids.length - maxTokens, ids.length));
            }
            msgs.remove(drop);
        }
    }

    /**
     * The message of {@code msgs} to drop next: the oldest one after a leading System message, the last
     * one always kept; then the System message; -1 when only one is left.
     */
    static int toDrop(List<ChatMessage> msgs) {
        int first = !msgs.isEmpty() && msgs.get(0).role() == ChatRole.SYSTEM ? 1 : 0;
        if (msgs.size() - first > 1) {
            return first;
        }
        return first == 1 && msgs.size() > 1 ? 0 : -1;
    }

    /** The training examples of one conversation, and how many of them the context policy cut. */
    public record Examples(List<ChatTemplate.Example> examples, int truncated) {
    }

    /**
     * One example per Chatbot message, each at most {@code maxTokens} ids (the context plus one):
     * ids(prompt) + ids(answer), loss on the answer's text and its end-of-turn token.
     */
    public Examples examples(List<ChatMessage> conversation, int maxTokens) {
        if (maxTokens < 3) {
            throw new IllegalArgumentException("maxTokens must be at least 3, got " + maxTokens);
        }
        List<ChatTemplate.Example> out = new ArrayList<>();
        int truncated = 0;
        for (int k = 0; k < conversation.size(); k++) {
            if (conversation.get(k).role() != ChatRole.ASSISTANT) {
                continue;
            }
            List<ChatMessage> before = new ArrayList<>(conversation.subList(0, k));
            ChatMessage answer = conversation.get(k);
            boolean cut = false;
            while (true) {
                Turn t = turn(before, answer);
                int n = t.prompt.length + t.answer.length;
                if (n <= maxTokens || toDrop(before) < 0) {
                    if (n > maxTokens) {
                        cut = true;
                    }
                    out.add(fit(t, maxTokens));
                    break;
                }
                before.remove(toDrop(before));
                cut = true;
            }
            if (cut) {
                truncated++;
            }
        }
        return new Examples(out, truncated);
    }

    private record Turn(int[] prompt, int[] answer, int trainedAnswer) {
    }

    /** ids(P), ids(answer) and how many answer ids carry loss (through the end-of-turn token). */
    private Turn turn(List<ChatMessage> before, ChatMessage answer) {
        String p = render(before, true);
        List<ChatMessage> all = new ArrayList<>(before);
        all.add(answer);
        String f = render(all, false);
        if (!f.startsWith(p)) {
            throw new FinetuneException("the chat template renders the conversation before a Chatbot turn differently"
                    + " with add_generation_prompt than as the start of the conversation with the turn; cannot find"
                    + " the turn's tokens (prompt ends \"" + tail(p) + "\", conversation has \"" + tail(f.substring(0,
                    Math.min(f.length(), p.length()))) + "\")");
        }
        String a = f.substring(p.length());
        String c = answer.content().strip();
        int cAt = c.isEmpty() ? -1 : a.indexOf(c);
        int end = a.indexOf(endOfTurn, cAt < 0 ? 0 : cAt + c.length());
        if (end < 0) {
            throw new FinetuneException("the chat template does not close a Chatbot turn with its end-of-turn token " + endOfTurn);
        }
        String body = a.substring(0, end + endOfTurn.length());
        int[] ans = encodeRendered(a, List.of(answer));
        int trained = encodeRendered(body, List.of(answer)).length;
        // the ids of the answer through its end of turn must be a prefix of the answer's ids
        if (trained > ans.length || ans[trained - 1] != endOfTurnId) {
            throw new FinetuneException("the end-of-turn token " + endOfTurn + " does not end the answer's tokens");
        }
        return new Turn(encodeRendered(p, before), ans, trained);
    }

    private static String tail(String s) {
        String t = s.length() > 40 ? s.substring(s.length() - 40) : s;
        return t.replace("\n", "\\n");
    }

    private static ChatTemplate.Example fit(Turn t, int maxTokens) {
        int[] ans = t.answer;
        int trainedLen = t.trainedAnswer;
        if (ans.length > maxTokens - 1) {
            ans = Arrays.copyOf(ans, maxTokens - 1);
            trainedLen = Math.min(trainedLen, ans.length);
        }
        int[] prompt = t.prompt;
        int room = maxTokens - ans.length;
        if (prompt.length > room) {
            prompt = Arrays.copyOfRange(prompt, prompt.length - room, prompt.length);
        }
        int n = prompt.length + ans.length;
        int[] tokens = new int[n];
        boolean[] trained = new boolean[n];
        System.arraycopy(prompt, 0, tokens, 0, prompt.length);
        System.arraycopy(ans, 0, tokens, prompt.length, ans.length);
        // position 0 is never a target (no context before it)
        for (int i = Math.max(1, prompt.length); i < prompt.length + trainedLen; i++) {
            trained[i] = true;
        }
        return new ChatTemplate.Example(tokens, trained);
    }
}
