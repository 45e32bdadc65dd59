package dev.finetune.jobs;

import dev.finetune.model.GPT2;
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

    private final GPT2 model;
    private final List<ChatTemplate.Example> train;
    private final List<ChatTemplate.Example> eval;
    private final int T;
    private final int mb;
    private final int[] tokens;
    private final int[] targets;
    private final int[] microTokens;
    private final int[] microTargets;

    LanguageModelTask(GPT2 model, List<ChatTemplate.Example> train, List<ChatTemplate.Example> eval, int B) {
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

    @Override
    public int size() {
        return train.size();
    }

    @Override
    public Step trainBatch(int[] order, int b0, int B, int epoch) {
        fill(train, order, b0, B, T, tokens, targets);
        int batchTargets = 0;
        for (int t : targets) {
            batchTargets += t == GPT2.IGNORE_INDEX ? 0 : 1;
        }
        double lossSum = 0;
        for (int r0 = 0; r0 < B; r0 += mb) {
            int rows = Math.min(mb, B - r0);
            System.arraycopy(tokens, r0 * T, microTokens, 0, rows * T);
            System.arraycopy(targets, r0 * T, microTargets, 0, rows * T);
            Arrays.fill(microTokens, rows * T, mb * T, 0);
            Arrays.fill(microTargets, rows * T, mb * T, GPT2.IGNORE_INDEX);
            float l = model.forward(microTokens, microTargets, mb, T);
            lossSum += (double) l * model.validTargets();
            model.backward(batchTargets);
        }
        float loss = batchTargets == 0 ? 0f : (float) (lossSum / batchTargets);
        return new Step(loss, (long) B * T);
    }

    @Override
    public Map<String, Double> evaluate() {
        return evaluate(model, eval, mb, T);
    }

    /** Rows b0..b0+B of the order into (B,T) inputs and targets; short rows and missing rows are padding (-100). */
    static void fill(List<ChatTemplate.Example> data, int[] order, int b0, int B, int T, int[] tokens, int[] targets) {
        Arrays.fill(tokens, 0);
        Arrays.fill(targets, GPT2.IGNORE_INDEX);
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

    /** Mean cross-entropy per trained token and top-1 accuracy on trained tokens. */
    static Map<String, Double> evaluate(GPT2 model, List<ChatTemplate.Example> data, int B, int T) {
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
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
                    if (target == GPT2.IGNORE_INDEX) {
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
                }
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("cross_entropy", counted == 0 ? 0.0 : lossSum / counted);
        m.put("accuracy", counted == 0 ? 0.0 : (double) correct / counted);
        return m;
    }
}
