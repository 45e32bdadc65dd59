package dev.finetune.jobs;

import dev.finetune.batching.Packing;
import dev.finetune.metrics.ExampleValues;
import dev.finetune.model.CausalLM;
import dev.finetune.template.ChatTemplate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chat and generative fine-tunes: next-token cross-entropy on the template's trained tokens.
 * Evaluation: {@code cross_entropy} (mean nats per trained token) and {@code accuracy} (top-1 next-token
 * accuracy on trained tokens).
 *
 * <p><b>Batches are packed</b> ({@link Packing}): the {@code train_batch_size} examples of a step (the
 * contract: that many examples per optimizer step, in the trainer's seeded order) are laid whole, one
 * after the other, into as few positions as first-fit decreasing finds ({@link Packing#pack}); the model
 * keeps them apart (each example attends only to itself, its positions restart at 0). The row length is
 * chosen per step between the batch's longest example and {@link #rowCap()} (√mb times the dataset's
 * longest T: a row may be longer than the context, its examples' positions stay within it), and the rows
 * run in passes that hold no more positions (mb·T) and attention weights (mb·T² per head) than an unpacked
 * micro-batch did, so packing never needs more memory. The loss is what it was unpacked: the mean
 * cross-entropy over every trained token of the step's examples. With more than one pass (whole rows, so
 * an example is never split) the gradients accumulate, each pass's summed loss divided by the whole step's
 * trained-token count: gradient accumulation inside one optimizer step, which changes nothing but memory.
 * {@code -Dfinetune.packing=false} restores the unpacked layout (every example a row padded to the
 * dataset's longest, micro-batches of mb rows), for comparisons.
 */
final class LanguageModelTask implements Task {
    /** Logits memory a micro-batch may use; larger batches accumulate gradients over micro-batches. */
    static final long MICRO_BATCH_LOGITS_BYTES = Long.getLong("finetune.microBatchLogitsBytes", 256L << 20);
    /** Whether batches are packed (default); {@code -Dfinetune.packing=false} pads every example to T. */
    static final boolean PACKING = !"false".equals(System.getProperty("finetune.packing"));

    private final CausalLM model;
    private final List<ChatTemplate.Example> train;
    private final List<ChatTemplate.Example> eval;
    private final boolean packing;
    /** The longest example's input length (at most the context): the unpacked row length and the packed rows' cap. */
    private final int T;
    /** Rows of T per unpacked micro-batch; a packed pass holds at most mb·T positions. */
    private final int mb;
    private final int[] tokens;
    private final int[] targets;
    private final int[] positions;
    private final int[] microTokens;
    private final int[] microTargets;
    private final int[] microPositions;

    LanguageModelTask(CausalLM model, List<ChatTemplate.Example> train, List<ChatTemplate.Example> eval, int B) {
        this(model, train, eval, B, PACKING);
    }

    LanguageModelTask(CausalLM model, List<ChatTemplate.Example> train, List<ChatTemplate.Example> eval, int B, boolean packing) {
        this(model, train, eval, B, packing, longest(model, train), -1);
    }

    /** {@code T} the row length, {@code microBatch} the rows per unpacked micro-batch (-1: from the logits budget). */
    private LanguageModelTask(CausalLM model, List<ChatTemplate.Example> train, List<ChatTemplate.Example> eval, int B, boolean packing,
                              int T, int microBatch) {
        this.model = model;
        this.train = train;
        this.eval = eval.isEmpty() ? train : eval;
        this.packing = packing;
        this.T = T;
        this.mb = microBatch > 0 ? microBatch : (int) Math.max(1, Math.min(B, MICRO_BATCH_LOGITS_BYTES
                / (4L * T * model.config().vocabSize())));
        // a packed step's rows × T never exceed B·T (Packing: at most every example padded to the batch's longest)
        this.tokens = new int[B * T];
        this.targets = new int[B * T];
        this.positions = packing ? new int[B * T] : null;
        this.microTokens = new int[mb * T];
        this.microTargets = new int[mb * T];
        this.microPositions = packing ? new int[mb * T] : null;
    }

    /** The longest example's input length, at most the context. */
    private static int longest(CausalLM model, List<ChatTemplate.Example> train) {
        int t = 1;
        for (ChatTemplate.Example e : train) {
            t = Math.max(t, e.tokens().length - 1);
        }
        return Math.min(t, model.config().maxSeqLen());
    }

    /** Rows per forward pass (unpacked; a packed pass holds at most this many rows' positions). */
    int microBatch() {
        return mb;
    }

    /**
     * The longest packed row: T·√mb, where one row's (T,T) attention weights take what mb unpacked rows'
     * took, and at most the mb·T positions of a micro-batch (T when mb is 1).
     */
    int rowCap() {
        return (int) Math.max(T, Math.min((long) mb * T, (long) Math.floor(T * Math.sqrt(mb))));
    }

    /** Rows of {@code lay} per pass: at most an unpacked micro-batch's positions (mb·T) and attention weights (mb·T²). */
    private int rowsPerPass(Packing.Layout lay) {
        return lay.rowsPerPass((long) mb * T, (long) mb * T * T);
    }

    @Override
    public int size() {
        return train.size();
    }

    @Override
    public Step trainBatch(int[] order, int b0, int B, int epoch) {
        if (!packing) {
            return trainPadded(order, b0, B);
        }
        int n = Math.max(0, Math.min(B, order.length - b0));
        Packing.Layout lay = layout(train, order, b0, n, T, rowCap());
        fill(train, order, b0, lay, tokens, targets, positions);
        int batchTargets = filledTargets(lay);
        double lossSum = passes(lay, batchTargets);
        float loss = batchTargets == 0 ? 0f : (float) (lossSum / batchTargets);
        return new Step(loss, lay.slots(), lay.used(), batchTargets);
    }

    /** The trained targets among the filled (rows, T) of {@code lay}. */
    private int filledTargets(Packing.Layout lay) {
        int n = 0;
        for (int i = 0; i < lay.rows() * lay.T(); i++) {
            n += targets[i] == CausalLM.IGNORE_INDEX ? 0 : 1;
        }
        return n;
    }

    /**
     * Forward and backward over the filled rows of {@code lay} in passes of whole rows, each pass's summed
     * loss divided by {@code normalizeBy}; returns the summed loss of every pass.
     */
    private double passes(Packing.Layout lay, int normalizeBy) {
        int Tr = lay.T();
        int R = lay.rows();
        double lossSum = 0;
        int per = rowsPerPass(lay);
        for (int r0 = 0; r0 < R; r0 += per) {
            int rows = Math.min(per, R - r0);
            System.arraycopy(tokens, r0 * Tr, microTokens, 0, rows * Tr);
            System.arraycopy(targets, r0 * Tr, microTargets, 0, rows * Tr);
            System.arraycopy(positions, r0 * Tr, microPositions, 0, rows * Tr);
            float l = model.forward(microTokens, microTargets, microPositions, rows, Tr);
            lossSum += (double) l * model.validTargets();
            model.backward(normalizeBy);
        }
        return lossSum;
    }

    /** A shard of a step: its examples' tokens and trained flags, and the whole step's trained-token count. */
    record Shard(int[][] tokens, boolean[][] trained, int stepTargets) implements ShardedTraining.Shard {
        List<ChatTemplate.Example> examples() {
            List<ChatTemplate.Example> out = new java.util.ArrayList<>(tokens.length);
            for (int i = 0; i < tokens.length; i++) {
                out.add(new ChatTemplate.Example(tokens[i], trained[i]));
            }
            return out;
        }
    }

    /** The shard side of the task on a worker: the driver's row length, micro-batch and batch size. */
    record WorkerTask(int T, int mb, int B) implements ShardedTraining.TaskSpec {
        @Override
        public Task build(CausalLM model) {
            return new LanguageModelTask(model, List.of(), List.of(), B, true, T, mb);
        }
    }

    @Override
    public ShardedTraining.TaskSpec workerTask() {
        requirePacking();
        return new WorkerTask(T, mb, tokens.length / T);
    }

    private void requirePacking() {
        if (!packing) {
            throw new dev.finetune.FinetuneException("gradient shards need packed batches: drop -Dfinetune.packing=false");
        }
    }

    @Override
    public List<ShardedTraining.Shard> shards(int[] order, int b0, int B, int epoch, int shards) {
        requirePacking();
        int n = Math.max(0, Math.min(B, order.length - b0));
        int stepTargets = 0;
        for (int i = 0; i < n; i++) {
            stepTargets += trainedTargets(train.get(order[b0 + i]), T);
        }
        List<ShardedTraining.Shard> out = new java.util.ArrayList<>();
        for (int[] cut : ShardedTraining.cuts(n, shards)) {
            int[][] tk = new int[cut[1] - cut[0]][];
            boolean[][] tr = new boolean[tk.length][];
            for (int i = 0; i < tk.length; i++) {
                ChatTemplate.Example e = train.get(order[b0 + cut[0] + i]);
                tk[i] = e.tokens();
                tr[i] = e.trained();
            }
            out.add(new Shard(tk, tr, stepTargets));
        }
        return out;
    }

    /** The targets an example trains in a row of at most T (what {@link #fill} marks). */
    private static int trainedTargets(ChatTemplate.Example e, int T) {
        int n = 0;
        int len = inputLength(e, T);
        for (int j = 0; j < len; j++) {
            n += e.trained()[j + 1] ? 1 : 0;
        }
        return n;
    }

    @Override
    public Step trainShard(ShardedTraining.Shard shard) {
        requirePacking();
        Shard s = (Shard) shard;
        List<ChatTemplate.Example> data = s.examples();
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Packing.Layout lay = layout(data, order, 0, data.size(), T, rowCap());
        fill(data, order, 0, lay, tokens, targets, positions);
        int shardTargets = filledTargets(lay);
        double lossSum = passes(lay, s.stepTargets());
        return new Step(s.stepTargets() == 0 ? 0 : lossSum / s.stepTargets(), lay.slots(), lay.used(), shardTargets);
    }

    /** The unpacked step: B rows of T, micro-batches of mb rows (the last one filled with padding rows). */
    private Step trainPadded(int[] order, int b0, int B) {
        fill(train, order, b0, B, T, tokens, targets);
        int batchTargets = 0;
        for (int t : targets) {
            batchTargets += t == CausalLM.IGNORE_INDEX ? 0 : 1;
        }
        double lossSum = 0;
        for (int r0 = 0; r0 < B; r0 += mb) {
            int rows = Math.min(mb, B - r0);
            System.arraycopy(tokens, r0 * T, microTokens, 0, rows * T);
            System.arraycopy(targets, r0 * T, microTargets, 0, rows * T);
            Arrays.fill(microTokens, rows * T, mb * T, 0);
            Arrays.fill(microTargets, rows * T, mb * T, CausalLM.IGNORE_INDEX);
            float l = model.forward(microTokens, microTargets, mb, T);
            lossSum += (double) l * model.validTargets();
            model.backward(batchTargets);
        }
        float loss = batchTargets == 0 ? 0f : (float) (lossSum / batchTargets);
        long input = 0;
        for (int b = 0; b < B && b0 + b < order.length; b++) {
            input += inputLength(train.get(order[b0 + b]), T);
        }
        int micro = (B + mb - 1) / mb;
        return new Step(loss, (long) micro * mb * T, input, batchTargets);
    }

    /** An example's input positions in a row of at most T: its tokens but the last, cut at T (as always). */
    static int inputLength(ChatTemplate.Example e, int T) {
        return Math.max(0, Math.min(T, e.tokens().length - 1));
    }

    /**
     * The packed layout of examples {@code order[b0 .. b0+n)} (sequence i is example {@code order[b0+i]}),
     * each cut at T (as unpacked), rows at most {@code cap} (≥ T) long.
     */
    static Packing.Layout layout(List<ChatTemplate.Example> data, int[] order, int b0, int n, int T, int cap) {
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = inputLength(data.get(order[b0 + i]), T);
        }
        return Packing.pack(lengths, cap);
    }

    /**
     * Examples {@code order[b0 ..]} laid out as {@code lay} into (rows, T) inputs, targets (the next
     * token where trained, else -100; padding -100) and positions. Allocation-free.
     */
    static void fill(List<ChatTemplate.Example> data, int[] order, int b0, Packing.Layout lay, int[] tokens, int[] targets,
                     int[] positions) {
        int Tr = lay.T();
        int slots = lay.rows() * Tr;
        Arrays.fill(tokens, 0, slots, 0);
        Arrays.fill(targets, 0, slots, CausalLM.IGNORE_INDEX);
        for (int i = 0; i < lay.sequences(); i++) {
            ChatTemplate.Example e = data.get(order[b0 + i]);
            int[] tk = e.tokens();
            boolean[] tr = e.trained();
            int at = lay.row()[i] * Tr + lay.offset()[i];
            int len = lay.length()[i];
            System.arraycopy(tk, 0, tokens, at, len);
            for (int j = 0; j < len; j++) {
                targets[at + j] = tr[j + 1] ? tk[j + 1] : CausalLM.IGNORE_INDEX;
            }
        }
        lay.positions(positions);
    }

        @Override
    public Map<String, Double> evaluate() {
        return evaluation().metrics();
    }

    @Override
    public Evaluation evaluation() {
        return packing ? evaluatePacked(model, eval, mb, T) : evaluate(model, eval, mb, T);
    }

    @Override
    public Plan plan(int[] order, int b0, int B, int epoch) {
        long trained = 0;
        long input = 0;
        for (int b = 0; b < B && b0 + b < order.length; b++) {
            ChatTemplate.Example e = train.get(order[b0 + b]);
            int n = inputLength(e, T);
            input += n;
            for (int i = 1; i <= n; i++) {
                trained += e.trained()[i] ? 1 : 0;
            }
        }
        if (packing) {
            Packing.Layout lay = layout(train, order, b0, Math.max(0, Math.min(B, order.length - b0)), T, rowCap());
            long bt = (long) rowsPerPass(lay) * lay.T();
            return new Plan(trained, input, lay.slots(), bt, bt * lay.T());
        }
        int micro = (B + mb - 1) / mb;
        Plan p = Plan.pass(trained, input, mb, T);
        return new Plan(trained, input, (long) micro * mb * T, p.maxBT(), p.maxBTT());
    }

    @Override
    public Plan evalPlan() {
        long trained = 0;
        long input = 0;
        for (ChatTemplate.Example e : eval) {
            int n = inputLength(e, T);
            input += n;
            for (int i = 1; i <= n; i++) {
                trained += e.trained()[i] ? 1 : 0;
            }
        }
        if (packing) {
            long processed = 0;
            long maxBT = 0;
            long maxBTT = 0;
            for (Packing.Layout lay : Packing.inOrder(inputLengths(eval, T), T, mb)) {
                processed += lay.slots();
                maxBT = Math.max(maxBT, lay.slots());
                maxBTT = Math.max(maxBTT, lay.slots() * lay.T());
            }
            return new Plan(trained, input, processed, maxBT, maxBTT);
        }
        long batches = (eval.size() + mb - 1) / mb;
        return new Plan(trained, input, batches * mb * T, (long) mb * T, (long) mb * T * T);
    }

    private static int[] inputLengths(List<ChatTemplate.Example> data, int T) {
        int[] lengths = new int[data.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = inputLength(data.get(i), T);
        }
        return lengths;
    }

    @Override
    public int evalSize() {
        return eval.size();
    }

    @Override
    public long bufferBytes(Plan largest) {
        long data = 0;
        for (List<ChatTemplate.Example> part : eval == train ? List.of(train) : List.of(train, eval)) {
            for (ChatTemplate.Example e : part) {
                data += Footprint.array(4, e.tokens().length) + Footprint.array(1, e.trained().length);
            }
        }
        // (B,T) and (mb,T) inputs and targets (and positions when packed); logits (mb·T, V), sized by the largest pass
        int arrays = packing ? 3 : 2;
        long io = arrays * (Footprint.array(4, tokens.length) + Footprint.array(4, microTokens.length));
        long logits = Footprint.array(4, largest.maxBT() * model.config().vocabSize());
        // an evaluation's own (mb,T) inputs and targets (and positions) and its per-example values (2 metrics x 2 parts)
        long evalBuffers = arrays * Footprint.array(4, (long) mb * T) + 2 * eval.size() * Footprint.array(8, 2);
        return data + io + logits + evalBuffers;
    }

    /** Rows b0..b0+B of the order into (B,T) inputs and targets; short rows and missing rows are padding (-100). */
    static void fill(List<ChatTemplate.Example> data, int[] order, int b0, int B, int T, int[] tokens, int[] targets) {
        Arrays.fill(tokens, 0);
        Arrays.fill(targets, CausalLM.IGNORE_INDEX);
        for (int b = 0; b < B; b++) {
            if (b0 + b >= order.length) {
                break;
            }
            ChatTemplate.Example e = data.get(order[b0 + b]);
            int[] in = e.inputs();
            int[] tg = e.targets();
            int n = Math.min(T, in.length);
            System.arraycopy(in, 0, tokens, b * T, n);
            System.arraycopy(tg, 0, targets, b * T, n);
        }
    }

    /**
     * Mean cross-entropy per trained token and top-1 accuracy on trained tokens, with both as per-example
     * ratios (an example's summed nats or correct predictions over its trained tokens).
     */
    static Evaluation evaluate(CausalLM model, List<ChatTemplate.Example> data, int B, int T) {
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        double[][] ceParts = new double[data.size()][2];
        double[][] accParts = new double[data.size()][2];
        double lossSum = 0;
        long counted = 0;
        long correct = 0;
        int V = model.config().vocabSize();
        for (int b0 = 0; b0 < data.size(); b0 += B) {
            fill(data, order, b0, B, T, tokens, targets);
            float loss = model.forward(tokens, targets, B, T);
            int n = model.validTargets();
            lossSum += (double) loss * n;
            counted += n;
            float[] logits = model.logits();
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    int target = targets[b * T + t];
                    if (target == CausalLM.IGNORE_INDEX) {
                        continue;
                    }
                    correct += score(logits, model.logitsOffset(b, t), target, V, ceParts[b0 + b], accParts[b0 + b]);
                }
            }
        }
        return metrics(lossSum, counted, correct, ceParts, accParts);
    }

    /**
     * {@link #evaluate}'s metrics over packed passes ({@link Packing#inOrder}: the examples in order, first
     * fit into at most {@code mb} rows of at most T per pass): the same sums, to float rounding.
     */
    static Evaluation evaluatePacked(CausalLM model, List<ChatTemplate.Example> data, int mb, int T) {
        int[] tokens = new int[mb * T];
        int[] targets = new int[mb * T];
        int[] positions = new int[mb * T];
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        double[][] ceParts = new double[data.size()][2];
        double[][] accParts = new double[data.size()][2];
        double lossSum = 0;
        long counted = 0;
        long correct = 0;
        int V = model.config().vocabSize();
        int first = 0;
        for (Packing.Layout lay : Packing.inOrder(inputLengths(data, T), T, mb)) {
            fill(data, order, first, lay, tokens, targets, positions);
            float loss = model.forward(tokens, targets, positions, lay.rows(), lay.T());
            int n = model.validTargets();
            lossSum += (double) loss * n;
            counted += n;
            float[] logits = model.logits();
            for (int i = 0; i < lay.sequences(); i++) {
                int r = lay.row()[i];
                int at = r * lay.T() + lay.offset()[i];
                for (int j = 0; j < lay.length()[i]; j++) {
                    int target = targets[at + j];
                    if (target == CausalLM.IGNORE_INDEX) {
                        continue;
                    }
                    correct += score(logits, model.logitsOffset(r, lay.offset()[i] + j), target, V, ceParts[first + i],
                            accParts[first + i]);
                }
            }
            first += lay.sequences();
        }
        return metrics(lossSum, counted, correct, ceParts, accParts);
    }

    /**
     * One trained position's top-1 hit (1 or 0), adding its nats and hit to the example's sums {@code ce}
     * and {@code acc} (double, for the paired test only).
     */
    private static int score(float[] logits, int off, int target, int V, double[] ce, double[] acc) {
        int arg = 0;
        for (int v = 1; v < V; v++) {
            if (logits[off + v] > logits[off + arg]) {
                arg = v;
            }
        }
        float max = logits[off + arg];
        double sum = 0;
        for (int v = 0; v < V; v++) {
            sum += Math.exp(logits[off + v] - max);
        }
        ce[0] += max + Math.log(sum) - logits[off + target];
        ce[1] += 1;
        int hit = arg == target ? 1 : 0;
        acc[0] += hit;
        acc[1] += 1;
        return hit;
    }

    private static Evaluation metrics(double lossSum, long counted, long correct, double[][] ceParts, double[][] accParts) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("cross_entropy", counted == 0 ? 0.0 : lossSum / counted);
        m.put("accuracy", counted == 0 ? 0.0 : (double) correct / counted);
        return new Evaluation(m, List.of(new ExampleValues("cross_entropy", ExampleValues.Reduce.RATIO, false, ceParts),
                new ExampleValues("accuracy", ExampleValues.Reduce.RATIO, true, accParts)));
    }
}
