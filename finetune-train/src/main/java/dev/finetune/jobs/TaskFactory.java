package dev.finetune.jobs;

import dev.finetune.BadRequestException;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.heads.TaskHead;
import dev.finetune.heads.TaskInputs;
import dev.finetune.model.CausalLM;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.template.ChatTemplate;
import dev.finetune.template.ConversationExamples;
import dev.finetune.template.ModelTemplate;
import dev.finetune.template.PromptCompletionTemplate;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@link Task} of each base type, keyed by {@link BaseType}: chat and generative train the language
 * model on templated examples; rerank and classify add a head (see {@link RerankTask}, {@link ClassifyTask}).
 */
final class TaskFactory {
    private TaskFactory() {
    }

    /** What a task starts from. */
    record Inputs(CausalLM model, ByteLevelBpe tokenizer, Path baseDir, TrainingBackend.Job job, TrainingBackend.Context ctx,
                  Hyperparameters hp) {
    }

    /**
     * A task ready to train, with the model and tokenizer it trains (a chat task may have grown the
     * vocabulary) and its head (null for language-model tasks).
     */
    record Prepared(CausalLM model, ByteLevelBpe tokenizer, Task task, TaskHead head) {
    }

    @FunctionalInterface
    interface Builder {
        Prepared build(Inputs in);
    }

    private static final Map<BaseType, Builder> BUILDERS = Map.of(
            BaseType.BASE_TYPE_CHAT, TaskFactory::chat,
            BaseType.BASE_TYPE_GENERATIVE, TaskFactory::generative,
            BaseType.BASE_TYPE_RERANK, TaskFactory::rerank,
            BaseType.BASE_TYPE_CLASSIFICATION, TaskFactory::classify);

    static Prepared create(BaseType type, Inputs in) {
        Builder b = BUILDERS.get(type);
        if (b == null) {
            throw new BadRequestException(type + " training is not available in this version");
        }
        return b.build(in);
    }

    private static Prepared chat(Inputs in) {
        CausalLM model = in.model();
        ByteLevelBpe bpe = in.tokenizer();
        int limit = model.config().maxSeqLen() + 1;
        // a base whose folder has its own chat template (tokenizer_config.json / chat_template.jinja) trains on it
        Optional<ModelTemplate> own = ModelTemplate.load(in.baseDir(), bpe);
        if (own.isPresent()) {
            ModelTemplate.Examples train = ConversationExamples.read(in.job().trainPart(), own.get(), limit, 0);
            ModelTemplate.Examples eval = in.job().evalPart().map(p -> ConversationExamples.read(p, own.get(), limit, 0))
                    .orElse(new ModelTemplate.Examples(List.of(), 0));
            in.ctx().event("chat template of " + in.baseDir().getFileName() + ": " + train.examples().size() + " train and "
                    + eval.examples().size() + " eval examples; " + train.truncated() + " train and " + eval.truncated()
                    + " eval examples cut to the context of " + (limit - 1) + " tokens");
            return new Prepared(model, bpe, new LanguageModelTask(model, train.examples(), eval.examples(), in.hp().batchSize()),
                    null);
        }
        if (BaseModels.templateIds(bpe).isEmpty()) {
            // a base that never had the chat template (e.g. the hub's gpt2): add its tokens as new rows
            int before = bpe.vocabSize();
            bpe = bpe.withSpecialTokens(ChatTemplate.SPECIAL_TOKENS);
            model = model.withVocabSize(Math.max(model.config().vocabSize(), bpe.vocabSize()));
            in.ctx().event("added " + (bpe.vocabSize() - before) + " chat template tokens to the vocabulary (new embedding rows)");
        }
        ChatTemplate t = new ChatTemplate(bpe, BaseModels.templateIds(bpe).orElseThrow());
        List<ChatTemplate.Example> train = TrainingData.chat(in.job().trainPart(), t, limit);
        List<ChatTemplate.Example> eval = in.job().evalPart().map(p -> TrainingData.chat(p, t, limit)).orElse(List.of());
        return new Prepared(model, bpe, new LanguageModelTask(model, train, eval, in.hp().batchSize()), null);
    }

    private static Prepared generative(Inputs in) {
        int eot = endOfText(in);
        int limit = in.model().config().maxSeqLen() + 1;
        PromptCompletionTemplate t = new PromptCompletionTemplate(in.tokenizer(), eot);
        List<ChatTemplate.Example> train = TrainingData.promptCompletion(in.job().trainPart(), t, limit);
        List<ChatTemplate.Example> eval = in.job().evalPart().map(p -> TrainingData.promptCompletion(p, t, limit))
                .orElse(List.of());
        return new Prepared(in.model(), in.tokenizer(), new LanguageModelTask(in.model(), train, eval, in.hp().batchSize()), null);
    }

