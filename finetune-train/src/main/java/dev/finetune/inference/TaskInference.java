package dev.finetune.inference;

import dev.finetune.BadRequestException;
import dev.finetune.classify.Classification;
import dev.finetune.classify.ClassifyRequest;
import dev.finetune.classify.ClassifyResponse;
import dev.finetune.heads.Losses;
import dev.finetune.heads.Scoring;
import dev.finetune.heads.TaskHead;
import dev.finetune.heads.TaskInputs;
import dev.finetune.rerank.RerankRequest;
import dev.finetune.rerank.RerankResponse;
import dev.finetune.rerank.RerankResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Answers rerank and classify requests with a model that has a {@link TaskHead}. Scoring batches the
 * inputs through the backbone's forward pass; one request at a time per model (the pass uses the
 * model's activation buffers), while chat and generate on the same model go on beside it.
 */
final class TaskInference {
    private TaskInference() {
    }

    static RerankResponse rerank(LoadedModel lm, RerankRequest req) {
        TaskHead head = head(lm, TaskHead.Kind.RERANK, "rerank", "BASE_TYPE_RERANK");
        int[] query = lm.tokenizer().encode(req.query());
        int perDoc = req.maxTokensPerDoc().orElse(RerankRequest.DEFAULT_MAX_TOKENS_PER_DOC);
        List<int[]> seqs = new ArrayList<>(req.documents().size());
        for (String doc : req.documents()) {
            int[] p = lm.tokenizer().encode(doc);
            seqs.add(TaskInputs.rerank(query, p.length > perDoc ? Arrays.copyOf(p, perDoc) : p, head.maxTokens(), head.endToken()));
        }
        float[] scores = run(lm, head, seqs);
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i));
        int n = Math.min(order.length, req.topN().orElse(order.length));
        List<RerankResult> results = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            results.add(new RerankResult(order[r], Losses.sigmoid(scores[order[r]])));
        }
        return new RerankResponse(UUID.randomUUID().toString(), results);
    }

    static ClassifyResponse classify(LoadedModel lm, ClassifyRequest req) {
        TaskHead head = head(lm, TaskHead.Kind.CLASSIFY, "classify", "BASE_TYPE_CLASSIFICATION");
        List<int[]> seqs = new ArrayList<>(req.inputs().size());
        for (String text : req.inputs()) {
            seqs.add(TaskInputs.classify(lm.tokenizer().encode(text), head.maxTokens(), head.endToken()));
        }
        float[] out = run(lm, head, seqs);
        int K = head.labels().size();
        List<Classification> list = new ArrayList<>();
        for (int i = 0; i < seqs.size(); i++) {
            double[] p = head.multiLabel() ? sigmoids(out, i * K, K) : softmax(out, i * K, K);
            Map<String, Classification.LabelConfidence> labels = new LinkedHashMap<>();
            for (int k = 0; k < K; k++) {
                labels.put(head.labels().get(k), new Classification.LabelConfidence(p[k]));
            }
            Integer[] byConfidence = new Integer[K];
            for (int k = 0; k < K; k++) {
                byConfidence[k] = k;
            }
            Arrays.sort(byConfidence, Comparator.comparingDouble((Integer k) -> -p[k]).thenComparingInt(k -> k));
            List<String> predictions = new ArrayList<>();
            List<Double> confidences = new ArrayList<>();
            String id = UUID.randomUUID().toString();
            if (head.multiLabel()) {
                for (int k : byConfidence) {
                    if (p[k] >= 0.5) {
                        predictions.add(head.labels().get(k));
                        confidences.add(p[k]);
                    }
                }
                list.add(new Classification(id, req.inputs().get(i), Optional.empty(), predictions, Optional.empty(),
                        confidences, labels, "multi-label"));
            } else {
                int best = byConfidence[0];
                predictions.add(head.labels().get(best));
                confidences.add(p[best]);
                list.add(new Classification(id, req.inputs().get(i), Optional.of(head.labels().get(best)), predictions,
                        Optional.of(p[best]), confidences, labels, "single-label"));
            }
        }
        return new ClassifyResponse(UUID.randomUUID().toString(), list);
    }

    private static TaskHead head(LoadedModel lm, TaskHead.Kind kind, String endpoint, String baseType) {
        Optional<TaskHead> h = lm.head();
        if (h.isEmpty() || h.get().kind() != kind) {
            throw new BadRequestException("model \"" + lm.name() + "\" cannot " + endpoint + ": it is "
                    + h.map(x -> "a " + x.kind().name().toLowerCase(java.util.Locale.ROOT) + " model").orElse("a language model")
                    + "; " + endpoint + " needs a model fine-tuned with base_type " + baseType);
        }
        return h.get();
    }

    private static float[] run(LoadedModel lm, TaskHead head, List<int[]> seqs) {
        synchronized (lm.model()) {
            return Scoring.outputs(lm.backbone(), head.linear(), seqs);
        }
    }

    static double[] softmax(float[] x, int off, int K) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < K; k++) {
            max = Math.max(max, x[off + k]);
        }
        double[] p = new double[K];
        double sum = 0;
        for (int k = 0; k < K; k++) {
            p[k] = Math.exp(x[off + k] - max);
            sum += p[k];
        }
        for (int k = 0; k < K; k++) {
            p[k] /= sum;
        }
        return p;
    }

    static double[] sigmoids(float[] x, int off, int K) {
        double[] p = new double[K];
        for (int k = 0; k < K; k++) {
            p[k] = Losses.sigmoid(x[off + k]);
        }
        return p;
    }
}
