package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.classify.Classification;
import dev.finetune.classify.ClassifyRequest;
import dev.finetune.classify.ClassifyResponse;
import dev.finetune.json.Json;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code finetune classify}: labels for texts from a classification model. */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Label each INPUT with a classification model (<id>-ft); without INPUT, one text per line of standard input.")
public final class ClassifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "<id>-ft of a classification fine-tune")
    String model;

    @Parameters(paramLabel = "INPUT", arity = "0..*", description = "texts to classify (at most 96)")
    List<String> inputs;

    @Option(names = "--json", description = "print the response JSON")
    boolean json;

    @Mixin
    WorkspaceOption workspace;

    @Override
    public Integer call() throws Exception {
        List<String> texts = inputs;
        if (texts == null || texts.isEmpty()) {
            texts = new java.io.BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines()
                    .filter(l -> !l.isBlank()).toList();
        }
        ClassifyRequest req = ClassifyRequest.of(model, texts);
        PrintWriter out = spec.commandLine().getOut();
        try (ClientV2 co = workspace.open(false)) { // inference only: no job runner
            ClassifyResponse r = co.classify(req);
            if (json) {
                out.println(Json.prettyWriter().writeValueAsString(r));
            } else {
                for (Classification c : r.classifications()) {
                    String labels = c.predictions().isEmpty() ? "(no label)" : java.util.stream.IntStream.range(0, c.predictions().size())
                            .mapToObj(i -> String.format("%s %.3f", c.predictions().get(i), c.confidences().get(i)))
                            .collect(Collectors.joining(", "));
                    out.printf("%-30s %s%n", labels, RerankCommand.abbreviate(c.input()));
                }
            }
        }
        out.flush();
        return 0;
    }
}
