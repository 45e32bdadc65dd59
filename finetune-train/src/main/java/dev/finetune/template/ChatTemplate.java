package dev.finetune.template;

import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRole;
import dev.finetune.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The chat template: how a conversation becomes tokens for training and for answering.
 *
 * <pre>
 * &lt;|endoftext|&gt;
 * &lt;|START_OF_TURN_TOKEN|&gt;&lt;|SYSTEM_TOKEN|&gt;{preamble}&lt;|END_OF_TURN_TOKEN|&gt;     (only when there is a preamble)
 * &lt;|START_OF_TURN_TOKEN|&gt;&lt;|USER_TOKEN|&gt;{text}&lt;|END_OF_TURN_TOKEN|&gt;
 * &lt;|START_OF_TURN_TOKEN|&gt;&lt;|CHATBOT_TOKEN|&gt;{text}&lt;|END_OF_TURN_TOKEN|&gt;
 * ...
 * </pre>
 * with nothing between the pieces (the line breaks above are for reading). The role markers are
 * special tokens: added ids that text never encodes to, so a user writing {@code <|USER_TOKEN|>}
 * gets plain text. To answer, the template ends with the Chatbot header and the model generates until
 * it emits {@code <|END_OF_TURN_TOKEN|>}.
 *
 * <p><b>Training.</b> Each Chatbot message with everything before it is one example (the service's
 * "turn"); the loss is on the Chatbot message's tokens and its closing end-of-turn token only.
 *
 * <p><b>Context policy</b>, when an example does not fit {@code maxTokens}: first the oldest messages
 * before the answered turn are dropped, whole, oldest first (the preamble is kept); then the
 * preamble; then the remaining user context loses tokens from its start; last, the Chatbot message
 * itself is cut at the end (its end-of-turn token is then not trained, since the answer did not end).
 * Prompts for answering follow the same order, with room for {@code max_tokens} reserved.
 */
public final class ChatTemplate {
    public static final String BOS = "<|endoftext|>";
    public static final String START_OF_TURN = "<|START_OF_TURN_TOKEN|>";
    public static final String END_OF_TURN = "<|END_OF_TURN_TOKEN|>";
    public static final String SYSTEM = "<|SYSTEM_TOKEN|>";
    public static final String USER = "<|USER_TOKEN|>";
    public static final String CHATBOT = "<|CHATBOT_TOKEN|>";
    /** Every special token the template needs, in the order they are added to a vocabulary. */
    public static final List<String> SPECIAL_TOKENS = List.of(BOS, START_OF_TURN, END_OF_TURN, SYSTEM, USER, CHATBOT);

    /** Ids of the special tokens in one vocabulary. */
    public record Ids(int bos, int startOfTurn, int endOfTurn, int system, int user, int chatbot) {
    }

    private final Tokenizer tokenizer;
    private final Ids ids;

    public ChatTemplate(Tokenizer tokenizer, Ids ids) {
        this.tokenizer = Objects.requireNonNull(tokenizer);
        this.ids = Objects.requireNonNull(ids);
    }

    public Ids ids() {
        return ids;
    }

    /**
     * One training example: {@code tokens} (n) and, per position, whether predicting that token is
     * trained. The model input is {@code tokens[0..n-1)} and the target at i is {@code tokens[i+1]}
     * when {@code trained[i+1]}, else -100 (see {@link #targets()}).
     */
    public record Example(int[] tokens, boolean[] trained) {
        /** Targets for input {@code tokens[0..n-1)}: the next token where trained, else -100. */
        public int[] targets() {
            int[] t = new int[tokens.length - 1];
            for (int i = 0; i + 1 < tokens.length; i++) {
                t[i] = trained[i + 1] ? tokens[i + 1] : -100;
            }
            return t;
        }

        /** The model input, {@code tokens[0..n-1)}. */
        public int[] inputs() {
            return java.util.Arrays.copyOf(tokens, tokens.length - 1);
        }

        public int trainedCount() {
            int c = 0;
            for (boolean b : trained) {
                c += b ? 1 : 0;
            }
            return c;
        }
    }

    /** A message's tokens framed as a turn: start, role, text, end. */
    private int[] block(ChatRole role, String text) {
        int[] body = tokenizer.encode(text);
        int[] out = new int[body.length + 3];
        out[0] = ids.startOfTurn();
        out[1] = roleId(role);
        System.arraycopy(body, 0, out, 2, body.length);
        out[out.length - 1] = ids.endOfTurn();
        return out;
    }

    private int roleId(ChatRole role) {
        if (role == ChatRole.SYSTEM) {
            return ids.system();
        }
        if (role == ChatRole.USER) {
            return ids.user();
        }
        if (role == ChatRole.ASSISTANT) {
            return ids.chatbot();
        }
        throw new dev.finetune.BadRequestException("role: \"" + role + "\" is not a role the built-in chat template has "
                + "(system, user, assistant)");
    }

