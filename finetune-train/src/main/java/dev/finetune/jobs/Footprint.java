package dev.finetune.jobs;

import dev.finetune.heads.Scoring;
import dev.finetune.lora.LoraAdapter;
import dev.finetune.model.CausalLM;
import dev.finetune.model.GPT2Config;
import dev.finetune.optim.AdamW;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainer's memory, part by part, from the shapes it will allocate (before allocating most of
 * them): what {@link RunEstimator} reports as the peak and checks against the heap. Sizes are
 * primitive-array payloads plus a 16-byte header each, rounded to 8 bytes (HotSpot's 64-bit layout
 * with compressed class pointers); objects other than arrays are small beside them and not counted.
 */
final class Footprint {
    private Footprint() {
    }

    /** Bytes of one primitive array of {@code n} elements of {@code elementBytes} each. */
    static long array(int elementBytes, long n) {
        return (16 + elementBytes * n + 7) & ~7L;
    }

    /** What {@link dev.finetune.heads.HeadPass#forward} runs for these sequences: one pass, packed into rows of the longest. */
    static Task.Plan headPass(List<int[]> seqs) {
        dev.finetune.batching.Packing.Layout lay = dev.finetune.heads.HeadPass.layout(seqs);
        return Task.Plan.pass(lay.used(), lay.used(), lay.rows(), lay.T());
    }

    /** What {@link Scoring#outputs} runs: longest first, as many rows per pass as the budget allows. */
    static Task.Plan scoring(CausalLM model, List<int[]> seqs) {
        int n = seqs.size();
        int[] len = new int[n];
        for (int i = 0; i < n; i++) {
            len[i] = seqs.get(i).length;
        }
        Arrays.sort(len);
        Task.Plan p = Task.Plan.NONE;
        int at = 0;
        while (at < n) {
            int T = len[n - 1 - at];
            int rows = Math.min(n - at, Scoring.rowsFor(model, T));
            int[] batch = new int[rows];
            for (int r = 0; r < rows; r++) {
                batch[r] = len[n - 1 - at - r];
            }
            // HeadPass packs each batch into rows as long as its longest
            dev.finetune.batching.Packing.Layout lay = dev.finetune.batching.Packing.pack(batch, T);
            p = p.plus(Task.Plan.pass(lay.used(), lay.used(), lay.rows(), lay.T()));
            at += rows;
        }
        return p;
    }

    /**
     * The model's activation buffers for passes up to {@code capBT} tokens and {@code capBTT} attention
     * weights per head: per layer the LayerNorm outputs and statistics, qkv, attention weights and output,
     * residuals, the MLP's pre- and post-GELU; then the final LayerNorm, the loss rows and the backward
     * scratch.
     */
    static long activations(CausalLM model, long capBT, long capBTT) {
        if (capBT == 0) {
            return 0;
        }
        if (!(model.config() instanceof GPT2Config cfg)) {
            // other families size their own buffers: B = BT / T and T = BTT / BT for the largest pass
            long T = Math.max(1, capBTT / capBT);
            long B = Math.max(1, capBT / T);
            return model.activationBytes((int) B, (int) T);
        }
        long C = cfg.channels();
        long bt = capBT;
        long btc = bt * C;
        long perLayer = 6 * array(4, btc) + array(4, 3 * btc) + 2 * array(4, 4 * btc) + 4 * array(4, bt)
                + array(4, capBTT * cfg.heads());
        long rest = 3 * array(4, bt) // tokens, targets, positions
                + array(4, btc) // encoded
                + 4 * array(4, btc) // proj, lnf, dResidual, dC
                + 4 * array(4, bt) // lnf mean and rstd, lse, row loss
                + array(4, 3 * btc) + 2 * array(4, 4 * btc) // dQkv, dFchGelu, dFch
                + array(4, bt * cfg.heads()); // dAtt
        return cfg.layers() * perLayer + rest;
    }

    /** LoRA pieces per layer for the targets (q and v: two ranges of c_attn; then c_proj, and the MLP's two). */
    static int piecesPerLayer(LoraAdapter.Targets t) {
        return switch (t) {
            case QV, QKVO -> 2;
            case QKVO_FFN -> 4;
        };
    }

    /**
     * Every part, in bytes: {@code weights} (and {@code base_weights} when the chat vocabulary grew a
     * copy), {@code gradients} (a full buffer: the model keeps one even under LoRA), {@code adapter}
     * (its weights, gradients and per-piece (B·T, r) scratch), {@code head}, {@code optimizer} (AdamW's
     * two moments), {@code weight_copies} (the best weights and the checkpoint copy), {@code activations}
     * and the task's own buffers ({@code task}: examples, inputs, logits or head scratch).
     */
    /** A model's weights in bytes (4 a weight; 2 a matrix weight of a base held frozen in BF16), as arrays. */
    private static long weightBytes(CausalLM model) {
        return array(1, model.weightBytes());
    }

    static Map<String, Long> parts(CausalLM model, CausalLM base, LoraAdapter adapter, Task task, TrainerLoop.Trainable tr,
                                   Task.Plan largest) {
        Map<String, Long> m = new LinkedHashMap<>();
        long params = model.parameters().length;
        m.put("weights", weightBytes(model));
        if (base != null && base != model) {
            m.put("base_weights", weightBytes(base));
        }
        m.put("gradients", array(4, params));
        if (adapter != null) {
            long n = adapter.parameters().length;
            int pieces = model.config().layers() * piecesPerLayer(adapter.targets());
            m.put("adapter", 2 * array(4, n) + 2L * pieces * array(4, largest.maxBT() * adapter.rank()));
        }
        long head = 0;
        for (AdamW.Slice s : task.extraSlices()) {
            head += array(4, s.values().length) + array(4, s.grads().length);
        }
        if (head > 0) {
            m.put("head", head);
        }
        long trainable = tr.floats();
        m.put("optimizer", 2 * array(4, trainable));
        m.put("weight_copies", 2 * array(4, trainable));
        m.put("activations", activations(model, largest.maxBT(), largest.maxBTT()));
        m.put("task", task.bufferBytes(largest));
        return m;
    }

    static long sum(Map<String, Long> parts) {
        return parts.values().stream().mapToLong(Long::longValue).sum();
    }
}
