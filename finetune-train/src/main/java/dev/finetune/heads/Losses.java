package dev.finetune.heads;

/**
 * Losses of the rerank and classify heads, each with its gradient, computed in double.
 */
public final class Losses {
    private Losses() {
    }

    /**
     * Listwise softmax cross-entropy for one query: {@code -log softmax(scores)[positive]} over
     * {@code scores[from..to)}; writes {@code dscores = (softmax - onehot) · weight} into the same range
     * (overwriting) and returns the loss times {@code weight}.
     */
    public static double listwiseSoftmax(float[] scores, int from, int to, int positive, float[] dscores, double weight) {
        if (positive < from || positive >= to) {
            throw new IllegalArgumentException("positive " + positive + " outside [" + from + ", " + to + ")");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            max = Math.max(max, scores[i]);
        }
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += Math.exp(scores[i] - max);
        }
        double logZ = max + Math.log(sum);
        for (int i = from; i < to; i++) {
            double p = Math.exp(scores[i] - logZ);
            dscores[i] = (float) ((p - (i == positive ? 1 : 0)) * weight);
        }
        return (logZ - scores[positive]) * weight;
    }

    /** Softmax cross-entropy over one row of K logits with the true class {@code label}. */
    public static double softmaxCrossEntropy(float[] logits, int off, int K, int label, float[] dlogits, double weight) {
        return listwiseSoftmax(logits, off, off + K, off + label, dlogits, weight);
    }

    /**
     * Mean binary cross-entropy with logits over K labels of one row ({@code targets} 0/1), the stable
     * form {@code max(x,0) - x·y + log(1 + e^-|x|)}; dlogits = (sigmoid(x) - y) · weight / K.
     */
    public static double sigmoidBinaryCrossEntropy(float[] logits, int off, int K, boolean[] targets, float[] dlogits,
                                                   double weight) {
        double loss = 0;
        for (int k = 0; k < K; k++) {
            double x = logits[off + k];
            double y = targets[k] ? 1 : 0;
            loss += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
            dlogits[off + k] = (float) ((sigmoid(x) - y) * weight / K);
        }
        return loss / K * weight;
    }

    public static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
