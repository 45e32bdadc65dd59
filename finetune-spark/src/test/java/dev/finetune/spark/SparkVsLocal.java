package dev.finetune.spark;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Status;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.jobs.LocalTrainingBackend;
import dev.finetune.jobs.ShardedTraining;
import dev.finetune.jobs.TrainingData;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.template.ChatTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.BpeTrainer;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Not a test: times one fine-tune on the local backend and on Spark ({@code local[2]} by default), with
 * the same gradient shards, alternating, and prints tokens/s (the step metric: the examples' tokens per
 * second of training steps) and the seconds per training step of each run, and the ratios. Run by hand:
 * {@code java <Spark's JVM flags> -cp <test class path> dev.finetune.spark.SparkVsLocal [rounds] [master] [shards]}.
 */
public final class SparkVsLocal {
    private SparkVsLocal() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        String master = args.length > 1 ? args[1] : "local[2]";
        int shards = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        Path dir = Files.createTempDirectory("spark-vs-local");
        String corpus = "the quick brown fox jumps over the lazy dog. what is the capital of france? paris. "
                + "how many legs has a spider? eight. which planet is red? mars. hello there! hi.\n";
        ByteLevelBpe bpe = BpeTrainer.train(corpus.repeat(40), 512, ChatTemplate.SPECIAL_TOKENS);
        // a small GPT-2 (4 layers, 128 channels, context 128): big enough that a step is mostly compute
        GPT2 m = GPT2.randomInit(GPT2Config.of(bpe.vocabSize(), 128, 128, 4, 4), 11, 0.05f);
        Path base = dir.resolve("base");
        GPT2Checkpoint.save(m, base);
        BpeFiles.save(bpe, base);
        List<String> lines = new ArrayList<>();
        String[] qs = corpus.split("\\? ");
        for (int i = 0; i < 96; i++) {
            String q = qs[i % (qs.length - 1)].replace("\n", "").replace("\"", "") + " (" + i + ")?";
            lines.add("{\"messages\":[{\"role\":\"User\",\"content\":\"" + q + "\"},{\"role\":\"Chatbot\",\"content\":\""
                    + "an answer that is long enough to train on, number " + i + "\"}]}");
        }
        Path chats = dir.resolve("chats.jsonl");
        Files.write(chats, lines);
        ChatTemplate t = new ChatTemplate(bpe, BaseModels.templateIds(bpe).orElseThrow());
        int epochs = 3;
        Hyperparameters hp = Hyperparameters.builder().trainEpochs(epochs).trainBatchSize(16).learningRate(0.01).loraRank(8)
                .loraAlpha(16).earlyStoppingPatience(0).seed(1).build();
        System.out.printf("model: GPT-2 4x128, vocab %d; %d conversations, batch 16, %d epochs, LoRA rank 8, %d shards, %s%n",
                bpe.vocabSize(), lines.size(), epochs, shards, master);
        double[][] runs = new double[rounds][];
        for (int r = 0; r < rounds; r++) {
            double[] local = run(dir.resolve("local-" + r), base, chats, hp, t, epochs,
                    new LocalTrainingBackend(shards, ShardedTraining.inProcess()), "local");
            double[] spark = run(dir.resolve("spark-" + r), base, chats, hp, t, epochs, SparkTrainingBackend.builder().master(master)
                    .shards(shards).conf("spark.ui.enabled", "false").build(), master);
            runs[r] = new double[] {spark[0] / local[0], spark[1] - local[1]};
        }
        for (int r = 0; r < rounds; r++) {
            System.out.printf("round %d: %s tokens/s = %.2f x the local backend's; %+.3f s per training step%n", r + 1, master, runs[r][0],
                    runs[r][1]);
        }
    }

    /** One fine-tune; prints its pace; returns its tokens/s and seconds per training step. */
    private static double[] run(Path ws, Path base, Path chats, Hyperparameters hp, ChatTemplate t, int epochs, TrainingBackend backend,
                                String label) {
        WaitOptions wait = WaitOptions.timeout(Duration.ofMinutes(30)).interval(Duration.ofMillis(50));
        try (ClientV2 co = ClientV2.builder().workspace(ws).trainingBackend(backend).build()) {
            Dataset d = co.wait(co.datasets().create(chats, Optional.empty(), DatasetsCreateRequest.builder().name("bench")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).build()), wait);
            // the examples' own tokens the run trains on (the train part, after the validator's eval split), per epoch
            long epochTokens = 0;
            for (ChatTemplate.Example e : TrainingData.chat(co.root().resolve("datasets").resolve(d.id()).resolve("train.jsonl"), t, 129)) {
                epochTokens += Math.min(128, e.tokens().length - 1);
            }
            long t0 = System.nanoTime();
            FinetunedModel done = co.wait(co.finetuning().createFinetunedModel(FinetunedModel.builder().name("bench")
                    .settings(Settings.builder().baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString())).datasetId(d.id())
                            .hyperparameters(hp).build()).build()), wait);
            double wall = (System.nanoTime() - t0) / 1e9;
            if (!done.status().orElseThrow().equals(Status.STATUS_READY)) {
                throw new IllegalStateException(label + " ended " + done.status() + ": " + done.failureReason().orElse(""));
            }
            List<TrainingStepMetrics> steps = co.finetuning().listTrainingStepMetrics(done.id().orElseThrow()).stepMetrics();
            TrainingStepMetrics last = steps.get(steps.size() - 1);
            double tps = last.metrics().get("tokens_per_second");
            int n = last.stepNumber();
            double perStep = epochs * epochTokens / tps / n;
            System.out.printf("%-10s %d steps: %8.0f tokens/s, %.3f s per training step, %.1f s for the whole job%n", label, n, tps,
                    perStep, wall);
            return new double[] {tps, perStep};
        }
    }
}
