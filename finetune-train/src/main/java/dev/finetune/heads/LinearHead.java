package dev.finetune.heads;

import java.util.Arrays;
import java.util.Random;

/**
 * A linear head on the backbone's final hidden state (after {@code ln_f}) at one position per
 * sequence: {@code out (N, K) = h (N, C) · W (C, K) + b (K)}. Rerank uses K = 1 (a relevance score),
 * classification K = the number of labels. Weights and gradients are flat arrays {@code [W | b]} so
 * that the optimizer treats the head like any other tensor pair.
 */
public final class LinearHead {
    private final int channels;
    private final int outputs;
    private final float[] params;
    private final float[] grads;

    /** A head with W normal(0, std) from {@code seed} and b 0. */
    public LinearHead(int channels, int outputs, long seed, float std) {
        if (channels <= 0 || outputs <= 0) {
            throw new IllegalArgumentException("a head needs positive sizes, got C " + channels + ", K " + outputs);
        }
        this.channels = channels;
        this.outputs = outputs;
        this.params = new float[channels * outputs + outputs];
        this.grads = new float[params.length];
        Random r = new Random(seed);
        for (int i = 0; i < channels * outputs; i++) {
            params[i] = (float) (r.nextGaussian() * std);
        }
    }

    public int channels() {
        return channels;
    }

    public int outputs() {
        return outputs;
    }

    /** {@code [W (C,K) row-major | b (K)]}. */
    public float[] parameters() {
        return params;
    }

    public float[] gradients() {
        return grads;
    }

    /** The whole head {@code [W | b]} as one optimizer slice (no weight decay). */
    public dev.finetune.optim.AdamW.Slice slice(String name) {
        return new dev.finetune.optim.AdamW.Slice(name, params, grads, 0, params.length, false);
    }

    public void zeroGrad() {
        Arrays.fill(grads, 0f);
    }

    /** out (N,K) = h (N,C) · W + b, for N rows of {@code h} starting at the given row offsets. */
    public void forward(float[] out, float[] h, int[] rowOffsets) {
        int C = channels;
        int K = outputs;
        int bOff = C * K;
        for (int n = 0; n < rowOffsets.length; n++) {
            int ho = rowOffsets[n];
            for (int k = 0; k < K; k++) {
                out[n * K + k] = params[bOff + k];
            }
            for (int c = 0; c < C; c++) {
                float x = h[ho + c];
                int w = c * K;
                for (int k = 0; k < K; k++) {
                    out[n * K + k] += x * params[w + k];
                }
            }
        }
    }

    /**
     * Given dout (N,K): W and b gradients += (accumulated), and dh += dout · Wᵀ at the same rows.
     */
    public void backward(float[] dh, float[] dout, float[] h, int[] rowOffsets) {
        int C = channels;
        int K = outputs;
        int bOff = C * K;
        for (int n = 0; n < rowOffsets.length; n++) {
            int ho = rowOffsets[n];
            for (int k = 0; k < K; k++) {
                grads[bOff + k] += dout[n * K + k];
            }
            for (int c = 0; c < C; c++) {
                float x = h[ho + c];
                int w = c * K;
                float acc = 0;
                for (int k = 0; k < K; k++) {
                    float d = dout[n * K + k];
                    grads[w + k] += x * d;
                    acc += d * params[w + k];
                }
                dh[ho + c] += acc;
            }
        }
    }
}
