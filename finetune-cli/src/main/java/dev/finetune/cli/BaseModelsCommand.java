package dev.finetune.cli;

import dev.finetune.basemodels.BaseModels;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

    static Path workspaceRoot(Path given) {
        if (given != null) {
            return given;
        }
        String home = System.getenv("FINETUNE_HOME");
        return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".finetune");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the built-in base models.")
    static final class ListCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--workspace", paramLabel = "DIR", description = "workspace (default $FINETUNE_HOME or ~/.finetune)")
        Path workspace;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            for (BaseModels.Spec s : BaseModels.BUILT_IN) {
                boolean built = BaseModels.isBuilt(workspaceRoot(workspace).resolve("base-models").resolve(s.name()));
                out.printf("%-12s %-9s %s%n", s.name(), built ? "built" : "not built", s.description());
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

        @Option(names = "--workspace", paramLabel = "DIR", description = "workspace (default $FINETUNE_HOME or ~/.finetune)")
        Path workspace;

        @Option(names = "--out", paramLabel = "DIR", description = "build into this folder instead of the workspace")
        Path out;

        @Override
        public Integer call() {
            BaseModels.Spec s = BaseModels.builtIn(name).orElseThrow(() -> new IllegalArgumentException(
                    "no built-in base model " + name + " (built in: base-light)"));
            Path dir = out != null ? out : workspaceRoot(workspace).resolve("base-models").resolve(s.name());
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
