package dev.finetune.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.json.Json;
import dev.finetune.safetensors.DType;
import dev.finetune.safetensors.SafetensorsReader;
import dev.finetune.safetensors.SafetensorsWriter;
import dev.finetune.workspace.AtomicWrite;
import dev.finetune.workspace.FileOps;
import dev.finetune.workspace.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The checkpoints a run keeps for the user to pick ({@code checkpoints/step-<N>/}): after every
 * evaluation the trainable weights ({@link ModelFiles#KEPT_WEIGHTS}, the same vector the resume
 * checkpoint holds) and the step's metrics ({@link ModelFiles#KEPT_INFO}, with whether the evaluation
 * improved on every earlier one). The newest {@link #keep()} are kept, and always the best (the last
 * that improved); the others are deleted. A kept checkpoint becomes a servable folder on demand
 * ({@link LocalTrainingBackend#exportCheckpoint}).
 */
final class KeptCheckpoints {
    /** Kept besides the best when {@code -Dfinetune.keptCheckpoints} does not say. */
    static final int DEFAULT_KEEP = 3;

    private KeptCheckpoints() {
    }

    /** How many recent checkpoints to keep besides the best: {@code -Dfinetune.keptCheckpoints}, default 3, at least 0. */
    static int keep() {
        return Math.max(0, Integer.getInteger("finetune.keptCheckpoints", DEFAULT_KEEP));
    }

    static void save(Path modelDir, int step, float[] trainable, Map<String, Double> metrics, boolean improved) throws IOException {
        Path dir = modelDir.resolve(ModelFiles.keptDir(step));
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        FileOps.deleteTree(tmp);
        Files.createDirectories(tmp);
        new SafetensorsWriter().addFloats("params", DType.F32, new long[] {trainable.length}, trainable, 0)
                .write(tmp.resolve(ModelFiles.KEPT_WEIGHTS));
        ObjectNode info = Json.object();
        info.put("step", step);
        info.put("improved", improved);
        ObjectNode m = info.putObject("metrics");
        metrics.forEach(m::put);
        AtomicWrite.writeBytes(tmp.resolve(ModelFiles.KEPT_INFO), Json.prettyWriter().writeValueAsBytes(info));
        FileOps.deleteTree(dir); // a resumed run writes the steps after its last checkpoint again
        AtomicWrite.move(tmp, dir);
        prune(modelDir, keep());
    }

    /** Deletes all but the newest {@code keep} and the best. */
    static void prune(Path modelDir, int keep) throws IOException {
        Path root = modelDir.resolve(ModelFiles.KEPT_CHECKPOINTS);
        List<int[]> steps = new ArrayList<>(); // step, improved
        try (Stream<Path> s = Files.list(root)) {
            for (Path d : s.filter(p -> p.getFileName().toString().matches("step-\\d+")).toList()) {
                Path info = d.resolve(ModelFiles.KEPT_INFO);
                if (Files.isRegularFile(info)) {
                    var n = Json.reader().readTree(Files.readAllBytes(info));
                    steps.add(new int[] {n.path("step").asInt(), n.path("improved").asBoolean() ? 1 : 0});
                }
            }
        }
        steps.sort((a, b) -> Integer.compare(a[0], b[0]));
        int best = -1;
        for (int[] s : steps) {
            if (s[1] == 1) {
                best = s[0];
            }
        }
        for (int i = 0; i < steps.size() - keep; i++) {
            if (steps.get(i)[0] != best) {
                FileOps.deleteTree(root.resolve("step-" + steps.get(i)[0]));
            }
        }
    }

    /** The trainable weights kept at {@code step}. */
    static float[] read(Path modelDir, int step) throws IOException {
        Path f = modelDir.resolve(ModelFiles.keptDir(step)).resolve(ModelFiles.KEPT_WEIGHTS);
        if (!Files.isRegularFile(f)) {
            throw new dev.finetune.NotFoundException("no kept checkpoint at step " + step + " in " + modelDir);
        }
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            return r.readFloats("params");
        }
    }
}
