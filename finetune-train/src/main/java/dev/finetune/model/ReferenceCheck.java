package dev.finetune.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.lora.LoraAdapter;
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
 * Checks this library's models against a PyTorch reference bundle (written by {@code gpt2_reference.py}
 * or {@code llama_reference.py}: {@code config.json}, the weights, {@code expected.safetensors},
 * {@code reference.json}, and for the LoRA part {@code adapter_model.safetensors} +
 * {@code adapter_config.json}); the family comes from {@code config.json} ({@link CausalLMs}). It runs
 * the checks {@code reference.json} lists and reports the largest difference per tensor:
 * <ul>
 *   <li>logits and every gradient: |actual - expected| &lt;= 1e-4 + 1e-3·|expected| element-wise;</li>
 *   <li>the loss, and the loss before each AdamW step: within 1e-4;</li>
 *   <li>every weight after the AdamW steps: within 1e-4;</li>
 *   <li>the greedy continuation of the prompt (from the initial weights): the same tokens, by full
 *       forward passes and through the KV-cached decoder;</li>
 *   <li>the KV-cached decoder's logits along row 0 of the batch: as the logits;</li>
 *   <li>the same two decoder checks on the weights as {@link InferenceModel#load} packs them for serving
 *       (each matrix in its stored dtype), the {@code .packed} lines;</li>
 *   <li>lora: {@code lora.logits}, {@code lora.loss}, {@code lora.grad.*}, {@code lora.losses} and
 *       {@code lora.step*} of the bundle's PEFT adapter on the frozen base, with the same tolerances.</li>
 * </ul>
 * Why these tolerances: the references are computed in float64 from the weights as stored, so the
 * difference is this library's float32 arithmetic alone. Float32 keeps ~7 significant digits; sums of
 * a few hundred products (C, V, T here) lose 2-3 of them, so 1e-3 relative is what float32 reaches
 * without being loose, and 1e-4 absolute covers values near zero (gradient entries that nearly cancel).
 * AdamW's first steps move each weight by about lr whatever the gradient's size, so weights after the
 * steps are compared absolutely at 1e-4 (a tenth of lr = 1e-3).
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

    /** Runs every check the bundle in {@code dir} carries ({@code reference.json}'s {@code checks}; GPT-2 bundles: all but lora). */
    public static Report run(Path dir) {
        JsonNode ref = readJson(dir.resolve("reference.json"));
        int B = ref.path("batch").path("B").asInt();
        int T = ref.path("batch").path("T").asInt();
        int ignore = ref.path("batch").path("ignore_index").asInt(CausalLM.IGNORE_INDEX);
        if (ignore != CausalLM.IGNORE_INDEX) {
            throw new ModelFormatException(dir.resolve("reference.json") + ": ignore_index " + ignore + " (only -100 is supported)");
        }
        List<String> checks = new ArrayList<>();
        if (ref.has("checks")) {
            ref.get("checks").forEach(c -> checks.add(c.asText()));
        } else {
            checks.addAll(List.of("logits", "loss", "gradients", "adamw", "greedy"));
        }
        JsonNode adam = ref.path("adamw");
        CausalLM model = CausalLMs.load(dir);
        InferenceModel packed = InferenceModel.load(dir);
        float[] initial = model.parameters().clone();
        List<Line> lines = new ArrayList<>();
        Path expectedFile = dir.resolve("expected.safetensors");
        try (SafetensorsReader exp = SafetensorsReader.open(expectedFile)) {
            String prefix = ref.has("tensor_name_prefix") ? ref.get("tensor_name_prefix").asText() : detectPrefix(exp);
            int[] tokens = exp.readInts("tokens");
            int[] targets = exp.find("targets").isPresent() ? exp.readInts("targets") : null;
            if (tokens.length != B * T || targets != null && targets.length != B * T) {
                throw new ModelFormatException(expectedFile + ": tokens/targets hold " + tokens.length + "/"
                        + (targets == null ? 0 : targets.length) + " entries, reference.json says B*T = " + B * T);
            }
            boolean needTargets = checks.contains("loss") || checks.contains("gradients") || checks.contains("adamw")
                    || checks.contains("lora");
            if (needTargets && targets == null) {
                throw new ModelFormatException(expectedFile + ": no \"targets\" tensor, which checks " + checks + " need");
            }

            // forward and backward at the initial weights
            if (checks.contains("logits") || checks.contains("loss") || checks.contains("gradients")) {
                float loss = model.forward(tokens, targets, B, T);
                if (checks.contains("logits")) {
                    lines.add(compareRelative("logits", model.logits(), 0, exp, "logits"));
                    lines.add(kvCache("logits.kv_cache (row 0)", model, tokens, T, exp));
                    lines.add(kvCache("logits.kv_cache.packed (row 0)", packed, tokens, T, exp));
                }
                if (checks.contains("loss")) {
                    lines.add(compareScalars("loss", new float[] {loss}, exp.readFloats("loss")));
                }
                if (checks.contains("gradients")) {
                    model.zeroGrad();
                    model.backward();
                    for (TensorView v : model.tensors()) {
                        lines.add(compareRelative("grad." + v.name(), model.gradients(), v.offset(), exp, "grad." + prefix + v.name()));
                    }
                }
            }

            // AdamW steps from the initial weights, the loss measured before each
            if (checks.contains("adamw")) {
                int steps = adam.path("steps").asInt();
                AdamW opt = optimizer(model.optimizerSlices(decayRule(dir, adam.path("decay_applies_to").asText("all weights"))), adam);
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
                    lines.add(compareSteps("step" + steps + "." + v.name(), model.parameters(), v.offset(), exp,
                            "step" + steps + "." + prefix + v.name(), "grad." + prefix + v.name(), steps, lr));
                }
                System.arraycopy(initial, 0, model.parameters(), 0, initial.length);
            }

            // greedy continuation from the initial weights, by full forward passes and by the KV cache
            if (checks.contains("greedy")) {
                int[] prompt = exp.readInts("prompt");
                int[] expected = exp.readInts("greedy");
                lines.add(greedyLine("greedy", greedy(model, prompt, expected.length), expected));
                if (prompt.length + expected.length <= model.config().maxSeqLen()) {
                    lines.add(greedyLine("greedy.kv_cache", greedyCached(model, prompt, expected.length), expected));
                    lines.add(greedyLine("greedy.kv_cache.packed", greedyCached(packed, prompt, expected.length), expected));
                }
            }

            if (checks.contains("lora")) {
                lines.addAll(lora(dir, model, tokens, targets, B, T, adam, exp));
            }
        }
        return new Report(dir, lines);
    }

    /** The LoRA part: the PEFT adapter of the bundle on the frozen base, forward, gradients and AdamW steps. */
    private static List<Line> lora(Path dir, CausalLM model, int[] tokens, int[] targets, int B, int T, JsonNode adam,
                                   SafetensorsReader exp) {
        List<Line> lines = new ArrayList<>();
        LoraAdapter adapter = LoraAdapter.loadPeft(model, dir);
        model.setAllTrainable(false);
        model.setAdapter(adapter);
        try {
            float loss = model.forward(tokens, targets, B, T);
            lines.add(compareRelative("lora.logits", model.logits(), 0, exp, "lora.logits"));
            lines.add(compareScalars("lora.loss", new float[] {loss}, exp.readFloats("lora.loss")));
            adapter.zeroGrad();
            model.zeroGrad();
            model.backward();
            for (TensorView v : adapter.tensors()) {
                lines.add(compareRelative("lora.grad." + v.name(), adapter.gradients(), v.offset(), exp, "lora.grad." + v.name()));
            }
            int steps = adam.path("steps").asInt();
            String rule = adam.path("decay_applies_to").asText("all weights");
            boolean decay = decayRule(dir, rule).test(adapter.tensors().get(0));
            AdamW opt = optimizer(List.of(adapter.slice(decay)), adam);
            float lr = (float) adam.path("lr").asDouble();
            float[] losses = new float[steps];
            for (int s = 0; s < steps; s++) {
                losses[s] = model.forward(tokens, targets, B, T);
                adapter.zeroGrad();
                model.backward();
                opt.step(lr);
            }
            lines.add(compareScalars("lora.losses", losses, exp.readFloats("lora.losses")));
            for (TensorView v : adapter.tensors()) {
                lines.add(compareSteps("lora.step" + steps + "." + v.name(), adapter.parameters(), v.offset(), exp,
                        "lora.step" + steps + "." + v.name(), "lora.grad." + v.name(), steps, lr));
            }
        } finally {
            model.setAdapter(null);
            model.setAllTrainable(true);
        }
        return lines;
    }

    private static AdamW optimizer(List<AdamW.Slice> slices, JsonNode adam) {
        return new AdamW(slices, (float) adam.path("beta1").asDouble(0.9), (float) adam.path("beta2").asDouble(0.999),
                (float) adam.path("eps").asDouble(1e-8), (float) adam.path("weight_decay").asDouble(0.0));
    }

    /** Row 0 of the expected logits against the KV-cached decoder stepping through row 0's tokens. */
    private static Line kvCache(String label, Decodable model, int[] tokens, int T, SafetensorsReader exp) {
        int V = model.config().vocabSize();
        float[] want = exp.readFloats("logits");
        CausalLM.Decoder d = model.newDecoder(T);
        double max = 0;
        int bad = 0;
        for (int t = 0; t < T; t++) {
            float[] got = d.step(tokens[t], t);
            for (int i = 0; i < V; i++) {
                double e = want[t * V + i];
                double diff = Math.abs(got[i] - e);
                if (!(diff <= ABS_TOL + REL_TOL * Math.abs(e))) {
                    bad++;
                }
                max = Double.isNaN(diff) ? Double.NaN : Math.max(max, diff);
            }
        }
        return new Line(label, max, RELATIVE, bad == 0, bad == 0 ? "" : bad + " of " + T * V
                + " elements out of tolerance");
    }

    private static Line greedyLine(String label, int[] got, int[] expected) {
        int mismatches = 0;
        int maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            if (got[i] != expected[i]) {
                mismatches++;
                maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
            }
        }
        return new Line(label, maxDiff, "exact", mismatches == 0,
                mismatches == 0 ? expected.length + " tokens" : mismatches + " of " + expected.length
                        + " tokens differ: got " + Arrays.toString(got) + ", expected " + Arrays.toString(expected));
    }

    /** The {@code steps} tokens greedy decoding appends to {@code prompt} (full forward per token, context cropped to the model's). */
    public static int[] greedy(CausalLM model, int[] prompt, int steps) {
        int V = model.config().vocabSize();
        int maxT = model.config().maxSeqLen();
        int[] seq = Arrays.copyOf(prompt, prompt.length + steps);
        int len = prompt.length;
        for (int s = 0; s < steps; s++) {
            int from = Math.max(0, len - maxT);
            int T = len - from;
            model.forward(Arrays.copyOfRange(seq, from, len), 1, T);
            seq[len++] = argmax(model.logits(), model.logitsOffset(0, T - 1), V);
        }
        return Arrays.copyOfRange(seq, prompt.length, len);
    }

    /** The same continuation through the model's KV-cached decoder (prompt + steps must fit the context). */
    public static int[] greedyCached(Decodable model, int[] prompt, int steps) {
        int V = model.config().vocabSize();
        CausalLM.Decoder d = model.newDecoder(prompt.length + steps);
        float[] logits = null;
        for (int i = 0; i < prompt.length; i++) {
            logits = d.step(prompt[i], i);
        }
        int[] out = new int[steps];
        for (int s = 0; s < steps; s++) {
            out[s] = argmax(logits, 0, V);
            if (s + 1 < steps) {
                logits = d.step(out[s], prompt.length + s);
            }
        }
        return out;
    }

    private static int argmax(float[] logits, int off, int V) {
        int best = 0;
        for (int i = 1; i < V; i++) {
            if (logits[off + i] > logits[off + best]) {
                best = i;
            }
        }
        return best;
    }

    private static Predicate<TensorView> decayRule(Path dir, String rule) {
        return switch (rule) {
            case "all weights", "all trained weights" -> CausalLM.decayAll();
            case "matrices", "matrices only", "2d weights" -> CausalLM.decayMatricesOnly();
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

    /**
     * Weights after AdamW steps: within 1e-4, except elements whose initial gradient (PyTorch's) is below
     * {@link #NOISE_FLOOR} times the tensor's largest: there float32 rounding in the backward pass (about
     * 1e-7 of the largest gradient) is as large as the gradient itself, Adam's first step
     * {@code lr·g/(|g|+eps)} follows the sign of that noise, and the only honest bound is Adam's own,
     * 2·lr per step. The line says how many elements that was.
     */
    private static Line compareSteps(String label, float[] actual, int offset, SafetensorsReader exp, String name,
                                     String gradName, int steps, float lr) {
        Optional<float[]> e = expected(exp, name);
        if (e.isEmpty()) {
            return new Line(label, Double.NaN, ABSOLUTE, false, "no tensor \"" + name + "\" in " + exp.file().getFileName());
        }
        float[] want = e.get();
        float[] grad = expected(exp, gradName).orElse(null);
        double gmax = 0;
        if (grad != null) {
            for (float x : grad) {
                gmax = Math.max(gmax, Math.abs(x));
            }
        }
        double max = 0;
        double maxNoisy = 0;
        int noisy = 0;
        boolean pass = true;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) actual[offset + i] - want[i]);
            if (Double.isNaN(d)) {
                return new Line(label, Double.NaN, ABSOLUTE, false, "NaN at element " + i);
            }
            if (d > ABS_TOL && grad != null && Math.abs(grad[i]) < NOISE_FLOOR * gmax) {
                noisy++;
                maxNoisy = Math.max(maxNoisy, d);
                pass &= d <= 2.0 * steps * lr;
            } else {
                max = Math.max(max, d);
                pass &= d <= ABS_TOL;
            }
        }
        String note = noisy == 0 ? "" : noisy + " element(s) beyond 1e-4 whose |grad| < 1e-5·max|grad| (float32 noise): within 2·steps·lr, max "
                + String.format("%.1e", maxNoisy);
        return new Line(label, max, ABSOLUTE, pass, note);
    }

    /** Gradients below this fraction of their tensor's largest are float32 noise in any float32 backward pass. */
    public static final double NOISE_FLOOR = 1e-5;

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
