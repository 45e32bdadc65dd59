package dev.finetune.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetPart;
import dev.finetune.finetuning.Estimate;
import dev.finetune.finetuning.Event;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.json.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A fine-tune's report as one self-contained HTML page (no scripts, no fonts, nothing fetched): the
 * loss and accuracy curves, train and eval, as inline SVG; the before/after table with the 95%
 * intervals and verdicts; the hyperparameters; the dataset's counts; the estimate; the events. Every
 * plotted point is a {@code <circle class="pt">} carrying {@code data-series}, {@code data-step} and
 * {@code data-value}, so a reader (or a test) can check the curves against the step metrics.
 */
public final class ReportPage {
    /** Series of the loss chart: train, then the eval key of each task family. */
    static final List<String> LOSS = List.of("train_loss", "eval_cross_entropy", "eval_loss");
    /** Series of the accuracy chart. */
    static final List<String> ACCURACY = List.of("train_accuracy", "eval_accuracy", "eval_accuracy@1", "eval_mrr@10");
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

    private ReportPage() {
    }

    /** The page of fine-tuned model {@code id} in {@code co}'s workspace: every step metric and event, oldest first. */
    public static String of(dev.finetune.ClientV2 co, String id) {
        FinetunedModel m = co.finetuning().getFinetunedModel(id).finetunedModel();
        Optional<Dataset> d;
        try {
            d = Optional.of(co.datasets().get(m.settings().datasetId()).dataset());
        } catch (dev.finetune.NotFoundException e) {
            d = Optional.empty();
        }
        List<TrainingStepMetrics> steps = new ArrayList<>();
        Optional<String> token = Optional.empty();
        do {
            var b = dev.finetune.finetuning.ListTrainingStepMetricsRequest.builder()
                    .pageSize(dev.finetune.finetuning.ListTrainingStepMetricsRequest.MAX_PAGE_SIZE);
            token.ifPresent(b::pageToken);
            var page = co.finetuning().listTrainingStepMetrics(id, b.build());
            steps.addAll(page.stepMetrics());
            token = page.nextPageToken();
        } while (token.isPresent());
        List<Event> events = new ArrayList<>();
        token = Optional.empty();
        do {
            var b = dev.finetune.finetuning.ListEventsRequest.builder().orderBy("created_at asc")
                    .pageSize(dev.finetune.finetuning.ListEventsRequest.MAX_PAGE_SIZE);
            token.ifPresent(b::pageToken);
            var page = co.finetuning().listEvents(id, b.build());
            events.addAll(page.events());
            token = page.nextPageToken();
        } while (token.isPresent());
        return html(m, d, steps, events, co.finetuning().jobEstimate(id));
    }

    /** The page; {@code dataset} and {@code estimate} may be absent (a deleted dataset, an older job). */
    public static String html(FinetunedModel model, Optional<Dataset> dataset, List<TrainingStepMetrics> steps, List<Event> events,
                              Optional<Estimate> estimate) {
        // a step reported twice (a resumed job repeats steps after its checkpoint) keeps its last report
        TreeMap<Integer, Map<String, Double>> bySteps = new TreeMap<>();
        steps.forEach(s -> bySteps.put(s.stepNumber(), s.metrics()));
        String id = model.id().orElse("?");
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc("Fine-tune " + id))
                .append("</title>\n<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1000px;color:#222}"
                        + "table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
                        + "td.n{text-align:right;font-variant-numeric:tabular-nums}.improved{color:#137333}.worse{color:#b3261e}"
                        + ".none{color:#666}svg{background:#fafafa;border:1px solid #ddd;margin:6px 0}h2{margin-top:28px}"
                        + ".legend span{margin-right:14px}</style></head>\n<body>\n");
        h.append("<h1>").append(esc(model.name())).append(" <small>").append(esc(id)).append("</small></h1>\n");
        h.append("<p>status <b>").append(esc(model.status().map(Object::toString).orElse("?"))).append("</b>, base ")
                .append(esc(model.settings().baseModel().baseType().toString()))
                .append(esc(model.settings().baseModel().name().map(n -> ":" + n).orElse(""))).append(", dataset ")
                .append(esc(model.settings().datasetId()))
                .append(model.failureReason().map(r -> "<br>failure: " + esc(r)).orElse("")).append("</p>\n");

