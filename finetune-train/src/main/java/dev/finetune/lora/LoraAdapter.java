package dev.finetune.lora;

import dev.finetune.kernel.Gemm;
import dev.finetune.kernel.Kernels;
import dev.finetune.model.GPT2;
import dev.finetune.model.GPT2Config;
import dev.finetune.optim.AdamW;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.SafetensorsWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * LoRA on GPT-2's linear layers: for each adapted output range {@code [o0, o1)} of a site's output,
 * {@code out[:, o0:o1] += (alpha/r) · (inp · A) · B} with A (IC, r) and B (r, o1-o0). A starts uniform in
 * ±1/sqrt(IC) (PEFT's kaiming-uniform bound for a = sqrt(5)), B at 0, so a fresh adapter leaves the model
 * unchanged. The targets: {@code QV} adapts the q and v thirds of {@code c_attn}; {@code QKVO} all of
 * {@code c_attn} and {@code attn.c_proj}; {@code QKVO_FFN} also {@code mlp.c_fc} and {@code mlp.c_proj}.
 *
 * <p>All adapter weights live in one flat buffer (and one gradient buffer) so that AdamW sees them as
 * one slice. Saved as {@code adapter.safetensors} with names {@code h.<l>.<site>.<o0>.lora_A} (r, IC)
 * and {@code .lora_B} (o1-o0, r) — PEFT's layouts — and mergeable into the base weights.
 */
public final class LoraAdapter implements GPT2.Adapter {

    /** Which linear layers to adapt. */
    public enum Targets { QV, QKVO, QKVO_FFN }

    /** One adapted output range of one site of one layer. */
    private static final class Piece {
        final int layer;
        final GPT2.Site site;
        final int in;
        final int outWidth;
        final int o0;
        final int a;
        final int b;
        float[] h = new float[0]; // (N, r) scaled by alpha/r, kept for backward
        float[] dh = new float[0];

        Piece(int layer, GPT2.Site site, int in, int o0, int o1, int a, int b) {
            this.layer = layer;
            this.site = site;
            this.in = in;
            this.o0 = o0;
            this.outWidth = o1 - o0;
            this.a = a;
            this.b = b;
        }
    }

    private final GPT2Config cfg;
    private final int rank;
    private final float scale;
    private final Targets targets;
    private final List<Piece> pieces = new ArrayList<>();
    private final List<Piece>[][] bySite;
    private final float[] params;
    private final float[] grads;
    private final Gemm gemm = Kernels.gemm();

    @SuppressWarnings("unchecked")
    public LoraAdapter(GPT2Config cfg, int rank, int alpha, Targets targets, long seed) {
        if (rank < 1 || alpha < 1) {
            throw new IllegalArgumentException("LoRA rank and alpha must be positive, got " + rank + ", " + alpha);
        }
        this.cfg = cfg;
        this.rank = rank;
        this.scale = (float) alpha / rank;
        this.targets = targets;
        int C = cfg.channels();
        bySite = new List[cfg.layers()][GPT2.Site.values().length];
        int off = 0;
        for (int l = 0; l < cfg.layers(); l++) {
            List<int[]> ranges = new ArrayList<>(); // site ordinal, in, o0, o1
            if (targets == Targets.QV) {
                ranges.add(new int[] {GPT2.Site.QKV.ordinal(), C, 0, C});
                ranges.add(new int[] {GPT2.Site.QKV.ordinal(), C, 2 * C, 3 * C});
            } else {
                ranges.add(new int[] {GPT2.Site.QKV.ordinal(), C, 0, 3 * C});
                ranges.add(new int[] {GPT2.Site.ATTN_PROJ.ordinal(), C, 0, C});
                if (targets == Targets.QKVO_FFN) {
                    ranges.add(new int[] {GPT2.Site.FC.ordinal(), C, 0, 4 * C});
                    ranges.add(new int[] {GPT2.Site.FC_PROJ.ordinal(), 4 * C, 0, C});
                }
            }
            for (int[] r : ranges) {
                GPT2.Site site = GPT2.Site.values()[r[0]];
                int aOff = off;
                off += r[1] * rank;
                int bOff = off;
                off += rank * (r[3] - r[2]);
                Piece p = new Piece(l, site, r[1], r[2], r[3], aOff, bOff);
                pieces.add(p);
                if (bySite[l][r[0]] == null) {
                    bySite[l][r[0]] = new ArrayList<>();
                }
                bySite[l][r[0]].add(p);
            }
        }
        params = new float[off];
        grads = new float[off];
        Random rnd = new Random(seed);
        for (Piece p : pieces) {
            float bound = (float) (1.0 / Math.sqrt(p.in));
            for (int i = 0; i < p.in * rank; i++) {
                params[p.a + i] = (rnd.nextFloat() * 2 - 1) * bound;
            }
        }
    }

    public float[] parameters() {
        return params;
    }

    public float[] gradients() {
        return grads;
    }

    public int rank() {
        return rank;
    }

    public Targets targets() {
        return targets;
    }

    public void zeroGrad() {
        java.util.Arrays.fill(grads, 0f);
    }

    /** The optimizer slice of every adapter weight (no weight decay). */
    public AdamW.Slice slice() {
        return new AdamW.Slice("lora", params, grads, 0, params.length, false);
    }

    @Override
    public int lowestLayer() {
        return 0;
    }

    private static int outWidth(GPT2Config cfg, GPT2.Site site) {
        int C = cfg.channels();
        return switch (site) {
            case QKV -> 3 * C;
            case ATTN_PROJ, FC_PROJ -> C;
            case FC -> 4 * C;
        };
    }

    @Override
    public void forward(int layer, GPT2.Site site, float[] out, float[] inp, int N) {
        List<Piece> ps = bySite[layer][site.ordinal()];
        if (ps == null) {
            return;
        }
        int OC = outWidth(cfg, site);
        for (Piece p : ps) {
            if (p.h.length < N * rank) {
                p.h = new float[N * rank];
                p.dh = new float[N * rank];
            }
            // h (N,r) = inp (N,IC) · A (IC,r), then scaled
            gemm.gemm(false, false, N, rank, p.in, inp, 0, p.in, params, p.a, rank, p.h, 0, rank, false);
            for (int i = 0; i < N * rank; i++) {
                p.h[i] *= scale;
            }
            // out[:, o0:o1] += h (N,r) · B (r, W)
            gemm.gemm(false, false, N, p.outWidth, rank, p.h, 0, rank, params, p.b, p.outWidth, out, p.o0, OC, true);
        }
    }

    @Override
    public void backward(int layer, GPT2.Site site, float[] dinp, float[] dout, float[] inp, int N) {
        List<Piece> ps = bySite[layer][site.ordinal()];
        if (ps == null) {
            return;
        }
        int OC = outWidth(cfg, site);
        for (Piece p : ps) {
            // dB (r,W) += hᵀ · dout[:, o0:o1]
            gemm.gemm(true, false, rank, p.outWidth, N, p.h, 0, rank, dout, p.o0, OC, grads, p.b, p.outWidth, true);
            // dh (N,r) = scale · dout[:, o0:o1] · Bᵀ
            gemm.gemm(false, true, N, rank, p.outWidth, dout, p.o0, OC, params, p.b, p.outWidth, p.dh, 0, rank, false);
            for (int i = 0; i < N * rank; i++) {
                p.dh[i] *= scale;
            }
            // dA (IC,r) += inpᵀ · dh ; dinp (N,IC) += dh · Aᵀ
            gemm.gemm(true, false, p.in, rank, N, inp, 0, p.in, p.dh, 0, rank, grads, p.a, rank, true);
            if (dinp != null) {
                gemm.gemm(false, true, N, p.in, rank, p.dh, 0, rank, params, p.a, rank, dinp, 0, p.in, true);
            }
        }
    }

    /** Adds {@code scale · A·B} into the base weights, after which the model alone equals model + adapter. */
    public void mergeInto(GPT2 model) {
        float[] w = model.parameters();
        for (Piece p : pieces) {
            String name = "h." + p.layer + "." + switch (p.site) {
                case QKV -> "attn.c_attn.weight";
                case ATTN_PROJ -> "attn.c_proj.weight";
                case FC -> "mlp.c_fc.weight";
                case FC_PROJ -> "mlp.c_proj.weight";
            };
            int wOff = model.tensor(name).offset();
            int OC = outWidth(cfg, p.site);
            float[] scaledA = new float[p.in * rank];
            for (int i = 0; i < scaledA.length; i++) {
                scaledA[i] = params[p.a + i] * scale;
            }
            // W[:, o0:o1] (IC, W) += scaledA (IC,r) · B (r,W)
            gemm.gemm(false, false, p.in, p.outWidth, rank, scaledA, 0, rank, params, p.b, p.outWidth, w, wOff + p.o0, OC, true);
        }
    }

    /** Writes {@code adapter.safetensors}-style weights: lora_A (r, IC) and lora_B (W, r) per piece. */
    public void save(Path file, int alpha) {
        SafetensorsWriter w = new SafetensorsWriter();
        for (Piece p : pieces) {
            String base = "h." + p.layer + "." + p.site.name().toLowerCase(java.util.Locale.ROOT) + "." + p.o0;
            float[] at = new float[rank * p.in];
            for (int i = 0; i < p.in; i++) {
                for (int r = 0; r < rank; r++) {
                    at[r * p.in + i] = params[p.a + i * rank + r];
                }
            }
            float[] bt = new float[p.outWidth * rank];
            for (int r = 0; r < rank; r++) {
                for (int j = 0; j < p.outWidth; j++) {
                    bt[j * rank + r] = params[p.b + r * p.outWidth + j];
                }
            }
            w.addFloats(base + ".lora_A.weight", DType.F32, new long[] {rank, p.in}, at, 0);
            w.addFloats(base + ".lora_B.weight", DType.F32, new long[] {p.outWidth, rank}, bt, 0);
        }
        w.metadata(java.util.Map.of("r", Integer.toString(rank), "lora_alpha", Integer.toString(alpha), "target_modules",
                targets.name()));
        w.write(file);
    }

    /** Reads weights written by {@link #save} into this adapter (same shape and targets). */
    public void load(Path file) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (Piece p : pieces) {
                String base = "h." + p.layer + "." + p.site.name().toLowerCase(java.util.Locale.ROOT) + "." + p.o0;
                float[] at = r.readFloats(base + ".lora_A.weight");
                float[] bt = r.readFloats(base + ".lora_B.weight");
                for (int i = 0; i < p.in; i++) {
                    for (int k = 0; k < rank; k++) {
                        params[p.a + i * rank + k] = at[k * p.in + i];
                    }
                }
                for (int k = 0; k < rank; k++) {
                    for (int j = 0; j < p.outWidth; j++) {
                        params[p.b + k * p.outWidth + j] = bt[j * rank + k];
                    }
                }
            }
        }
    }
}
