package dev.finetune.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.FinetuneException;
import dev.finetune.heads.HeadPass;
import dev.finetune.heads.Losses;
import dev.finetune.heads.Scoring;
import dev.finetune.heads.TaskHead;
import dev.finetune.heads.TaskInputs;
import dev.finetune.metrics.ExampleValues;
import dev.finetune.metrics.RankingMetrics;
import dev.finetune.model.CausalLM;
import dev.finetune.optim.AdamW;
import dev.finetune.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Rerank fine-tuning: a cross-encoder ({@link TaskInputs#rerank}) with a one-output head on the last
 * position. Each query of a batch forms a group: one of its relevant passages (seeded choice per epoch)
 * and up to {@link #GROUP_SIZE} - 1 of its hard negatives; a query with fewer hard negatives gets
 * passages of the batch's other queries as extra negatives. The loss is the listwise softmax
 * cross-entropy of the relevant passage within its group, averaged over the batch's queries; groups
 * are never split across micro-batches. Evaluation ranks each eval query's relevant passages and hard
 * negatives, filled up to {@link #EVAL_POOL} candidates with other eval queries' passages, and reports
 * {@code loss} (minus the log of the softmax mass on relevant passages), {@code accuracy@1},
 * {@code accuracy@3}, {@code mrr@10} and {@code ndcg@10} (binary relevance). Early stopping and the
 * best-weights choice watch {@code mrr@10}.
 */
final class RerankTask implements Task {
    static final int GROUP_SIZE = Integer.getInteger("finetune.rerankGroupSize", 4);
    static final int EVAL_POOL = 10;
    /** Eval queries taken from the train part when the dataset has no eval part. */
    static final int EVAL_FROM_TRAIN = 64;

    /** One query's tokens and its passages' tokens. */
    record Query(int[] query, List<int[]> relevant, List<int[]> negatives) {
    }

    private final CausalLM model;
    private final TaskHead head;
    private final HeadPass pass;
    private final List<Query> train;
    private final long seed;
    private final List<int[]> evalSeqs = new ArrayList<>();
    private final List<boolean[]> evalRelevance = new ArrayList<>();

    RerankTask(CausalLM model, TaskHead head, List<Query> train, List<Query> eval, long seed) {
        this.model = model;
        this.head = head;
        this.pass = new HeadPass(model, head.linear());
        this.train = train;
        this.seed = seed;
        List<Query> ev = eval.isEmpty() ? train.subList(0, Math.min(train.size(), EVAL_FROM_TRAIN)) : eval;
        for (int i = 0; i < ev.size(); i++) {
            Query q = ev.get(i);
            List<int[]> cands = new ArrayList<>(q.relevant());
            int relevant = cands.size();
            cands.addAll(q.negatives());
            for (int j = 1; j < ev.size() && cands.size() < EVAL_POOL; j++) {
                Query other = ev.get((i + j) % ev.size());
                for (int[] p : concat(other.relevant(), other.negatives())) {
                    if (cands.size() < EVAL_POOL && cands.stream().noneMatch(c -> Arrays.equals(c, p))) {
                        cands.add(p);
                        break; // one passage per other query keeps the fill varied
                    }
                }
            }
            boolean[] rel = new boolean[cands.size()];
            for (int c = 0; c < cands.size(); c++) {
                rel[c] = c < relevant;
                evalSeqs.add(seq(q.query(), cands.get(c)));
            }
            evalRelevance.add(rel);
        }
    }

    private static List<int[]> concat(List<int[]> a, List<int[]> b) {
        List<int[]> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private int[] seq(int[] query, int[] passage) {
        return TaskInputs.rerank(query, passage, head.maxTokens(), head.endToken());
    }

    /** The queries of a normalized reranker part, every passage cut to what an input can hold. */
    static List<Query> read(Path part, Tokenizer tokenizer, int maxTokens) {
        List<Query> out = new ArrayList<>();
        TrainingData.forEachRecord(part, (n, line) -> {
            JsonNode q = n.get("query");
            JsonNode rel = n.get("relevant_passages");
            if (q == null || rel == null || !rel.isArray() || rel.isEmpty()) {
                throw new FinetuneException(part + " line " + line + ": expected \"query\" and \"relevant_passages\"");
            }
            out.add(new Query(tokenizer.encode(q.asText()), passages(rel, tokenizer, maxTokens),
                    passages(n.path("hard_negatives"), tokenizer, maxTokens)));
        });
        return out;
    }

    private static List<int[]> passages(JsonNode arr, Tokenizer tokenizer, int maxTokens) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode p : arr) {
            int[] t = tokenizer.encode(p.asText());
            out.add(t.length > maxTokens ? Arrays.copyOf(t, maxTokens) : t);
        }
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

    /** The groups of one batch: row 0 of each is the relevant passage. */
    List<List<int[]>> groups(int[] order, int b0, int B, int epoch) {
        int n = Math.min(B, order.length - b0);
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + b0);
        List<int[]> batchPassages = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Query q = train.get(order[b0 + i]);
            for (int[] p : concat(q.relevant(), q.negatives())) {
                batchPassages.add(p);
                owner.add(i);
            }
        }
        List<List<int[]>> groups = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Query q = train.get(order[b0 + i]);
            List<int[]> g = new ArrayList<>(GROUP_SIZE);
            g.add(seq(q.query(), q.relevant().get(rng.nextInt(q.relevant().size()))));
            int[] negs = shuffled(q.negatives().size(), rng);
            for (int k = 0; k < negs.length && g.size() < GROUP_SIZE; k++) {
                g.add(seq(q.query(), q.negatives().get(negs[k])));
            }
            if (g.size() < GROUP_SIZE) {
                IdentityHashMap<int[], Boolean> used = new IdentityHashMap<>();
                int[] pool = shuffled(batchPassages.size(), rng);
                for (int k = 0; k < pool.length && g.size() < GROUP_SIZE; k++) {
                    int[] p = batchPassages.get(pool[k]);
                    if (owner.get(pool[k]) != i && !used.containsKey(p)
                            && q.relevant().stream().noneMatch(r -> Arrays.equals(r, p))) {
                        used.put(p, true);
                        g.add(seq(q.query(), p));
                    }
                }
            }
            groups.add(g);
        }
        return groups;
    }

    private static int[] shuffled(int n, SplittableRandom rng) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    /** Where the micro-batch after the one starting at group {@code g0} starts: as many whole groups as the activation budget allows (at least one). */
    private int microEnd(List<List<int[]>> groups, int g0) {
        int g1 = g0;
        int rows = 0;
        int T = 1;
        while (g1 < groups.size()) {
            int r = rows + groups.get(g1).size();
            int t = T;
            for (int[] s : groups.get(g1)) {
                t = Math.max(t, s.length);
            }
            if (g1 > g0 && r > Scoring.rowsFor(model, t)) {
                break;
            }
            rows = r;
            T = t;
            g1++;
        }
        return g1;
    }

    @Override
    public Step trainBatch(int[] order, int b0, int B, int epoch) {
        List<List<int[]>> groups = groups(order, b0, B, epoch);
        return passes(groups, 1.0 / groups.size());
    }

    /** A shard of a step: its queries' groups (row 0 of each the relevant passage) and each group's weight 1/n of the step's n. */
    record Shard(int[][][] groups, double weight) implements ShardedTraining.Shard {
    }

    /** The shard side on a worker: a head of the driver's shape (its weights come with the trainable weights). */
    record WorkerTask(int maxTokens, int endToken, int channels, long seed) implements ShardedTraining.TaskSpec {
        @Override
        public Task build(CausalLM model) {
            return new RerankTask(model, TaskHead.rerank(channels, maxTokens, endToken, seed), List.of(), List.of(), seed);
        }
    }

    @Override
    public ShardedTraining.TaskSpec workerTask() {
        return new WorkerTask(head.maxTokens(), head.endToken(), head.linear().channels(), seed);
    }

    /** The step's groups (drawn over the whole batch, as unsharded) cut into shards of whole groups. */
    @Override
    public List<ShardedTraining.Shard> shards(int[] order, int b0, int B, int epoch, int shards) {
        List<List<int[]>> groups = groups(order, b0, B, epoch);
        double weight = 1.0 / groups.size();
        List<ShardedTraining.Shard> out = new ArrayList<>();
        for (int[] cut : ShardedTraining.cuts(groups.size(), shards)) {
            int[][][] gs = new int[cut[1] - cut[0]][][];
            for (int i = 0; i < gs.length; i++) {
                gs[i] = groups.get(cut[0] + i).toArray(new int[0][]);
            }
            out.add(new Shard(gs, weight));
        }
        return out;
    }

    @Override
    public Step trainShard(ShardedTraining.Shard shard) {
        Shard s = (Shard) shard;
        List<List<int[]>> groups = new ArrayList<>(s.groups().length);
        for (int[][] g : s.groups()) {
            groups.add(Arrays.asList(g));
        }
        return passes(groups, s.weight());
    }

    /** Forward and backward over {@code groups} in micro-batches of whole groups, each group's loss weighted by {@code weight}. */
    private Step passes(List<List<int[]>> groups, double weight) {
        double loss = 0;
        long tokens = 0;
        long input = 0;
        long trained = 0;
        int g0 = 0;
        while (g0 < groups.size()) {
            int g1 = microEnd(groups, g0);
            List<int[]> seqs = new ArrayList<>();
            for (int g = g0; g < g1; g++) {
                seqs.addAll(groups.get(g));
            }
            float[] scores = pass.forward(seqs);
            float[] dscores = new float[scores.length];
            int from = 0;
            for (int g = g0; g < g1; g++) {
                int to = from + groups.get(g).size();
                loss += Losses.listwiseSoftmax(scores, from, to, from, dscores, weight);
                from = to;
            }
            pass.backward(dscores);
            tokens += pass.tokens();
            input += pass.inputTokens();
            for (int[] q : seqs) {
                trained += q.length;
            }
            g0 = g1;
        }
        return new Step(loss, tokens, input, trained);
    }

    @Override
    public Plan plan(int[] order, int b0, int B, int epoch) {
        List<List<int[]>> groups = groups(order, b0, B, epoch);
        Plan p = Plan.NONE;
        int g0 = 0;
        while (g0 < groups.size()) {
            int g1 = microEnd(groups, g0);
            List<int[]> seqs = new ArrayList<>();
            for (int g = g0; g < g1; g++) {
                seqs.addAll(groups.get(g));
            }
            p = p.plus(Footprint.headPass(seqs));
            g0 = g1;
        }
        return p;
    }

    @Override
    public Plan evalPlan() {
        return Footprint.scoring(model, evalSeqs);
    }

    @Override
    public int evalSize() {
        return evalRelevance.size();
    }

    @Override
    public long bufferBytes(Plan largest) {
        long data = 0;
        for (Query q : train) {
            data += Footprint.array(4, q.query().length);
            for (int[] p : concat(q.relevant(), q.negatives())) {
                data += Footprint.array(4, p.length);
            }
        }
        for (int[] s : evalSeqs) {
            data += Footprint.array(4, s.length);
        }
        for (boolean[] r : evalRelevance) {
            data += Footprint.array(1, r.length);
        }
        // the head pass's input tokens and its d hidden (B·T, C); per-example values (4 metrics)
        long pass = Footprint.array(4, largest.maxBT()) + Footprint.array(4, largest.maxBT() * model.config().hiddenSize());
        long perExample = 5L * evalRelevance.size() * Footprint.array(8, 1);
        return data + pass + perExample;
    }

    /**
     * Ranking quality, not the eval loss: the candidates' scores grow apart while training, which can raise
     * the loss over the 10-candidate pools while the ranking improves.
     */
    @Override
    public Watch watch(Map<String, Double> metrics) {
        return new Watch("mrr@10", true);
    }

    @Override
    public Map<String, Double> evaluate() {
        return evaluation().metrics();
    }

    @Override
    public Evaluation evaluation() {
        float[] scores = Scoring.outputs(model, head.linear(), evalSeqs);
        List<boolean[]> ranked = new ArrayList<>(evalRelevance.size());
        double[] losses = new double[evalRelevance.size()];
        double loss = 0;
        int at = 0;
        for (boolean[] rel : evalRelevance) {
            int n = rel.length;
            final int base = at;
            Integer[] idx = new Integer[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < n; c++) {
                idx[c] = c;
                max = Math.max(max, scores[base + c]);
            }
            double all = 0;
            double relevant = 0;
            for (int c = 0; c < n; c++) {
                double e = Math.exp(scores[base + c] - max);
                all += e;
                relevant += rel[c] ? e : 0;
            }
            losses[ranked.size()] = -Math.log(relevant / all);
            loss += -Math.log(relevant / all);
            // best first; a tie ranks the irrelevant passage first (no credit for indecision)
            Arrays.sort(idx, Comparator.comparingDouble((Integer c) -> -scores[base + c]).thenComparing(c -> rel[c]));
            boolean[] r = new boolean[n];
            for (int k = 0; k < n; k++) {
                r[k] = rel[idx[k]];
            }
            ranked.add(r);
            at += n;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", ranked.isEmpty() ? 0.0 : loss / ranked.size());
        m.put("accuracy@1", RankingMetrics.accuracyAt(ranked, 1));
        m.put("accuracy@3", RankingMetrics.accuracyAt(ranked, 3));
        m.put("mrr@10", RankingMetrics.mrrAt(ranked, 10));
        m.put("ndcg@10", RankingMetrics.ndcgAt(ranked, 10));
        // per query: the same functions over one query each (each metric is a mean over queries)
        double[][] per = new double[4][ranked.size()];
        for (int q = 0; q < ranked.size(); q++) {
            List<boolean[]> one = List.of(ranked.get(q));
            per[0][q] = RankingMetrics.accuracyAt(one, 1);
            per[1][q] = RankingMetrics.accuracyAt(one, 3);
            per[2][q] = RankingMetrics.mrrAt(one, 10);
            per[3][q] = RankingMetrics.ndcgAt(one, 10);
        }
        return new Evaluation(m, List.of(ExampleValues.mean("loss", false, losses), ExampleValues.mean("accuracy@1", true, per[0]),
                ExampleValues.mean("accuracy@3", true, per[1]), ExampleValues.mean("mrr@10", true, per[2]),
                ExampleValues.mean("ndcg@10", true, per[3])));
    }
}