        h.append("<h2>Loss</h2>\n").append(chart("loss", bySteps, LOSS));
        h.append("<h2>Accuracy</h2>\n").append(chart("accuracy", bySteps, ACCURACY));

        h.append("<h2>Before and after</h2>\n");
        Map<String, Double> m = model.metrics().orElse(Map.of());
        h.append("<table id=\"pills\"><tr><th>metric</th><th>base model</th><th>fine-tuned</th><th>change</th>"
                + "<th>95% interval (paired bootstrap)</th><th>verdict</th></tr>\n");
        for (String k : new TreeMap<>(m).keySet()) {
            if (!k.startsWith("baseline_") || !m.containsKey(k.substring(9))) {
                continue;
            }
            String metric = k.substring(9);
            double before = m.get(k);
            double after = m.get(metric);
            Double low = m.get(metric + "_change_ci_low");
            Double high = m.get(metric + "_change_ci_high");
            Double v = m.get(metric + "_change_verdict");
            String words = v == null ? "no interval" : v > 0 ? "improved" : v < 0 ? "worse" : "no clear change";
            String cls = v == null || v == 0 ? "none" : v > 0 ? "improved" : "worse";
            h.append("<tr class=\"pill\"><td>").append(esc(metric)).append("</td><td class=\"n\">").append(num(before))
                    .append("</td><td class=\"n\">").append(num(after)).append("</td><td class=\"n\">")
                    .append(String.format(Locale.ROOT, "%+.4f", after - before)).append("</td><td class=\"n\">")
                    .append(low == null ? "" : String.format(Locale.ROOT, "[%+.4f, %+.4f]", low, high)).append("</td><td class=\"")
                    .append(cls).append("\">").append(words).append("</td></tr>\n");
        }
        h.append("</table>\n");
        Map<String, Double> other = new LinkedHashMap<>();
        for (String k : List.of("steps", "trained_tokens", "eval_examples")) {
            if (m.containsKey(k)) {
                other.put(k, m.get(k));
            }
        }
        if (!other.isEmpty()) {
            h.append(table("run", other.entrySet().stream().map(e -> new String[] {e.getKey(), num(e.getValue())}).toList()));
        }

        h.append("<h2>Hyperparameters</h2>\n");
        List<String[]> hp = new ArrayList<>();
        model.settings().hyperparameters().ifPresent(p -> flatten("", Json.toTree(p), hp));
        h.append(hp.isEmpty() ? "<p>the defaults</p>\n" : table("hyperparameters", hp));