    /**
     * The training examples of a conversation, one per Chatbot message, each at most {@code maxTokens}
     * tokens (the model's context plus one, since inputs and targets are shifted by one).
     * The first System message is the preamble; later System messages are ordinary turns.
     */
    public List<Example> examples(List<ChatMessage> conversation, int maxTokens) {
        if (maxTokens < 8) {
            throw new IllegalArgumentException("maxTokens must be at least 8, got " + maxTokens);
        }
        List<Example> out = new ArrayList<>();
        int[] preamble = null;
        List<int[]> history = new ArrayList<>();
        boolean first = true;
        for (ChatMessage m : conversation) {
            if (first && m.role() == ChatRole.SYSTEM) {
                preamble = block(ChatRole.SYSTEM, m.content());
                first = false;
                continue;
            }
            first = false;
            if (m.role() == ChatRole.ASSISTANT) {
                int[] answer = block(ChatRole.ASSISTANT, m.content());
                out.add(fit(preamble, history, answer, maxTokens));
                history.add(answer);
            } else {
                history.add(block(m.role(), m.content()));
            }
        }
        return out;
    }

    private Example fit(int[] preamble, List<int[]> history, int[] answer, int maxTokens) {
        int[] ctx = context(preamble, history, answer.length, maxTokens).toArray();
        int answerRoom = maxTokens - 1;
        int[] ans = answer;
        if (ans.length > answerRoom) {
            // the header and as much of the answer as fits after BOS; cut, it has no end-of-turn to train
            ans = java.util.Arrays.copyOf(answer, answerRoom);
        }
        int ctxRoom = maxTokens - ans.length;
        if (ctx.length > ctxRoom) {
            // keep BOS, cut the oldest context tokens
            int[] cut = new int[Math.max(1, ctxRoom)];
            cut[0] = ids.bos();
            System.arraycopy(ctx, ctx.length - (cut.length - 1), cut, 1, cut.length - 1);
            ctx = cut;
        }
        int n = ctx.length + ans.length;
        int[] tokens = new int[n];
        boolean[] trained = new boolean[n];
        System.arraycopy(ctx, 0, tokens, 0, ctx.length);
        System.arraycopy(ans, 0, tokens, ctx.length, ans.length);
        // trained: the answer's text and (if it ended) its end-of-turn, not its start/role header
        for (int i = ctx.length + 2; i < n; i++) {
            trained[i] = true;
        }
        return new Example(tokens, trained);
    }

    /**
     * The tokens to answer a conversation: the rendered messages, then the Chatbot header. At most
     * {@code maxTokens} tokens, dropping the oldest messages first (the preamble is kept while it
     * fits), then cutting the oldest tokens.
     */
    public int[] prompt(List<ChatMessage> conversation, int maxTokens) {
        if (maxTokens < 4) {
            throw new IllegalArgumentException("maxTokens must be at least 4, got " + maxTokens);
        }
        int[] preamble = null;
        List<int[]> history = new ArrayList<>();
        boolean first = true;
        for (ChatMessage m : conversation) {
            if (first && m.role() == ChatRole.SYSTEM) {
                preamble = block(ChatRole.SYSTEM, m.content());
            } else {
                history.add(block(m.role(), m.content()));
            }
            first = false;
        }
        int[] header = {ids.startOfTurn(), ids.chatbot()};
        IntList all = context(preamble, history, header.length, maxTokens);
        all.addAll(header);
        int[] t = all.toArray();
        if (t.length > maxTokens) {
            int[] cut = new int[maxTokens];
            cut[0] = ids.bos();
            System.arraycopy(t, t.length - (maxTokens - 1), cut, 1, maxTokens - 1);
            t = cut;
        }
        return t;
    }

    /**
     * BOS, the preamble and the newest messages that leave {@code tail} tokens of room in
     * {@code maxTokens}: whole messages are dropped oldest first (the last one always stays), then the
     * preamble; what still does not fit is cut by the caller.
     */
    private IntList context(int[] preamble, List<int[]> history, int tail, int maxTokens) {
        int historyLen = 0;
        for (int[] h : history) {
            historyLen += h.length;
        }
        int from = 0;
        while (from < history.size() - 1 && 1 + len(preamble) + historyLen + tail > maxTokens) {
            historyLen -= history.get(from++).length;
        }
        boolean keepPreamble = 1 + len(preamble) + historyLen + tail <= maxTokens;
        IntList out = new IntList();
        out.add(ids.bos());
        if (preamble != null && keepPreamble) {
            out.addAll(preamble);
        }
        for (int i = from; i < history.size(); i++) {
            out.addAll(history.get(i));
        }
        return out;
    }

    private static int len(int[] a) {
        return a == null ? 0 : a.length;
    }

    /** A growable int array (no boxing). */
    private static final class IntList {
        private int[] a = new int[64];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] vs) {
            for (int v : vs) {
                add(v);
            }
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
