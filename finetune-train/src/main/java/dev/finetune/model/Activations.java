package dev.finetune.model;

/**
 * Every buffer one forward and backward pass needs, for at most {@code capBT} tokens (B·T) and
 * {@code capBTT} attention weights per head (B·T·T), allocated
 * once. A pass with smaller (B, T) packs its rows from index 0 of the same arrays. Per-layer arrays hold
 * what the backward pass reads again; the {@code d*} arrays are backward scratch shared by all layers.
 */
final class Activations {
    /** Tokens (B·T) the buffers hold. */
    final int capBT;
    /** B·T·T (attention weights per head) the buffers hold. */
    final long capBTT;

    final int[] tokens;          // (B,T)
    final int[] targets;         // (B,T)
    final int[] positions;       // (B,T) positions within each packed sequence, when the pass is packed
    final float[] encoded;       // (B,T,C) wte + wpe, the input of layer 0
    final float[][] ln1;         // L × (B,T,C)
    final float[][] ln1Mean;     // L × (B,T)
    final float[][] ln1Rstd;     // L × (B,T)
    final float[][] qkv;         // L × (B,T,3C)
    final float[][] atty;        // L × (B,T,C) attention output before c_proj
    final float[][] att;         // L × (B,NH,T,T) softmax weights
    final float[][] residual2;   // L × (B,T,C) residual after attention
    final float[][] ln2;         // L × (B,T,C)
    final float[][] ln2Mean;     // L × (B,T)
    final float[][] ln2Rstd;     // L × (B,T)
    final float[][] fch;         // L × (B,T,4C) c_fc output, GELU input
    final float[][] fchGelu;     // L × (B,T,4C) GELU output
    final float[][] residual3;   // L × (B,T,C) residual after the MLP, the next layer's input
    final float[] proj;          // (B,T,C) c_proj output before it joins the residual (scratch)
    final float[] lnf;           // (B,T,C)
    final float[] lnfMean;       // (B,T)
    final float[] lnfRstd;       // (B,T)
    float[] logits;              // (B,T,V), allocated by the first pass that computes logits; backward turns it into dlogits
    final float[] lse;           // (B,T) log-sum-exp of each logits row
    final float[] rowLoss;       // (B,T) cross-entropy per position, 0 where ignored

    final float[] dResidual;     // (B,T,C) gradient of the residual stream, carried down the blocks
    final float[] dC;            // (B,T,C) gradient of a LayerNorm output or of the attention output
    final float[] dQkv;          // (B,T,3C)
    final float[] dFchGelu;      // (B,T,4C)
    final float[] dFch;          // (B,T,4C)
    final float[] dAtt;          // (B,NH,T,T) attention backward scratch

    /** Buffers for any pass whose B·T ≤ capBT and B·T·T ≤ capBTT (capacity by size, not by shape). */
    Activations(GPT2Config cfg, int capBT, long capBTT) {
        this.capBT = capBT;
        this.capBTT = capBTT;
        int L = cfg.layers();
        int C = cfg.channels();
        int NH = cfg.heads();
        int BT = capBT;
        int BTC = Math.multiplyExact(BT, C);
        tokens = new int[BT];
        targets = new int[BT];
        positions = new int[BT];
        encoded = new float[BTC];
        ln1 = new float[L][BTC];
        ln1Mean = new float[L][BT];
        ln1Rstd = new float[L][BT];
        qkv = new float[L][Math.multiplyExact(3, BTC)];
        atty = new float[L][BTC];
        att = new float[L][Math.toIntExact(Math.multiplyExact(capBTT, (long) NH))];
        residual2 = new float[L][BTC];
        ln2 = new float[L][BTC];
        ln2Mean = new float[L][BT];
        ln2Rstd = new float[L][BT];
        fch = new float[L][Math.multiplyExact(4, BTC)];
        fchGelu = new float[L][4 * BTC];
        residual3 = new float[L][BTC];
        proj = new float[BTC];
        lnf = new float[BTC];
        lnfMean = new float[BT];
        lnfRstd = new float[BT];
        lse = new float[BT];
        rowLoss = new float[BT];
        dResidual = new float[BTC];
        dC = new float[BTC];
        dQkv = new float[3 * BTC];
        dFchGelu = new float[4 * BTC];
        dFch = new float[4 * BTC];
        dAtt = new float[Math.toIntExact(Math.multiplyExact(capBTT, (long) NH))];
    }

    /** Floats held, for memory estimates: about L·(16·C + NH·T)·B·T + B·T·(V + 13·C). */
    boolean fits(int B, int T) {
        return (long) B * T <= capBT && (long) B * T * T <= capBTT;
    }

    static long floats(GPT2Config cfg, int B, int T) {
        long bt = (long) B * T;
        long c = cfg.channels();
        long perLayer = bt * (16 * c + 4) + bt * cfg.heads() * T;
        return cfg.layers() * perLayer + bt * (cfg.vocabSize() + 13 * c + 5) + bt * cfg.heads() * T + bt * 3;
    }
}