        h.append("<h2>Dataset</h2>\n");
        dataset.ifPresentOrElse(d -> {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"id", d.id()});
            rows.add(new String[] {"type", d.datasetType().toString()});
            for (DatasetPart p : d.datasetParts()) {
                rows.add(new String[] {p.name() + " rows", p.numRows().map(Object::toString).orElse("?")});
            }
            d.metrics().ifPresent(dm -> flatten("", Json.toTree(dm), rows));
            h.append(table("dataset", rows));
        }, () -> h.append("<p>the dataset is no longer in the workspace</p>\n"));

        estimate.ifPresent(e -> {
            h.append("<h2>Estimate</h2>\n");
            List<String[]> rows = new ArrayList<>();
            flatten("", Json.toTree(e), rows);
            h.append(table("estimate", rows));
        });

        h.append("<h2>Events</h2>\n<table id=\"events\"><tr><th>time</th><th>status</th><th>message</th></tr>\n");
        for (Event e : events) {
            h.append("<tr class=\"event\"><td>").append(esc(e.createdAt().toString())).append("</td><td>").append(esc(e.status().toString()))
                    .append("</td><td>").append(esc(e.message().orElse(""))).append("</td></tr>\n");
        }
        h.append("</table>\n</body></html>\n");
        return h.toString();
    }

    /** One chart: a polyline and a circle per point for every series present, steps on x. */
    static String chart(String name, TreeMap<Integer, Map<String, Double>> bySteps, List<String> series) {
        int W = 900;
        int H = 300;
        int L = 60;
        int R = 20;
        int T = 15;
        int B = 35;
        Map<String, List<double[]>> pts = new LinkedHashMap<>();
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double minY = Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (String s : series) {
            List<double[]> p = new ArrayList<>();
            bySteps.forEach((step, m) -> {
                Double v = m.get(s);
                if (v != null && Double.isFinite(v)) {
                    p.add(new double[] {step, v});
                }
            });
            if (!p.isEmpty()) {
                pts.put(s, p);
                for (double[] xy : p) {
                    minX = Math.min(minX, xy[0]);
                    maxX = Math.max(maxX, xy[0]);
                    minY = Math.min(minY, xy[1]);
                    maxY = Math.max(maxY, xy[1]);
                }
            }
        }
        StringBuilder h = new StringBuilder();
        if (pts.isEmpty()) {
            return "<p>no " + name + " metrics recorded</p>\n";
        }
        if (maxX == minX) {
            maxX = minX + 1;
        }
        if (maxY == minY) {
            maxY = minY + 1;
        }
        double x0 = minX;
        double x1 = maxX;
        double y0 = minY;
        double y1 = maxY;
        h.append("<svg id=\"chart-").append(name).append("\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W)
                .append("\" height=\"").append(H).append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\">\n");
        // axes with their ranges
        h.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", L, H - B, W - R, H - B));
        h.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", L, T, L, H - B));
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">step %d</text>", L, H - 12, (long) x0));
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">step %d</text>", W - R, H - 12,
                (long) x1));
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.3g</text>", L - 4, T + 10, y1));
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.3g</text>\n", L - 4, H - B, y0));
        int c = 0;
        StringBuilder legend = new StringBuilder("<div class=\"legend\">");
        for (Map.Entry<String, List<double[]>> e : pts.entrySet()) {
            String colour = COLOURS[c++ % COLOURS.length];
            StringBuilder line = new StringBuilder();
            StringBuilder dots = new StringBuilder();
            for (double[] xy : e.getValue()) {
                double px = L + (xy[0] - x0) / (x1 - x0) * (W - L - R);
                double py = H - B - (xy[1] - y0) / (y1 - y0) * (H - T - B);
                line.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                dots.append(String.format(Locale.ROOT, "<circle class=\"pt\" data-series=\"%s\" data-step=\"%d\" data-value=\"%s\" "
                        + "cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s step %d: %s</title></circle>", esc(e.getKey()),
                        (long) xy[0], Double.toString(xy[1]), px, py, colour, esc(e.getKey()), (long) xy[0], num(xy[1])));
            }
            h.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.5\" points=\"")
                    .append(line.toString().trim()).append("\"/>\n").append(dots).append('\n');
            legend.append("<span style=\"color:").append(colour).append("\">&#9632; ").append(esc(e.getKey())).append(" (")
                    .append(e.getValue().size()).append(" points)</span>");
        }
        h.append("</svg>\n").append(legend).append("</div>\n");
        return h.toString();
    }

    private static void flatten(String prefix, JsonNode n, List<String[]> out) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (!n.isNull() && !n.isMissingNode()) {
            out.add(new String[] {prefix, n.isTextual() ? n.asText() : n.toString()});
        }
    }

    private static String table(String id, List<String[]> rows) {
        StringBuilder h = new StringBuilder("<table id=\"").append(id).append("\">\n");
        for (String[] r : rows) {
            h.append("<tr><td>").append(esc(r[0])).append("</td><td>").append(esc(r[1])).append("</td></tr>\n");
        }
        return h.append("</table>\n").toString();
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.4f", v);
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
