package dev.finetune.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.finetune.json.Json;
import dev.finetune.optim.AdamW;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.SafetensorsWriter;
import dev.finetune.workspace.AtomicWrite;
import dev.finetune.workspace.FileOps;
import dev.finetune.workspace.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A training checkpoint: {@code checkpoint/state.safetensors} (the trainable weights, AdamW's moments,
 * the best weights so far) and {@code checkpoint/state.json} beside it (step, non-improving evaluations,
 * the best watched cost and the baseline metrics, as JSON numbers: a double written by Jackson reads
 * back as the same double, so a resumed run reports exactly what the uninterrupted one would).
 * Written to a temporary folder and renamed into place; a crash between the two renames is repaired on
 * the next load.
 */
final class Checkpoint {
    static final String DIR = ModelFiles.CHECKPOINTS;
    static final String TENSORS = "state.safetensors";
    static final String SIDECAR = "state.json";

    /** The scalar state of the loop at a checkpoint. */
    record State(@JsonProperty("step") int step, @JsonProperty("bad_evaluations") int badEvaluations,
                 @JsonProperty("best_cost") double bestCost, @JsonProperty("baseline") Map<String, Double> baseline,
                 @JsonProperty("trained_tokens") long trainedTokens) {
        State {
            baseline = baseline == null ? Map.of() : new LinkedHashMap<>(baseline);
        }

        State(int step, int badEvaluations, double bestCost, Map<String, Double> baseline) {
            this(step, badEvaluations, bestCost, baseline, 0);
        }
    }

    /** A loaded checkpoint: the scalars, and the best weights when one was kept. */
    record Loaded(State state, Optional<float[]> best) {
    }

    private Checkpoint() {
    }

    static Path dir(Path modelDir) {
        return modelDir.resolve(DIR);
    }

    /** Loads the checkpoint under {@code modelDir} into {@code weights} and {@code opt}, if there is one. */
    static Optional<Loaded> load(Path modelDir, TrainerLoop.Segments weights, AdamW opt) throws IOException {
        Path ckpt = dir(modelDir);
        Path old = ckpt.resolveSibling(DIR + ".old");
        if (!Files.exists(ckpt) && Files.isRegularFile(old.resolve(SIDECAR))) {
            Files.move(old, ckpt, StandardCopyOption.ATOMIC_MOVE); // a crash between the two renames of a save
        }
        if (!Files.isRegularFile(ckpt.resolve(SIDECAR)) || !Files.isRegularFile(ckpt.resolve(TENSORS))) {
            return Optional.empty();
        }
        State state = Json.readValue(ckpt.resolve(SIDECAR).toFile(), State.class);
        Optional<float[]> best;
        try (SafetensorsReader r = SafetensorsReader.open(ckpt.resolve(TENSORS))) {
            weights.restore(r.readFloats("params"));
            r.readFloats("adam_m", opt.firstMoments(), 0);
            r.readFloats("adam_v", opt.secondMoments(), 0);
            best = r.find("best").isPresent() ? Optional.of(r.readFloats("best")) : Optional.empty();
        }
        opt.restoreStepCount(state.step());
        return Optional.of(new Loaded(state, best));
    }

    static void save(Path modelDir, float[] params, AdamW opt, State state, float[] best) throws IOException {
        Path ckpt = dir(modelDir);
        Path tmp = ckpt.resolveSibling(DIR + ".tmp");
        FileOps.deleteTree(tmp);
        Files.createDirectories(tmp);
        SafetensorsWriter w = new SafetensorsWriter();
        w.addFloats("params", DType.F32, new long[] {params.length}, params, 0);
        w.addFloats("adam_m", DType.F32, new long[] {opt.firstMoments().length}, opt.firstMoments(), 0);
        w.addFloats("adam_v", DType.F32, new long[] {opt.secondMoments().length}, opt.secondMoments(), 0);
        if (best != null) {
            w.addFloats("best", DType.F32, new long[] {best.length}, best, 0);
        }
        w.write(tmp.resolve(TENSORS));
        AtomicWrite.writeBytes(tmp.resolve(SIDECAR), Json.prettyWriter().writeValueAsBytes(state));
        Path old = ckpt.resolveSibling(DIR + ".old");
        FileOps.deleteTree(old);
        if (Files.exists(ckpt)) {
            Files.move(ckpt, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, ckpt, StandardCopyOption.ATOMIC_MOVE);
        FileOps.deleteTree(old);
    }
}
