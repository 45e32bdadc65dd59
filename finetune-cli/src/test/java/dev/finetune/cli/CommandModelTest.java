package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** Walks picocli's model of the whole command line: help text everywhere, one {@code --workspace}. */
class CommandModelTest {

    /** Every command and subcommand by its qualified name ("finetune finetune create"). */
    static Map<String, CommandLine> commands() {
        Map<String, CommandLine> all = new LinkedHashMap<>();
        collect(new CommandLine(new Main()), all);
        return all;
    }

    private static void collect(CommandLine c, Map<String, CommandLine> into) {
        into.put(c.getCommandSpec().qualifiedName(), c);
        for (CommandLine sub : c.getSubcommands().values()) {
            if (!into.containsKey(sub.getCommandSpec().qualifiedName())) {
                collect(sub, into);
            }
        }
    }

    private static String name(ArgSpec a) {
        return a instanceof OptionSpec o ? o.longestName() : ((PositionalParamSpec) a).paramLabel();
    }

    /** The description as written in the annotation (picocli hands out the rendered one). */
    private static String rawDescription(ArgSpec a) {
        Field f = (Field) a.userObject();
        CommandLine.Option o = f.getAnnotation(CommandLine.Option.class);
        return String.join(" ", o != null ? o.description() : f.getAnnotation(CommandLine.Parameters.class).description());
    }

    @Test
    void everyOptionAndParameterOfEveryCommandHasHelpTextAndShowsItsDefault() {
        List<String> missing = new ArrayList<>();
        List<String> hiddenDefault = new ArrayList<>();
        int args = 0;
        for (Map.Entry<String, CommandLine> e : commands().entrySet()) {
            List<ArgSpec> specs = new ArrayList<>(e.getValue().getCommandSpec().options());
            specs.addAll(e.getValue().getCommandSpec().positionalParameters());
            for (ArgSpec a : specs) {
                args++;
                if (String.join(" ", a.description()).isBlank()) {
                    missing.add(e.getKey() + " " + name(a));
                }
                if (a.defaultValue() != null && !rawDescription(a).contains("${DEFAULT-VALUE}")) {
                    hiddenDefault.add(e.getKey() + " " + name(a) + " (default " + a.defaultValue() + ")");
                }
            }
        }
        assertTrue(args > 100, "walked " + args + " options and parameters");
        assertEquals(List.of(), missing, "options and parameters without a description");
        assertEquals(List.of(), hiddenDefault, "defaults not shown through ${DEFAULT-VALUE}");
    }

    @Test
    void everyHelpListsEveryOptionWithItsDescription() {
        Cli cli = new Cli();
        for (Map.Entry<String, CommandLine> e : commands().entrySet()) {
            String[] path = e.getKey().split(" ");
            String[] args = new String[path.length];
            System.arraycopy(path, 1, args, 0, path.length - 1);
            args[path.length - 1] = "--help";
            assertEquals(0, cli.run(args), e.getKey() + ": " + cli.both());
            String help = cli.out().replaceAll("\\s+", " ");
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                assertTrue(help.contains(o.longestName()), e.getKey() + " --help does not list " + o.longestName());
                String firstWords = String.join(" ", o.renderedDescription()).replaceAll("\\s+", " ").split(" ")[0];
                assertTrue(help.contains(firstWords), e.getKey() + " --help: " + o.longestName() + " without its text");
            }
        }
    }

    @Test
    void workspaceIsDeclaredOnceWithOneMeaning() throws Exception {
        int seen = 0;
        for (Map.Entry<String, CommandLine> e : commands().entrySet()) {
            OptionSpec o = e.getValue().getCommandSpec().findOption("--workspace");
            if (o == null) {
                continue;
            }
            seen++;
            Field f = (Field) o.userObject();
            assertEquals(WorkspaceOption.class, f.getDeclaringClass(), e.getKey() + " declares its own --workspace");
            assertEquals(WorkspaceOption.DESCRIPTION, String.join(" ", o.description()), e.getKey());
        }
        // datasets (and its 4 subcommands), finetune (and its 8), audit, base-models list/build, chat, generate,
        // rerank, classify, demo, validate
        assertTrue(seen >= 22, "commands with --workspace: " + seen);
        for (String reads : List.of("finetune audit", "finetune chat", "finetune datasets list", "finetune finetune list",
                "finetune base-models list", "finetune validate")) {
            assertTrue(commands().get(reads).getCommandSpec().findOption("--workspace") != null, reads);
        }
    }

    @Test
    void theCommandsThatTrainSaySoInTheirHelp() {
        Cli cli = new Cli();
        assertEquals(0, cli.run("finetune", "create", "--help"));
        assertTrue(flat(cli.out()).contains("./finetune finetune wait ID"), cli.out());
        assertEquals(0, cli.run("finetune", "wait", "--help"));
        assertTrue(flat(cli.out()).contains("resumes every queued or interrupted fine-tune"), cli.out());
        assertEquals(0, cli.run("demo", "--help"));
        assertTrue(flat(cli.out()).contains("Trains in this process"), cli.out());
    }

    private static String flat(String s) {
        return s.replaceAll("\\s+", " ");
    }
}
