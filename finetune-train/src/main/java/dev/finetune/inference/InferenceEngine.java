package dev.finetune.inference;

import dev.finetune.BadRequestException;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatResponse;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.chat.FinishReason;
import dev.finetune.chat.Usage;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import dev.finetune.generate.Generation;
import dev.finetune.generate.ReturnLikelihoods;
import dev.finetune.generate.TokenLikelihood;
import dev.finetune.template.ChatTemplate;
import dev.finetune.template.ModelTemplate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Answers chat and generate requests with a {@link LoadedModel}: renders the prompt, decodes with the
 * KV cache, applies stop sequences, and shapes the v2 responses. Stateless and thread-safe.
 *
 * <p>Generation ends with {@code COMPLETE} at the model's end-of-sequence ids: the chat template's
 * end of turn, {@code <|endoftext|>} and the {@code eos_token_id}s of the model's configs; the end
 * token is not part of the answer, and no special token's text ever is.
 *
 * <p>Defaults where a request is silent, as the service documented them: chat temperature 0.3,
 * generate temperature 0.75; {@code p} 0.75; {@code k} 0 (off); chat {@code max_tokens} up to the
 * model's remaining context (at most 512); generate {@code max_tokens} 20. Without a seed each request
 * draws a fresh one.
 */
public final class InferenceEngine {
    static final float CHAT_TEMPERATURE = 0.3f;
    static final float GENERATE_TEMPERATURE = 0.75f;
    static final float DEFAULT_P = 0.75f;
    static final int CHAT_MAX_TOKENS = 512;
    static final int GENERATE_MAX_TOKENS = 20;

    private InferenceEngine() {
    }

    /** A non-streaming chat answer (with the rendered prompt when the request asks for it). */
    public static ChatResponse chat(LoadedModel m, ChatRequest req) {
        StringBuilder text = new StringBuilder();
        ChatStreamEvent[] end = new ChatStreamEvent[1];
        String prompt = chatRun(m, req, e -> {
            if (e.isEnd()) {
                end[0] = e;
            } else {
                text.append(e.text().orElse(""));
            }
        });
        return new ChatResponse(UUID.randomUUID().toString(), end[0].finishReason().orElseThrow(),
                ChatResponse.AssistantMessage.text(text.toString()), end[0].usage().orElseThrow(),
                req.returnPrompt() ? Optional.of(prompt) : Optional.empty());
    }

    /** A streamed chat answer: text deltas in order, then one end event with the finish reason and usage. */
    public static void chatStream(LoadedModel m, ChatRequest req, Consumer<ChatStreamEvent> events) {
        chatRun(m, req, events);
    }

    /**
     * The prompt a chat request renders (the model's own template when its folder has one, else the
     * built-in one), as text, without generating.
     */
    public static String renderPrompt(LoadedModel m, ChatRequest req) {
        return chatPrompt(m, req, maxTokens(m, req)).text();
    }

    private static int maxTokens(LoadedModel m, ChatRequest req) {
        int ctx = m.model().config().maxSeqLen();
        return req.maxTokens().orElse(Math.min(CHAT_MAX_TOKENS, Math.max(1, ctx / 2)));
    }

    /** Prompt ids, their text and the ids that end the answer. */
    private record ChatPrompt(int[] ids, String text, int[] stops) {
    }

    private static ChatPrompt chatPrompt(LoadedModel m, ChatRequest req, int maxTokens) {
        int ctx = m.model().config().maxSeqLen();
        int room = Math.max(4, ctx - Math.min(maxTokens, ctx - 4));
        if (m.chatTemplate().isPresent()) {
            ModelTemplate t = m.chatTemplate().get();
            ModelTemplate.Prompt p = t.prompt(req.messages(), room);
            return new ChatPrompt(p.ids(), p.text(), union(t.stopIds(), m.stopIds()));
        }
        ChatTemplate.Ids ids = m.template().orElseThrow(() -> new BadRequestException("model " + m.name()
                + " has no chat template (it is a generative model): use generate"));
        int[] prompt = new ChatTemplate(m.tokenizer(), ids).prompt(req.messages(), room);
        return new ChatPrompt(prompt, m.tokenizer().decode(prompt), union(new int[] {ids.endOfTurn()}, m.stopIds()));
    }

