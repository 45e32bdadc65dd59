package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.generate.GenerateRequest;
import dev.finetune.generate.GenerateResponse;
import dev.finetune.generate.Generation;
import dev.finetune.generate.ReturnLikelihoods;
import dev.finetune.json.Json;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code finetune generate}: a completion (and likelihoods) from a model. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation of PROMPT, optionally with token likelihoods.")
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "<id>-ft, a built-in base model (base-light), a model folder or a hub model ORG/NAME[@REVISION]")
    String model;

    @Parameters(paramLabel = "PROMPT", description = "the prompt text")
    String prompt;

    @Option(names = "--max-tokens", description = "tokens to generate (0 with --likelihoods ALL scores the prompt)")
    Integer maxTokens;

    @Option(names = "--temperature", description = "0 is greedy (default 0.75)")
    Float temperature;

    @Option(names = {"-k", "--k"}, description = "top-k, 0 = off")
    Integer k;

    @Option(names = {"-p", "--p"}, description = "nucleus p in 0.01..0.99")
    Float p;

    @Option(names = "--seed", description = "sampling seed")
    Long seed;

    @Option(names = "--likelihoods", defaultValue = "NONE", description = "token log-likelihoods to return: NONE, GENERATION or ALL (default: ${DEFAULT-VALUE})")
    ReturnLikelihoods likelihoods;

    @Option(names = "--json", description = "print the response JSON")
    boolean json;

    @Mixin
    WorkspaceOption workspace;

    @Mixin
    InferenceDtypeOption dtype;

    @Override
    public Integer call() throws Exception {
        GenerateRequest.Builder b = GenerateRequest.builder().prompt(prompt).model(model).returnLikelihoods(likelihoods);
        if (maxTokens != null) {
            b.maxTokens(maxTokens);
        }
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (k != null) {
            b.k(k);
        }
        if (p != null) {
            b.p(p);
        }
        if (seed != null) {
            b.seed(seed);
        }
        GenerateRequest req = b.build();
        PrintWriter out = spec.commandLine().getOut();
        dtype.apply();
        try (ClientV2 co = workspace.open(false)) { // inference only: no job runner
            GenerateResponse r = co.generate(req);
            if (json) {
                out.println(Json.prettyWriter().writeValueAsString(r));
            } else {
                Generation g = r.generations().get(0);
                out.println(g.text());
                g.likelihood().ifPresent(l -> out.printf("average log-likelihood: %.4f (%s)%n", l, g.finishReason()));
            }
        }
        out.flush();
        return 0;
    }
}
