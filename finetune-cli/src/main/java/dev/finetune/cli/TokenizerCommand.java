package dev.finetune.cli;

import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.BpeTrainer;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code finetune tokenizer train}: learn a byte-level BPE vocabulary from a corpus. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true, description = "Tokenizer tools.",
        subcommands = TokenizerCommand.Train.class)
public final class TokenizerCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Learn a byte-level BPE (GPT-2 pre-tokenization) from a UTF-8 corpus and save it",
                    "as encoder.json + vocab.bpe and as tokenizer.json."})
    static final class Train implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--corpus", required = true, paramLabel = "FILE", description = "UTF-8 text to learn from")
        Path corpus;

        @Option(names = "--vocab-size", required = true, paramLabel = "N",
                description = "ids in all: 256 bytes + merges + special tokens")
        int vocabSize;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder to write the files to")
        Path out;

        @Option(names = "--special", paramLabel = "TOKEN", description = "extra special tokens (<|endoftext|> is always added)")
        List<String> special = new ArrayList<>();

        @Option(names = "--json", description = "print what was written as JSON: merges, vocab_size, files, out")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(corpus)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--corpus " + corpus + ": no such file");
            }
            List<String> specials = new ArrayList<>();
            specials.add("<|endoftext|>");
            specials.addAll(special);
            long t0 = System.nanoTime();
            ByteLevelBpe bpe = BpeTrainer.train(corpus, vocabSize, specials);
            BpeFiles.save(bpe, out);
            PrintWriter w = spec.commandLine().getOut();
            if (json) {
                com.fasterxml.jackson.databind.node.ObjectNode o = dev.finetune.json.Json.object();
                o.put("merges", bpe.mergeCount());
                o.put("vocab_size", bpe.vocabSize());
                o.put("out", out.toString());
                o.putArray("files").add(BpeFiles.ENCODER_JSON).add(BpeFiles.VOCAB_BPE).add(BpeFiles.TOKENIZER_JSON);
                w.println(dev.finetune.json.Json.prettyWriter().writeValueAsString(o));
                w.flush();
                return 0;
            }
            w.printf("trained %d merges (vocabulary %d) from %s in %.1f s; wrote %s, %s, %s in %s%n", bpe.mergeCount(),
                    bpe.vocabSize(), corpus, (System.nanoTime() - t0) / 1e9, BpeFiles.ENCODER_JSON, BpeFiles.VOCAB_BPE,
                    BpeFiles.TOKENIZER_JSON, out);
            w.flush();
            return 0;
        }
    }
}
