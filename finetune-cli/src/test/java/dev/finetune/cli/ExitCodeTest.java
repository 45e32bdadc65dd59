package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Usage errors exit 2 with the reason on standard error; failures exit 1 with one {@code error:} line. */
class ExitCodeTest {
    @TempDir
    Path dir;

    private final Cli cli = new Cli();

    @AfterEach
    void restore() {
        FinetuneCommand.Create.environment = System::getenv;
    }

    private void usage(String expected, String... args) {
        assertEquals(2, cli.run(args), String.join(" ", args) + "\n" + cli.both());
        assertTrue(cli.err().contains(expected), String.join(" ", args) + ": " + cli.err());
    }

    private void failure(String expected, String... args) {
        assertEquals(1, cli.run(args), String.join(" ", args) + "\n" + cli.both());
        assertTrue(cli.err().contains("error: ") && cli.err().contains(expected), String.join(" ", args) + ": " + cli.err());
    }

    private String[] create(String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("finetune", "create", "--workspace", dir.resolve("ws").toString(),
                "--name", "x", "--dataset-id", "d-1"));
        a.addAll(List.of(more));
        if (!a.contains("--base-model")) {
            a.addAll(List.of("--base-model", "chat"));
        }
        return a.toArray(String[]::new);
    }

    @Test
    void badFlagValuesAreUsageErrors() {
        String ws = dir.resolve("ws").toString();
        usage("Unknown option: '--no-such-flag'", "finetune", "list", "--no-such-flag");
        usage("Missing required parameter: 'ID'", "finetune", "get");
        usage("Unmatched argument", "no-such-command");
        usage("unknown strategy 'bogus'", create("--strategy", "bogus"));
        usage("unknown LoRA target modules 'qk'", create("--lora-target-modules", "qk"));
        usage("--base-model: unknown base type 'nonsense'", create("--base-model", "nonsense:x"));
        usage("--full contradicts --strategy STRATEGY_LORA", create("--full", "--strategy", "lora"));
        usage("--wandb-entity needs --wandb-project", create("--wandb-entity", "team"));
        FinetuneCommand.Create.environment = name -> null;
        usage("WANDB_API_KEY", create("--wandb-project", "p"));
        usage("Invalid value for option '--epochs'", create("--epochs", "not-a-number"));
        usage("page_size", "finetune", "list", "--workspace", ws, "--page-size", "0");
        usage("page_token", "finetune", "list", "--workspace", ws, "--page-token", "abc");
        usage("--tokens must be in 1..1023", "bench", "generate", "--tokens", "0");
        usage("--runs must be at least 1", "bench", "generate", "--runs", "0");
        usage("--seq 300 exceeds --ctx 256", "bench", "train-step", "--seq", "300");
        usage("no built-in base model nope", "base-models", "build", "--workspace", ws, "nope");
        usage("no such file", "pii", "scan", dir.resolve("missing.txt").toString());
        usage("no such file", "tokenizer", "train", "--corpus", dir.resolve("missing.txt").toString(), "--vocab-size", "300",
                "--out", dir.resolve("tok").toString());
        usage("is not a readable file", "rerank", "--workspace", ws, "--model", "m-ft", "--query", "q", "--documents",
                dir.resolve("missing.txt").toString());
        usage("unknown dataset type 'bogus'", "datasets", "create", "--workspace", ws, "--type", "bogus", "f.jsonl");
        usage("no such file", "validate", "--type", "chat-finetune-input", dir.resolve("missing.jsonl").toString());
    }

    @Test
    void failuresExitOne() {
        String ws = dir.resolve("ws").toString();
        failure("no fine-tuned model nosuch", "finetune", "get", "--workspace", ws, "nosuch");
        failure("no fine-tuned model nosuch", "finetune", "wait", "--workspace", ws, "nosuch-ft");
        failure("dataset nosuch not found", "datasets", "get", "--workspace", ws, "nosuch");
        failure("train_epochs: 11 is outside the allowed range 1 to 10", create("--epochs", "11"));
        failure("no dataset d-1", create());
    }
}