    private static Prepared rerank(Inputs in) {
        int eot = endOfText(in);
        CausalLM model = in.model();
        TaskHead head = TaskHead.rerank(model.config().hiddenSize(),
                Math.min(TaskInputs.RERANK_MAX_TOKENS, model.config().maxSeqLen()), eot, in.hp().seedValue());
        int max = head.maxTokens();
        List<RerankTask.Query> train = RerankTask.read(in.job().trainPart(), in.tokenizer(), max);
        List<RerankTask.Query> eval = in.job().evalPart().map(p -> RerankTask.read(p, in.tokenizer(), max)).orElse(List.of());
        in.ctx().event("rerank: " + train.size() + " train queries, " + eval.size() + " eval queries; groups of "
                + RerankTask.GROUP_SIZE + " passages; inputs of at most " + max + " tokens");
        return new Prepared(model, in.tokenizer(), new RerankTask(model, head, train, eval, in.hp().seedValue()), head);
    }

    private static Prepared classify(Inputs in) {
        int eot = endOfText(in);
        CausalLM model = in.model();
        Path trainPart = in.job().trainPart();
        List<String> labels = ClassifyTask.labels(trainPart, in.job().evalPart().orElse(null));
        boolean multi = ClassifyTask.multiLabel(trainPart);
        TaskHead head = TaskHead.classify(model.config().hiddenSize(), labels, multi,
                Math.min(TaskInputs.CLASSIFY_MAX_TOKENS, model.config().maxSeqLen()), eot, in.hp().seedValue());
        List<ClassifyTask.Item> train = ClassifyTask.read(trainPart, in.tokenizer(), head);
        List<ClassifyTask.Item> eval = in.job().evalPart().map(p -> ClassifyTask.read(p, in.tokenizer(), head)).orElse(List.of());
        in.ctx().event("classify (" + (multi ? "multi-label" : "single-label") + "): " + train.size() + " train, "
                + eval.size() + " eval examples, " + labels.size() + " labels; inputs of at most " + head.maxTokens() + " tokens");
        return new Prepared(model, in.tokenizer(), new ClassifyTask(model, head, train, eval), head);
    }

    /**
     * How many train examples the context cut (for the estimate): chat and generative examples whose
     * templated tokens exceed the context, rerank passages cut to fit beside their query, classify texts
     * cut at the input limit. Templates and tokenizes the train part once more.
     */
    static int truncated(BaseType type, Inputs in, Prepared p) {
        int limit = p.model().config().maxSeqLen() + 1;
        Path part = in.job().trainPart();
        if (type == BaseType.BASE_TYPE_CHAT) {
            ChatTemplate t = new ChatTemplate(p.tokenizer(), BaseModels.templateIds(p.tokenizer()).orElseThrow());
            return longer(TrainingData.chat(part, t, Integer.MAX_VALUE / 2), limit);
        }
        if (type == BaseType.BASE_TYPE_GENERATIVE) {
            PromptCompletionTemplate t = new PromptCompletionTemplate(p.tokenizer(), endOfText(in));
            return longer(TrainingData.promptCompletion(part, t, Integer.MAX_VALUE / 2), limit);
        }
        int max = p.head().maxTokens();
        int[] cut = {0};
        if (type == BaseType.BASE_TYPE_RERANK) {
            for (RerankTask.Query q : RerankTask.read(part, p.tokenizer(), Integer.MAX_VALUE / 2)) {
                for (List<int[]> ps : List.of(q.relevant(), q.negatives())) {
                    for (int[] x : ps) {
                        cut[0] += q.query().length + x.length + 2 > max ? 1 : 0;
                    }
                }
            }
            return cut[0];
        }
        TrainingData.forEachRecord(part, (n, line) -> cut[0] += p.tokenizer().encode(n.path("text").asText()).length + 1 > max ? 1 : 0);
        return cut[0];
    }

    private static int longer(List<ChatTemplate.Example> examples, int limit) {
        int n = 0;
        for (ChatTemplate.Example e : examples) {
            n += e.tokens().length > limit ? 1 : 0;
        }
        return n;
    }

    private static int endOfText(Inputs in) {
        int eot = in.tokenizer().specialTokens().getOrDefault("<|endoftext|>", -1);
        if (eot < 0) {
            throw new BadRequestException("base model " + in.baseDir() + " has no <|endoftext|> token");
        }
        return eot;
    }
}
