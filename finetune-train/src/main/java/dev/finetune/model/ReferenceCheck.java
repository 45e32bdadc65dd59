package dev.finetune.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.optim.AdamW;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Checks this library's GPT-2 against a PyTorch reference bundle (written by
 * {@code gpt2_reference.py}: {@code config.json}, {@code model.safetensors}, {@code expected.safetensors},
 * {@code reference.json}) and reports the largest difference per tensor:
 * <ul>
 *   <li>logits and every gradient: |actual - expected| &lt;= 1e-4 + 1e-3·|expected| element-wise;</li>
 *   <li>the loss, and the loss before each AdamW step: within 1e-4;</li>
 *   <li>every weight after the AdamW steps: within 1e-4;</li>
 *   <li>the greedy continuation of the prompt (from the initial weights): the same tokens.</li>
 * </ul>
 */
public final class ReferenceCheck {
    public static final double ABS_TOL = 1e-4;
    public static final double REL_TOL = 1e-3;
    private static final String RELATIVE = "1e-4+1e-3*|e|";
    private static final String ABSOLUTE = "1e-4";

    private ReferenceCheck() {
    }

    /** One compared quantity. */
    public record Line(String name, double maxAbsDiff, String tolerance, boolean pass, String note) {
        /** {@code name  max_abs_diff=...  tol=...  PASS|FAIL [note]} */
        public String format() {
            return String.format("%-44s max_abs_diff=%.3e  tol=%-14s %s%s", name, maxAbsDiff, tolerance,
                    pass ? "PASS" : "FAIL", note.isEmpty() ? "" : "  (" + note + ")");
        }
    }

    /** All lines for one bundle. */
    public record Report(Path bundle, List<Line> lines) {
        public Report {
            lines = List.copyOf(lines);
        }

        public boolean passed() {
            return lines.stream().allMatch(Line::pass);
        }

        public List<Line> failures() {
            return lines.stream().filter(l -> !l.pass()).toList();
        }