    private static int[] union(int[] a, int[] b) {
        return java.util.stream.IntStream.concat(Arrays.stream(a), Arrays.stream(b)).distinct().toArray();
    }

    /** Runs a chat request; returns the prompt's text. */
    private static String chatRun(LoadedModel m, ChatRequest req, Consumer<ChatStreamEvent> events) {
        int maxTokens = maxTokens(m, req);
        ChatPrompt prompt = chatPrompt(m, req, maxTokens);
        Sampler sampler = new Sampler(req.temperature().orElse(CHAT_TEMPERATURE), req.k().orElse(0),
                req.p().orElse(DEFAULT_P), req.seed().orElseGet(InferenceEngine::freshSeed));
        StopWatcher watcher = new StopWatcher(m, req.stopSequences(), events);
        Generator.Result r = new Generator(m.model()).generate(prompt.ids(), maxTokens, sampler, isIn(prompt.stops()), watcher);
        watcher.flush();
        FinishReason reason = watcher.stopped() ? FinishReason.STOP_SEQUENCE : map(r.finish());
        events.accept(ChatStreamEvent.end(reason, Usage.of(r.promptTokensUsed(), r.tokens().length)));
        return prompt.text();
    }

    private static java.util.function.IntPredicate isIn(int[] ids) {
        int[] sorted = ids.clone();
        Arrays.sort(sorted);
        return t -> Arrays.binarySearch(sorted, t) >= 0;
    }

    /** A generate answer, with likelihoods as requested. */
    public static GenerateResponse generate(LoadedModel m, GenerateRequest req) {
        int[] prompt = m.tokenizer().encode(req.prompt());
        if (prompt.length == 0) {
            throw new BadRequestException("the prompt encodes to no tokens");
        }
        int maxTokens = req.maxTokens().orElse(GENERATE_MAX_TOKENS);
        Sampler sampler = new Sampler(req.temperature().orElse(GENERATE_TEMPERATURE), req.k().orElse(0),
                req.p().orElse(DEFAULT_P), req.seed().orElseGet(InferenceEngine::freshSeed));
        Generator gen = new Generator(m.model());
        StringBuilder text = new StringBuilder();
        StopWatcher watcher = new StopWatcher(m, req.stopSequences(), e -> text.append(e.text().orElse("")));
        Generator.Result r = maxTokens == 0
                ? new Generator.Result(new int[0], new double[0], Generator.FinishReason.MAX_TOKENS,
                        Math.min(prompt.length, m.model().config().maxSeqLen()))
                : gen.generate(prompt, maxTokens, sampler, isIn(union(m.endOfText() >= 0 ? new int[] {m.endOfText()} : new int[0],
                        m.stopIds())), watcher);
        watcher.flush();
        int kept = watcher.keptTokens(r.tokens().length);
        List<TokenLikelihood> tls = new ArrayList<>();
        double sum = 0;
        int counted = 0;
        if (req.returnLikelihoods() == ReturnLikelihoods.ALL) {
            int[] used = Arrays.copyOfRange(prompt, prompt.length - r.promptTokensUsed(), prompt.length);
            int[] all = Arrays.copyOf(used, used.length + kept);
            System.arraycopy(r.tokens(), 0, all, used.length, kept);
            double[] scores = gen.score(all);
            for (int i = 0; i < scores.length; i++) {
                String tok = m.tokenizer().decode(new int[] {all[i]});
                if (i == 0) {
                    tls.add(new TokenLikelihood(tok, Optional.empty()));
                } else {
                    tls.add(TokenLikelihood.of(tok, scores[i]));
                    sum += scores[i];
                    counted++;
                }
            }
        } else if (req.returnLikelihoods() == ReturnLikelihoods.GENERATION) {
            for (int i = 0; i < kept; i++) {
                tls.add(TokenLikelihood.of(m.tokenizer().decode(new int[] {r.tokens()[i]}), r.logProbs()[i]));
                sum += r.logProbs()[i];
                counted++;
            }
        }
        boolean withLikelihoods = req.returnLikelihoods() != ReturnLikelihoods.NONE;
        FinishReason reason = watcher.stopped() ? FinishReason.STOP_SEQUENCE : map(r.finish());
        Generation g = new Generation(UUID.randomUUID().toString(), text.toString(),
                withLikelihoods && counted > 0 ? Optional.of(sum / counted) : Optional.empty(),
                withLikelihoods ? Optional.of(tls) : Optional.empty(), reason);
        return new GenerateResponse(UUID.randomUUID().toString(), Optional.of(req.prompt()), List.of(g));
    }

