package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.chat.ChatMessage;
import dev.finetune.chat.ChatRequest;
import dev.finetune.chat.ChatStreamEvent;
import dev.finetune.json.Json;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code finetune chat}: one answer from a model, streamed to the terminal. */
@Command(name = "chat", mixinStandardHelpOptions = true, description = "Ask a model; the answer streams as it is generated.")
public final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "<id>-ft, a built-in base model, a model folder or a hub model ORG/NAME[@REVISION]")
    String model;

    @Option(names = "--system", description = "a system message (a fine-tuned model gets none unless given)")
    String system;

    @Parameters(paramLabel = "MESSAGE", arity = "1..*", description = "user message(s); more than one alternate user/assistant")
    List<String> messages;

    @Option(names = "--max-tokens", description = "longest answer in tokens")
    Integer maxTokens;

    @Option(names = "--temperature", description = "0 is greedy (default 0.3)")
    Float temperature;

    @Option(names = "--seed", description = "sampling seed")
    Long seed;

    @Option(names = "--json", description = "print the response JSON instead of streaming text")
    boolean json;

    @Mixin
    WorkspaceOption workspace;

    @Mixin
    InferenceDtypeOption dtype;

    @Option(names = "--return-prompt", description = "print the prompt exactly as the model saw it (the rendered chat template) before the answer")
    boolean returnPrompt;

    @Override
    public Integer call() throws Exception {
        List<ChatMessage> conv = new ArrayList<>();
        if (system != null) {
            conv.add(ChatMessage.system(system));
        }
        for (int i = 0; i < messages.size(); i++) {
            conv.add(i % 2 == 0 ? ChatMessage.user(messages.get(i)) : ChatMessage.assistant(messages.get(i)));
        }
        ChatRequest.Builder b = ChatRequest.builder().model(model).messages(conv);
        if (maxTokens != null) {
            b.maxTokens(maxTokens);
        }
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (seed != null) {
            b.seed(seed);
        }
        b.returnPrompt(returnPrompt);
        PrintWriter out = spec.commandLine().getOut();
        dtype.apply();
        try (ClientV2 co = workspace.open(false)) { // inference only: no job runner
            if (json) {
                out.println(Json.prettyWriter().writeValueAsString(co.chat(b.build())));
            } else if (returnPrompt) {
                var r = co.chat(b.build());
                out.println("[prompt]");
                out.println(r.prompt().orElse(""));
                out.println("[answer]");
                out.println(r.text());
                out.printf("[%s, %d input tokens, %d output tokens]%n", r.finishReason(),
                        r.usage().tokens().inputTokens(), r.usage().tokens().outputTokens());
            } else {
                co.chatStream(b.build(), e -> {
                    if (e.isEnd()) {
                        out.println();
                        out.printf("[%s, %d input tokens, %d output tokens]%n", e.finishReason().orElseThrow(),
                                e.usage().orElseThrow().tokens().inputTokens(), e.usage().orElseThrow().tokens().outputTokens());
                    } else {
                        out.print(e.text().orElse(""));
                    }
                    out.flush();
                });
            }
        }
        out.flush();
        return 0;
    }
}
