package dev.finetune.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.Estimate;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.Strategy;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.model.GPT2Config;
import dev.finetune.spi.TrainingBackend;
import dev.finetune.template.ChatTemplate;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.BpeTrainer;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory estimate against what the trainer really holds at its fullest (after an evaluation, with
 * the checkpoint copy made): every primitive array reachable from the model, adapter, optimizer, task
 * and the loop's weight copies, measured by {@link Retained}, the largest over the run's evaluations.
 * Within 20%, on a tiny LoRA run and on a larger full fine-tune.
 */
public class MemoryEstimateTest {
    @AfterEach
    void noProbe() {
        TrainerLoop.probe = null;
    }

    static Path chat(Path dir, int n, int words) throws IOException {
        List<String> lines = new ArrayList<>();
        String[] vocab = {"paris", "four", "hello", "capital", "france", "two", "plus", "there"};
        for (int i = 0; i < n; i++) {
            StringBuilder answer = new StringBuilder();
            for (int w = 0; w < words + i % 5; w++) {
                answer.append(vocab[(i + w) % vocab.length]).append(' ');
            }
            lines.add("{\"messages\":[{\"role\":\"User\",\"content\":\"what is " + vocab[i % vocab.length] + "? (" + i
                    + ")\"},{\"role\":\"Chatbot\",\"content\":\"" + answer.toString().trim() + ".\"}]}");
        }
        Path f = dir.resolve("chat-" + n + ".jsonl");
        Files.write(f, lines);
        return f;
    }

    static Path base(Path dir, int C, int layers, int heads, int maxSeq) {
        ByteLevelBpe bpe = BpeTrainer.train(LocalTrainingTest.CORPUS, 320, ChatTemplate.SPECIAL_TOKENS);
        GPT2 m = GPT2.randomInit(GPT2Config.of(bpe.vocabSize(), maxSeq, C, layers, heads), 5, 0.05f);
        Path f = dir.resolve("base-" + C);
        GPT2Checkpoint.save(m, f);
        BpeFiles.save(bpe, f);
        return f;
    }

    /** The estimate's peak and the measured peak of the same run, in bytes. */
    static long[] estimateAndMeasure(Path dir, Path base, Path data, Hyperparameters hp) throws IOException {
        FinetunedModel req = FinetunedModel.builder().name("mem").settings(Settings.builder()
                .baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString())).datasetId("d").hyperparameters(hp).build()).build();
        Path modelDir = Files.createDirectories(dir.resolve("model"));
        TrainingBackend.Job job = new TrainingBackend.Job(req, null, modelDir, dir.resolve("base-models"), data, Optional.empty());
        LocalTrainingBackend.Setup s = LocalTrainingBackend.setUp(job, RunEstimator.quiet(), base);
        Estimate e = RunEstimator.count(s, TrainerLoop.trainable(s.model(), s.adapter(), s.rowFrom(), s.rowTo(), s.task()),
                Long.MAX_VALUE, -1);
        long[] peak = {0};
        TrainerLoop.probe = live -> peak[0] = Math.max(peak[0], Retained.bytes(live));
        TrainerLoop.fit(s.model(), s.adapter(), s.rowFrom(), s.rowTo(), s.task(), hp, modelDir, RunEstimator.quiet());
        System.out.printf("memory: estimated %d bytes %s, measured %d bytes (%+.1f%%)%n", e.peakMemoryBytes(), e.memory(), peak[0],
                100.0 * (e.peakMemoryBytes() - peak[0]) / peak[0]);
        return new long[] {e.peakMemoryBytes(), peak[0]};
    }

    static void within20Percent(long[] em) {
        assertTrue(em[1] > 0, "the probe saw the trainer's buffers");
        double rel = Math.abs(em[0] - em[1]) / (double) em[1];
        assertTrue(rel <= 0.20, "estimated " + em[0] + " vs measured " + em[1] + " bytes: " + rel);
    }

    @Test
    void theMemoryEstimateOfATinyLoraRunIsWithin20PercentOfItsBuffers(@TempDir Path dir) throws IOException {
        within20Percent(estimateAndMeasure(dir, LocalTrainingTest.baseFolder(dir), LocalTrainingTest.chatFile(dir),
                Hyperparameters.builder().trainEpochs(1).trainBatchSize(4).earlyStoppingPatience(0).build()));
    }

    @Test
    void theMemoryEstimateOfALargerFullFineTuneIsWithin20PercentOfItsBuffers(@TempDir Path dir) throws IOException {
        within20Percent(estimateAndMeasure(dir, base(dir, 128, 4, 4, 128), chat(dir, 40, 30),
                Hyperparameters.builder().strategy(Strategy.STRATEGY_FULL).trainEpochs(1).trainBatchSize(8).earlyStoppingPatience(0)
                        .build()));
    }
}
