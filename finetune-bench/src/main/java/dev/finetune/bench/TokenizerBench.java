package dev.finetune.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.tokenizer.BpeFiles;
import dev.finetune.tokenizer.ByteLevelBpe;
import dev.finetune.tokenizer.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode throughput of our GPT-2 tokenizer beside jtokkit's {@code r50k_base} (GPT-2's vocabulary), on
 * the same texts in the same run: {@code shakespeare} (tinyshakespeare.txt, 1.1 MB) and {@code chat}
 * (a 1 MB JSONL chat corpus built from the same lines). The {@code bytes} counter is the input rate
 * (MB/s = bytes/s / 1e6). Setup checks that both give identical ids for the whole text.
 *
 * <p>{@code family} runs the same texts through a {@code tokenizer.json} with its own pipeline
 * ({@code smollm2}: Digits + ByteLevel; {@code qwen2.5}: NFC + Split regex; {@code llama3.2}: Split
 * regex + {@code ignore_merges}); {@code gpt2} is the GPT-2 path. The files are read from
 * {@code -Dfinetune.tokenizerFamilies=DIR} (default: the test resources of finetune-core, relative to
 * the repository root, where the benchmark is run from).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class TokenizerBench {
    @Param({"shakespeare", "chat"})
    public String corpus;

    @Param({"gpt2", "smollm2", "qwen2.5", "llama3.2"})
    public String family;

    private String text;
    private long bytes;
    private ByteLevelBpe ours;
    private Encoding jtokkit;

    /** Input bytes encoded, as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rate {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Setup
    public void setUp() {
        String shakespeare = BaseModels.corpus("tinyshakespeare.txt");
        if (corpus.equals("chat")) {
            StringBuilder sb = new StringBuilder();
            String[] lines = shakespeare.split("\n");
            for (int i = 0; i + 1 < lines.length && sb.length() < 1_000_000; i += 2) {
                sb.append("{\"messages\": [{\"role\": \"User\", \"content\": \"").append(escape(lines[i]))
                        .append("\"}, {\"role\": \"Chatbot\", \"content\": \"").append(escape(lines[i + 1]))
                        .append("\"}]}\n");
            }
            text = sb.toString();
        } else {
            text = shakespeare;
        }
        bytes = text.getBytes(StandardCharsets.UTF_8).length;
        jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        if (family.equals("gpt2")) {
            ours = Tokenizers.gpt2();
            int[] a = ours.encode(text);
            int[] b = jtokkit.encodeOrdinary(text).toArray();
            if (!Arrays.equals(a, b)) {
                throw new IllegalStateException("our ids differ from jtokkit's on " + corpus);
            }
        } else {
            Path dir = Path.of(System.getProperty("finetune.tokenizerFamilies",
                    "finetune-core/src/test/resources/dev/finetune/tokenizer/families"), family);
            ours = BpeFiles.loadTokenizerJson(dir.resolve(BpeFiles.TOKENIZER_JSON));
            if (!ours.decode(ours.encode(text)).equals(text)) {
                throw new IllegalStateException(family + " does not decode its encoding of " + corpus);
            }
        }
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @Benchmark
    public int ours(Rate r) {
        r.bytes += bytes;
        return ours.encode(text).length;
    }

    @Benchmark
    public int jtokkit(Rate r) {
        r.bytes += bytes;
        return jtokkit.encodeOrdinary(text).size();
    }

    @Benchmark
    public int oursCountOnly(Rate r) {
        r.bytes += bytes;
        return ours.countTokens(text);
    }
}
