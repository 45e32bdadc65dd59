package dev.finetune.jobs;

import dev.finetune.metrics.ExampleValues;
import dev.finetune.model.CausalLM;
import dev.finetune.template.ChatTemplate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chat and generative fine-tunes: next-token cross-entropy on the template's trained tokens. Every
 * example is padded to one length T (the longest, at most the context); a batch is split into
 * micro-batches whose logits fit {@link MICRO_BATCH_LOGITS_BYTES}, gradients
 * accumulated and normalized by the whole batch's target count. Evaluation: {@code cross_entropy} (mean
 * nats per trained token) and {@code accuracy} (top-1 next-token accuracy on trained tokens).
 */
final class LanguageModelTask implements Task {
    /** Logits memory a micro-batch may use; larger batches accumulate gradients over micro-batches. */
    static final long MICRO_BATCH_LOGITS_BYTES = Long.getLong("finetune.microBatchLogitsBytes", 256L << 20);

    private final CausalLM model;
    private final List<ChatTemplate.Example> train;
    private final List<ChatTemplate.Example> eval;
    private final int T;
    private final int mb;
    private final int[] tokens;
    private final int[] targets;
    private final int[] microTokens;
    private final int[] microTargets;

    LanguageModelTask(CausalLM model, List<ChatTemplate.Example> train, List<ChatTemplate.Example> eval, int B) {
        this.model = model;
        this.train = train;
        this.eval = eval.isEmpty() ? train : eval;
        int t = 1;
        for (ChatTemplate.Example e : train) {
            t = Math.max(t, e.tokens().length - 1);
        }
        this.T = Math.min(t, model.config().maxSeqLen());
        this.mb = (int) Math.max(1, Math.min(B, MICRO_BATCH_LOGITS_BYTES
                / (4L * T * model.config().vocabSize())));
        this.tokens = new int[B * T];
        this.targets = new int[B * T];
        this.microTokens = new int[mb * T];
        this.microTargets = new int[mb * T];
    }

    /** Rows per forward pass. */
    int microBatch() {
        return mb;
    }

    @Override
    public int size() {
        return train.size();
    }

    @Override
    public Step trainBatch(int[] order, int b0, int B, int epoch) {
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
        return new Step(loss, (long) B * T, batchTargets);
    }

    @Override
    public Map<String, Double> evaluate() {
        return evaluation().metrics();
    }

    @Override
    public Evaluation evaluation() {
        return evaluate(model, eval, mb, T);
    }

    @Override
    public Plan plan(int[] order, int b0, int B, int epoch) {
        long trained = 0;
        long input = 0;
        for (int b = 0; b < B && b0 + b < order.length; b++) {
            ChatTemplate.Example e = train.get(order[b0 + b]);
            int n = Math.min(T, e.tokens().length - 1);
            input += n;
            for (int i = 1; i <= n; i++) {
                trained += e.trained()[i] ? 1 : 0;
            }
        }
        int micro = (B + mb - 1) / mb;
        Plan p = Plan.pass(trained, input, mb, T);
        return new Plan(trained, input, (long) micro * mb * T, p.maxBT(), p.maxBTT());
    }

    @Override
    public Plan evalPlan() {
        int[] order = new int[eval.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        long trained = 0;
        long input = 0;
        for (ChatTemplate.Example e : eval) {
            int n = Math.min(T, e.tokens().length - 1);
            input += n;
            for (int i = 1; i <= n; i++) {
                trained += e.trained()[i] ? 1 : 0;
            }
        }
        long batches = (eval.size() + mb - 1) / mb;
        return new Plan(trained, input, batches * mb * T, (long) mb * T, (long) mb * T * T);
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
        // (B,T) and (mb,T) inputs and targets; logits (mb·T, V), sized by the largest pass
        long io = 2 * Footprint.array(4, tokens.length) + 2 * Footprint.array(4, microTokens.length);
        long logits = Footprint.array(4, largest.maxBT() * model.config().vocabSize());
        // an evaluation's own (mb,T) inputs and targets and its per-example values (2 metrics x 2 parts)
        long evalBuffers = 2 * Footprint.array(4, (long) mb * T) + 2 * eval.size() * Footprint.array(8, 2);
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
                    int off = model.logitsOffset(b, t);
                    int arg = 0;
                    for (int v = 1; v < V; v++) {
                        if (logits[off + v] > logits[off + arg]) {
                            arg = v;
                        }
                    }
                    correct += arg == target ? 1 : 0;
                    // this example's nats at this position (double, for the paired test only)
                    float max = logits[off + arg];
                    double sum = 0;
                    for (int v = 0; v < V; v++) {
                        sum += Math.exp(logits[off + v] - max);
                    }
                    double[] ce = ceParts[b0 + b];
                    ce[0] += max + Math.log(sum) - logits[off + target];
                    ce[1] += 1;
                    double[] acc = accParts[b0 + b];
                    acc[0] += arg == target ? 1 : 0;
                    acc[1] += 1;
                }
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("cross_entropy", counted == 0 ? 0.0 : lossSum / counted);
        m.put("accuracy", counted == 0 ? 0.0 : (double) correct / counted);
        return new Evaluation(m, List.of(new ExampleValues("cross_entropy", ExampleValues.Reduce.RATIO, false, ceParts),
                new ExampleValues("accuracy", ExampleValues.Reduce.RATIO, true, accParts)));
    }
}
