package dev.finetune.jobs;

import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Strategy;
import dev.finetune.heads.TaskHead;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Checkpoint;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Manual experiment (not a test): java -cp ... dev.finetune.jobs.RerankExperiment BASE TRAIN EVAL [full] [lr] [epochs]. */
public final class RerankExperiment {
    public static void main(String[] a) throws Exception {
        Path base = Path.of(a[0]);
        GPT2 model = GPT2Checkpoint.load(base);
        ByteLevelBpe bpe = BpeFiles.load(base);
        int eot = bpe.specialTokenId("<|endoftext|>");
        TaskHead head = TaskHead.rerank(model.config().channels(), Math.min(510, model.config().maxSeqLen()), eot, 0);
        List<RerankTask.Query> train = RerankTask.read(Path.of(a[1]), bpe, head.maxTokens());
        List<RerankTask.Query> eval = RerankTask.read(Path.of(a[2]), bpe, head.maxTokens());
        boolean full = a.length > 3 && a[3].equals("full");
        double lr = a.length > 4 ? Double.parseDouble(a[4]) : (full ? 3e-4 : 0.01);
        int epochs = a.length > 5 ? Integer.parseInt(a[5]) : 1;
        Hyperparameters hp = Hyperparameters.builder().strategy(full ? Strategy.STRATEGY_FULL : Strategy.STRATEGY_LORA)
                .trainEpochs(epochs).learningRate(lr).earlyStoppingPatience(0).build();
        LoraAdapter lora = full ? null : new LoraAdapter(model.config(), 8, 16, LoraAdapter.Targets.QV, 0);
        int[] rows = {-1, -1};
        for (int id : bpe.specialTokens().values()) {
            rows[0] = rows[0] < 0 ? id : Math.min(rows[0], id);
            rows[1] = Math.max(rows[1], id + 1);
        }
        Path dir = Files.createTempDirectory("exp");
        long t0 = System.nanoTime();
        var out = LocalTrainingBackend.fit(model, lora, full ? -1 : rows[0], full ? -1 : rows[1],
                new RerankTask(model, head, train, eval, 0), hp, dir, new LocalTrainingTest.StopAfter(Integer.MAX_VALUE) {
                    @Override
                    public void stepMetrics(int step, Map<String, Double> m) {
                        if (m.containsKey("eval_loss")) {
                            System.out.printf("step %d %s%n", step, m);
                        }
                    }
                });
        System.out.printf("%.0f s %s%n", (System.nanoTime() - t0) / 1e9, new java.util.TreeMap<>(out.metrics()));
    }
}
