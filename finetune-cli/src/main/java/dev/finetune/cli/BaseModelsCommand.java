package dev.finetune.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.json.Json;
import dev.finetune.workspace.Workspace;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code finetune base-models list|build NAME}: the built-in base models. */
@Command(name = "base-models", mixinStandardHelpOptions = true, description = "List or build the built-in base models.",
        subcommands = {BaseModelsCommand.ListCmd.class, BaseModelsCommand.Build.class})
public final class BaseModelsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The workspace folder: {@code given}, else {@code $FINETUNE_HOME}, else {@code ~/.finetune} (see {@link WorkspaceOption}). */
    static Path workspaceRoot(Path given) {
        WorkspaceOption w = new WorkspaceOption();
        w.workspace = given;
        return w.root();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the built-in base models.")
    static final class ListCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        WorkspaceOption workspace;

        @Option(names = "--json", description = "print a JSON array of {name, built, path, description}")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            ArrayNode arr = Json.array();
            for (BaseModels.Spec s : BaseModels.BUILT_IN) {
                Path dir = Workspace.baseModelsDir(workspace.root()).resolve(s.name());
                boolean built = BaseModels.isBuilt(dir);
                if (json) {
                    ObjectNode o = arr.addObject();
                    o.put("name", s.name());
                    o.put("built", built);
                    o.put("path", dir.toString());
                    o.put("description", s.description());
                } else {
                    out.printf("%-12s %-9s %s%n", s.name(), built ? "built" : "not built", s.description());
                }
            }
            if (json) {
                out.println(Json.prettyWriter().writeValueAsString(arr));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "build", mixinStandardHelpOptions = true, description = "Build a built-in base model (once; cached).")
    static final class Build implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "base model name, e.g. base-light")
        String name;

        @Mixin
        WorkspaceOption workspace;

        @Option(names = "--out", paramLabel = "DIR", description = "build into this folder instead of the workspace")
        Path out;

        @Override
        public Integer call() throws Exception {
            BaseModels.Spec s = BaseModels.builtIn(name).orElseThrow(() -> new ParameterException(spec.commandLine(),
                    "no built-in base model " + name + " (built in: "
                            + BaseModels.BUILT_IN.stream().map(BaseModels.Spec::name).collect(Collectors.joining(", ")) + ")"));
            Path dir = out != null ? out : Workspace.baseModelsDir(workspace.root()).resolve(s.name());
            PrintWriter w = spec.commandLine().getOut();
            Progress progress = new Progress(w, "pretraining " + s.name());
            BaseModels.ensure(s, dir, (step, steps, loss, tps) -> progress.update(step, steps,
                    String.format("loss %.3f, %.0f tok/s", loss, tps)), () -> false);
            progress.done();
            w.println(s.name() + " is ready in " + dir);
            w.flush();
            return 0;
        }
    }
}
