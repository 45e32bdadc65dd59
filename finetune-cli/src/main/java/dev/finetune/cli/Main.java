package dev.finetune.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./finetune} command line. Each subcommand is a picocli {@link Command} class listed in
 * {@code subcommands} below; exit status 0 on success, 1 on failure, 2 on a usage error.
 */
@Command(name = "finetune",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Cohere-style fine-tuning, trained locally on the CPU.",
        subcommands = {
                CommandLine.HelpCommand.class,
                DemoCommand.class,
                TokenizeCommand.class,
                TokenizerCommand.class,
                ValidateCommand.class,
                DatasetsCommand.class,
                PiiCommand.class,
                AuditCommand.class,
                BaseModelsCommand.class,
                FinetuneCommand.class,
                ChatCommand.class,
                TemplateCommand.class,
                GenerateCommand.class,
                RerankCommand.class,
                ClassifyCommand.class,
                ReferenceCheckCommand.class,
                ServeCommand.class,
                BenchCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // the terminal shows progress itself; library logs below WARN only when asked (FINETUNE_LOG=info|debug)
        String level = System.getenv("FINETUNE_LOG");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level == null || level.isBlank() ? "warn" : level);
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status (used by tests). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /**
     * The command line with its exit statuses: 0 success, 1 a failure (an exception from a command, shown
     * as one {@code error:} line), 2 a usage error (picocli's {@link CommandLine.ParameterException}, also
     * when a command throws one for a bad flag value).
     */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            cmd.getErr().flush();
            return 1;
        });
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"finetune " + (v == null ? "dev" : v)};
        }
    }
}