    private static FinishReason map(Generator.FinishReason f) {
        return switch (f) {
            case COMPLETE -> FinishReason.COMPLETE;
            case STOP_SEQUENCE -> FinishReason.STOP_SEQUENCE;
            case MAX_TOKENS -> FinishReason.MAX_TOKENS;
        };
    }

    private static long freshSeed() {
        return System.nanoTime() ^ Thread.currentThread().getId() * 0x9E3779B97F4A7C15L;
    }

    /**
     * Turns generated tokens into text deltas: decodes the whole generation so far (so multi-token
     * UTF-8 characters come out whole), holds back an incomplete character (a trailing U+FFFD) and any
     * tail that could still become a stop sequence, and stops generation when a stop sequence appears
     * (the stop sequence itself is not part of the text).
     */
    private static final class StopWatcher implements Generator.TokenListener {
        private final LoadedModel m;
        private final List<String> stops;
        private final Consumer<ChatStreamEvent> out;
        private final List<Integer> ids = new ArrayList<>();
        private int emitted;
        private boolean stopped;
        private String finalText;
        private int tokensAtStop = -1;

        StopWatcher(LoadedModel m, List<String> stops, Consumer<ChatStreamEvent> out) {
            this.m = m;
            this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
            this.out = out;
        }

        @Override
        public boolean onToken(int token, double logProb) {
            ids.add(token);
            String text = decode();
            for (String s : stops) {
                int at = text.indexOf(s);
                if (at >= 0) {
                    stopped = true;
                    tokensAtStop = ids.size();
                    finalText = text.substring(0, at);
                    emit(finalText, finalText.length());
                    return false;
                }
            }
            int safe = text.length();
            if (safe > 0 && text.charAt(safe - 1) == '\uFFFD') {
                safe--;
            }
            for (String s : stops) {
                for (int k = Math.min(s.length() - 1, safe); k > 0; k--) {
                    if (text.regionMatches(safe - k, s, 0, k)) {
                        safe = Math.min(safe, safe - k);
                        break;
                    }
                }
            }
            emit(text, safe);
            return true;
        }

        private String decode() {
            int[] a = new int[ids.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = ids.get(i);
            }
            // control tokens that did not end the answer (a stray <|im_start|>...) are not text
            return m.tokenizer().decode(a, true);
        }

        private void emit(String text, int upTo) {
            if (upTo > emitted) {
                out.accept(ChatStreamEvent.delta(text.substring(emitted, upTo)));
                emitted = upTo;
            }
        }

        /** Emits whatever was held back, once generation ended without a stop sequence. */
        void flush() {
            if (!stopped && !ids.isEmpty()) {
                String text = decode();
                emit(text, text.length());
            }
        }

        boolean stopped() {
            return stopped;
        }

        /** Tokens that belong to the answer (all of them, or up to the one completing a stop sequence). */
        int keptTokens(int generated) {
            return stopped ? Math.min(generated, tokensAtStop) : generated;
        }
    }
}