        /** Every line, one per row, headed by the bundle and the verdict. */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append(bundle).append(": ").append(passed() ? "PASS" : "FAIL (" + failures().size() + " of "
                    + lines.size() + " checks)").append('\n');
            for (Line l : lines) {
                sb.append("  ").append(l.format()).append('\n');
            }
            return sb.toString();
        }
    }

    /** Runs every check of the bundle in {@code dir}. */
    public static Report run(Path dir) {
        JsonNode ref = readJson(dir.resolve("reference.json"));
        int B = ref.path("batch").path("B").asInt();
        int T = ref.path("batch").path("T").asInt();
        int ignore = ref.path("batch").path("ignore_index").asInt(GPT2.IGNORE_INDEX);
        if (ignore != GPT2.IGNORE_INDEX) {
            throw new ModelFormatException(dir.resolve("reference.json") + ": ignore_index " + ignore + " (only -100 is supported)");
        }
        JsonNode adam = ref.path("adamw");
        GPT2 model = GPT2Checkpoint.load(dir);
        float[] initial = model.parameters().clone();
        List<Line> lines = new ArrayList<>();
        Path expectedFile = dir.resolve("expected.safetensors");
        try (SafetensorsReader exp = SafetensorsReader.open(expectedFile)) {
            String prefix = ref.has("tensor_name_prefix") ? ref.get("tensor_name_prefix").asText() : detectPrefix(exp);
            int[] tokens = exp.readInts("tokens");
            int[] targets = exp.readInts("targets");
            if (tokens.length != B * T || targets.length != B * T) {
                throw new ModelFormatException(expectedFile + ": tokens/targets hold " + tokens.length + "/" + targets.length
                        + " entries, reference.json says B*T = " + B * T);
            }

            // forward and backward at the initial weights
            float loss = model.forward(tokens, targets, B, T);
            lines.add(compareRelative("logits", model.logits(), 0, exp, "logits"));
            lines.add(compareScalars("loss", new float[] {loss}, exp.readFloats("loss")));
            model.zeroGrad();
            model.backward();
            for (TensorView v : model.tensors()) {
                lines.add(compareRelative("grad." + v.name(), model.gradients(), v.offset(), exp, "grad." + prefix + v.name()));
            }

            // AdamW steps from the initial weights, the loss measured before each
            int steps = adam.path("steps").asInt();
            AdamW opt = new AdamW(model.optimizerSlices(decayRule(dir, adam.path("decay_applies_to").asText("all weights"))),
                    (float) adam.path("beta1").asDouble(0.9), (float) adam.path("beta2").asDouble(0.999),
                    (float) adam.path("eps").asDouble(1e-8), (float) adam.path("weight_decay").asDouble(0.0));
            float lr = (float) adam.path("lr").asDouble();
            float[] losses = new float[steps];
            for (int s = 0; s < steps; s++) {
                losses[s] = model.forward(tokens, targets, B, T);
                model.zeroGrad();
                model.backward();
                opt.step(lr);
            }
            lines.add(compareScalars("losses", losses, exp.readFloats("losses")));
            for (TensorView v : model.tensors()) {
                lines.add(compareAbsolute("step" + steps + "." + v.name(), model.parameters(), v.offset(), exp,
                        "step" + steps + "." + prefix + v.name()));
            }

            // greedy continuation from the initial weights
            System.arraycopy(initial, 0, model.parameters(), 0, initial.length);
            int[] prompt = exp.readInts("prompt");
            int[] expected = exp.readInts("greedy");
            int[] got = greedy(model, prompt, expected.length);
            int mismatches = 0;
            int maxDiff = 0;
            for (int i = 0; i < expected.length; i++) {
                if (got[i] != expected[i]) {
                    mismatches++;
                    maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
                }
            }
            lines.add(new Line("greedy", maxDiff, "exact", mismatches == 0,
                    mismatches == 0 ? expected.length + " tokens" : mismatches + " of " + expected.length
                            + " tokens differ: got " + Arrays.toString(got) + ", expected " + Arrays.toString(expected)));
        }
        return new Report(dir, lines);
    }

    /** The {@code steps} tokens greedy decoding appends to {@code prompt} (full forward per token, context cropped to n_positions). */
    public static int[] greedy(GPT2 model, int[] prompt, int steps) {
        int V = model.config().vocabSize();
        int maxT = model.config().maxSeqLen();
        int[] seq = Arrays.copyOf(prompt, prompt.length + steps);
        int len = prompt.length;
        for (int s = 0; s < steps; s++) {
            int from = Math.max(0, len - maxT);
            int T = len - from;
            model.forward(Arrays.copyOfRange(seq, from, len), 1, T);
            float[] logits = model.logits();
            int off = model.logitsOffset(0, T - 1);
            int best = 0;
            for (int i = 1; i < V; i++) {
                if (logits[off + i] > logits[off + best]) {
                    best = i;
                }
            }
            seq[len++] = best;
        }
        return Arrays.copyOfRange(seq, prompt.length, len);
    }

    private static Predicate<TensorView> decayRule(Path dir, String rule) {
        return switch (rule) {
            case "all weights" -> GPT2.decayAll();
            case "matrices", "matrices only", "2d weights" -> GPT2.decayMatricesOnly();
            default -> throw new ModelFormatException(dir.resolve("reference.json") + ": adamw.decay_applies_to \""
                    + rule + "\" is not understood (\"all weights\" or \"matrices\")");
        };
    }

    private static String detectPrefix(SafetensorsReader exp) {
        return exp.find("grad.transformer.wte.weight").isPresent() ? "transformer." : "";
    }

    private static Line compareRelative(String label, float[] actual, int offset, SafetensorsReader exp, String name) {
        Optional<float[]> e = expected(exp, name);
        if (e.isEmpty()) {
            return new Line(label, Double.NaN, RELATIVE, false, "no tensor \"" + name + "\" in " + exp.file().getFileName());
        }
        float[] want = e.get();
        double max = 0;
        int bad = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) actual[offset + i] - want[i]);
            if (!(d <= ABS_TOL + REL_TOL * Math.abs(want[i]))) {
                bad++;
            }
            max = Double.isNaN(d) ? Double.NaN : Math.max(max, d);
        }
        return new Line(label, max, RELATIVE, bad == 0, bad == 0 ? "" : bad + " of " + want.length + " elements out of tolerance");
    }

    private static Line compareAbsolute(String label, float[] actual, int offset, SafetensorsReader exp, String name) {
        Optional<float[]> e = expected(exp, name);
        if (e.isEmpty()) {
            return new Line(label, Double.NaN, ABSOLUTE, false, "no tensor \"" + name + "\" in " + exp.file().getFileName());
        }
        float[] want = e.get();
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) actual[offset + i] - want[i]);
            max = Double.isNaN(d) || Double.isNaN(max) ? Double.NaN : Math.max(max, d);
        }
        return new Line(label, max, ABSOLUTE, max <= ABS_TOL, "");
    }

    private static Line compareScalars(String label, float[] actual, float[] want) {
        if (actual.length != want.length) {
            return new Line(label, Double.NaN, ABSOLUTE, false, actual.length + " values, expected " + want.length);
        }
        return compareAbsolute(label, actual, 0, want);
    }

    private static Line compareAbsolute(String label, float[] actual, int offset, float[] want) {
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) actual[offset + i] - want[i]);
            max = Double.isNaN(d) || Double.isNaN(max) ? Double.NaN : Math.max(max, d);
        }
        return new Line(label, max, ABSOLUTE, max <= ABS_TOL, "");
    }

    private static Optional<float[]> expected(SafetensorsReader exp, String name) {
        Optional<TensorInfo> t = exp.find(name);
        return t.map(x -> exp.readFloats(name));
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
