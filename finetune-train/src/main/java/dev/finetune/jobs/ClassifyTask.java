package dev.finetune.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.FinetuneException;
import dev.finetune.heads.HeadPass;
import dev.finetune.heads.Losses;
import dev.finetune.heads.Scoring;
import dev.finetune.heads.TaskHead;
import dev.finetune.heads.TaskInputs;
import dev.finetune.metrics.ClassificationMetrics;
import dev.finetune.metrics.ExampleValues;
import dev.finetune.model.CausalLM;
import dev.finetune.optim.AdamW;
import dev.finetune.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Classify fine-tuning: {@link TaskInputs#classify} inputs, a head with one output per label on the last
 * position. Single-label: softmax cross-entropy; multi-label: a sigmoid per label with binary
 * cross-entropy (mean over labels). The batch's mean loss; micro-batches sized to the activation
 * budget. Evaluation: {@code loss}, {@code accuracy} (exact match; the Hamming score for multi-label,
 * where a label is predicted at sigmoid ≥ 0.5), and macro {@code precision}, {@code recall}, {@code f1}.
 */
final class ClassifyTask implements Task {
    /** Eval examples taken from the train part when the dataset has no eval part. */
    static final int EVAL_FROM_TRAIN = 256;

    /** One example: its input tokens and its label indices. */
    record Item(int[] tokens, Set<Integer> labels) {
    }

    private final CausalLM model;
    private final TaskHead head;
    private final HeadPass pass;
    private final List<Item> train;
    private final List<Item> eval;

    ClassifyTask(CausalLM model, TaskHead head, List<Item> train, List<Item> eval) {
        this.model = model;
        this.head = head;
        this.pass = new HeadPass(model, head.linear());
        this.train = train;
        this.eval = eval.isEmpty() ? train.subList(0, Math.min(train.size(), EVAL_FROM_TRAIN)) : eval;
    }

    /** The labels of the normalized parts, sorted (the head's output order). */
    static List<String> labels(Path train, Path eval) {
        Set<String> out = new TreeSet<>();
        for (Path p : eval == null ? List.of(train) : List.of(train, eval)) {
            TrainingData.forEachRecord(p, (n, line) -> labelsOf(n, p, line).forEach(out::add));
        }
        return List.copyOf(out);
    }

    /** Whether the part's labels are lists (multi-label). */
    static boolean multiLabel(Path train) {
        boolean[] multi = {false};
        TrainingData.forEachRecord(train, (n, line) -> multi[0] |= n.path("label").isArray());
        return multi[0];
    }

    private static List<String> labelsOf(JsonNode n, Path part, long line) {
        JsonNode l = n.get("label");
        if (n.get("text") == null || l == null) {
            throw new FinetuneException(part + " line " + line + ": expected \"text\" and \"label\"");
        }
        List<String> out = new ArrayList<>();
        if (l.isArray()) {
            l.forEach(x -> out.add(x.asText()));
        } else {
            out.add(l.asText());
        }
        return out;
    }

    static List<Item> read(Path part, Tokenizer tokenizer, TaskHead head) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < head.labels().size(); i++) {
            index.put(head.labels().get(i), i);
        }
        List<Item> out = new ArrayList<>();
        TrainingData.forEachRecord(part, (n, line) -> {
            Set<Integer> ls = new LinkedHashSet<>();
            for (String l : labelsOf(n, part, line)) {
                ls.add(index.get(l));
            }
            out.add(new Item(TaskInputs.classify(tokenizer.encode(n.get("text").asText()), head.maxTokens(), head.endToken()), ls));
        });
        return out;
    }

    @Override
    public int size() {
        return train.size();
    }

    @Override
    public List<AdamW.Slice> extraSlices() {
        return List.of(head.linear().slice("head"));
    }

    @Override
    public void zeroExtraGrads() {
        head.linear().zeroGrad();
    }

    private double loss(float[] out, int row, Item item, float[] dOut, double weight) {
        int K = head.labels().size();
        if (head.multiLabel()) {
            boolean[] t = new boolean[K];
            item.labels().forEach(k -> t[k] = true);
            return Losses.sigmoidBinaryCrossEntropy(out, row * K, K, t, dOut, weight);
        }
        return Losses.softmaxCrossEntropy(out, row * K, K, item.labels().iterator().next(), dOut, weight);
    }

    /** Where the micro-batch of {@code items} starting at {@code i0} ends: as many rows as the activation budget allows (at least one). */
    private int microEnd(List<Item> items, int i0) {
        int i1 = i0;
        int T = 1;
        while (i1 < items.size()) {
            int t = Math.max(T, items.get(i1).tokens().length);
            if (i1 > i0 && i1 - i0 + 1 > Scoring.rowsFor(model, t)) {
                break;
            }
            T = t;
            i1++;
        }
        return i1;
    }

    /** Examples {@code order[b0 .. b0 + B)} (fewer at the end of the order). */
    private List<Item> batch(int[] order, int b0, int B) {
        int n = Math.min(B, order.length - b0);
        List<Item> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            items.add(train.get(order[b0 + i]));
        }
        return items;
    }

    @Override
    public Step trainBatch(int[] order, int b0, int B, int epoch) {
        List<Item> items = batch(order, b0, B);
        return passes(items, 1.0 / items.size());
    }

    /** Forward and backward over {@code items} in micro-batches, each example's loss weighted by {@code weight}. */
    private Step passes(List<Item> items, double weight) {
        int n = items.size();
        double loss = 0;
        long tokens = 0;
        long input = 0;
        long trained = 0;
        int i0 = 0;
        while (i0 < n) {
            int i1 = microEnd(items, i0);
            List<int[]> seqs = new ArrayList<>(i1 - i0);
            for (int i = i0; i < i1; i++) {
                seqs.add(items.get(i).tokens());
                trained += items.get(i).tokens().length;
            }
            float[] out = pass.forward(seqs);
            float[] dOut = new float[out.length];
            for (int i = i0; i < i1; i++) {
                loss += loss(out, i - i0, items.get(i), dOut, weight);
            }
            pass.backward(dOut);
            tokens += pass.tokens();
            input += pass.inputTokens();
            i0 = i1;
        }
        return new Step(loss, tokens, input, trained);
    }

    /** A shard of a step: its examples' tokens and label indices (in order), and each example's weight 1/n of the step's n. */
    record Shard(int[][] tokens, int[][] labels, double weight) implements ShardedTraining.Shard {
    }

    /** The shard side on a worker: a head of the driver's shape (its weights come with the trainable weights). */
    record WorkerTask(List<String> labels, boolean multiLabel, int maxTokens, int endToken, int channels) implements ShardedTraining.TaskSpec {
        @Override
        public Task build(CausalLM model) {
            return new ClassifyTask(model, TaskHead.classify(channels, labels, multiLabel, maxTokens, endToken, 0), List.of(), List.of());
        }
    }

    @Override
    public ShardedTraining.TaskSpec workerTask() {
        return new WorkerTask(head.labels(), head.multiLabel(), head.maxTokens(), head.endToken(), head.linear().channels());
    }

    @Override
    public List<ShardedTraining.Shard> shards(int[] order, int b0, int B, int epoch, int shards) {
        List<Item> items = batch(order, b0, B);
        double weight = 1.0 / items.size();
        List<ShardedTraining.Shard> out = new ArrayList<>();
        for (int[] cut : ShardedTraining.cuts(items.size(), shards)) {
            int[][] tk = new int[cut[1] - cut[0]][];
            int[][] ls = new int[tk.length][];
            for (int i = 0; i < tk.length; i++) {
                Item it = items.get(cut[0] + i);
                tk[i] = it.tokens();
                ls[i] = it.labels().stream().mapToInt(Integer::intValue).toArray();
            }
            out.add(new Shard(tk, ls, weight));
        }
        return out;
    }

    @Override
    public Step trainShard(ShardedTraining.Shard shard) {
        Shard s = (Shard) shard;
        List<Item> items = new ArrayList<>(s.tokens().length);
        for (int i = 0; i < s.tokens().length; i++) {
            Set<Integer> ls = new LinkedHashSet<>();
            for (int l : s.labels()[i]) {
                ls.add(l);
            }
            items.add(new Item(s.tokens()[i], ls));
        }
        return passes(items, s.weight());
    }

    @Override
    public Plan plan(int[] order, int b0, int B, int epoch) {
        List<Item> items = batch(order, b0, B);
        Plan p = Plan.NONE;
        int i0 = 0;
        while (i0 < items.size()) {
            int i1 = microEnd(items, i0);
            List<int[]> seqs = new ArrayList<>(i1 - i0);
            for (int i = i0; i < i1; i++) {
                seqs.add(items.get(i).tokens());
            }
            p = p.plus(Footprint.headPass(seqs));
            i0 = i1;
        }
        return p;
    }

    @Override
    public Plan evalPlan() {
        List<int[]> seqs = new ArrayList<>(eval.size());
        eval.forEach(e -> seqs.add(e.tokens()));
        return Footprint.scoring(model, seqs);
    }

    @Override
    public int evalSize() {
        return eval.size();
    }

    @Override
    public long bufferBytes(Plan largest) {
        long data = 0;
        for (Item e : train) {
            data += Footprint.array(4, e.tokens().length);
        }
        if (eval != train && !(train.size() > 0 && eval.size() > 0 && eval.get(0) == train.get(0))) {
            for (Item e : eval) {
                data += Footprint.array(4, e.tokens().length);
            }
        }
        int K = head.labels().size();
        // the head pass's input tokens and its d hidden (B·T, C); per-example values
        long pass = Footprint.array(4, largest.maxBT()) + Footprint.array(4, largest.maxBT() * model.config().hiddenSize());
        long perExample = eval.size() * (2 * Footprint.array(8, 1) + Footprint.array(8, 3L * K));
        return data + pass + perExample;
    }

    @Override
    public Map<String, Double> evaluate() {
        return evaluation().metrics();
    }

    @Override
    public Evaluation evaluation() {
        List<int[]> seqs = new ArrayList<>(eval.size());
        eval.forEach(e -> seqs.add(e.tokens()));
        float[] out = Scoring.outputs(model, head.linear(), seqs);
        int K = head.labels().size();
        float[] scratch = new float[out.length];
        double loss = 0;
        double[] losses = new double[eval.size()];
        List<Set<String>> truth = new ArrayList<>();
        List<Set<String>> predicted = new ArrayList<>();
        for (int i = 0; i < eval.size(); i++) {
            Item e = eval.get(i);
            losses[i] = loss(out, i, e, scratch, 1.0);
            loss += losses[i];
            Set<String> t = new LinkedHashSet<>();
            e.labels().forEach(k -> t.add(head.labels().get(k)));
            truth.add(t);
            Set<String> p = new LinkedHashSet<>();
            if (head.multiLabel()) {
                for (int k = 0; k < K; k++) {
                    if (out[i * K + k] >= 0) { // sigmoid >= 0.5
                        p.add(head.labels().get(k));
                    }
                }
            } else {
                int best = 0;
                for (int k = 1; k < K; k++) {
                    if (out[i * K + k] > out[i * K + best]) {
                        best = k;
                    }
                }
                p.add(head.labels().get(best));
            }
            predicted.add(p);
        }
        ClassificationMetrics.Scores s = ClassificationMetrics.of(truth, predicted, new LinkedHashSet<>(head.labels()));
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", eval.isEmpty() ? 0.0 : loss / eval.size());
        m.put("accuracy", s.accuracy());
        m.put("precision", s.precision());
        m.put("recall", s.recall());
        m.put("f1", s.f1());
        // per example: its Hamming score, and per label its (tp, fp, fn), for the macro means
        double[] acc = new double[eval.size()];
        double[][] counts = new double[eval.size()][3 * K];
        for (int i = 0; i < eval.size(); i++) {
            Set<String> t = truth.get(i);
            Set<String> p = predicted.get(i);
            long inter = p.stream().filter(t::contains).count();
            long union = t.size() + p.size() - inter;
            acc[i] = union == 0 ? 1 : (double) inter / union;
            for (int k = 0; k < K; k++) {
                String label = head.labels().get(k);
                boolean inT = t.contains(label);
                boolean inP = p.contains(label);
                counts[i][3 * k] = inT && inP ? 1 : 0;
                counts[i][3 * k + 1] = !inT && inP ? 1 : 0;
                counts[i][3 * k + 2] = inT && !inP ? 1 : 0;
            }
        }
        return new Evaluation(m, List.of(ExampleValues.mean("loss", false, losses), ExampleValues.mean("accuracy", true, acc),
                new ExampleValues("precision", ExampleValues.Reduce.MACRO_PRECISION, true, counts),
                new ExampleValues("recall", ExampleValues.Reduce.MACRO_RECALL, true, counts),
                new ExampleValues("f1", ExampleValues.Reduce.MACRO_F1, true, counts)));
    }
}
