package dev.finetune.bench;

import dev.finetune.datasets.DatasetType;
import dev.finetune.spi.RecordFilter;
import dev.finetune.spi.ValidationJob;
import dev.finetune.spi.ValidationOutcome;
import dev.finetune.tokenizer.Tokenizer;
import dev.finetune.tokenizer.Tokenizers;
import dev.finetune.validation.DatasetValidation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Validation throughput end to end on a 3 MB chat file: read, strict UTF-8, JSON parse, rules, token
 * counting, dedup, normalized parts written with fsync. Reported as bytes/s in the {@code bytes}
 * counter (MB/s = bytes/s / 1e6); goal ≥ 10 MB/s with GPT-2 token counting. {@code tokenizer=bytes4}
 * counts a token per 4 UTF-8 bytes: the validator's own cost, without BPE; {@code tokenizer=jtokkit}
 * counts with jtokkit's {@code r50k_base} (GPT-2's vocabulary), a peer BPE measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class ValidationBench {
    @Param({"gpt2", "jtokkit", "bytes4"})
    public String tokenizer;

    private Path dir;
    private Path file;
    private long size;
    private DatasetValidation validation;

    /** Bytes of input validated, as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long bytes;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("validation-bench");
        file = dir.resolve("chats_3MB.jsonl");
        writeChats(file, 3_000_000L);
        size = Files.size(file);
        Tokenizer t = switch (tokenizer) {
            case "gpt2" -> Tokenizers.gpt2();
            case "jtokkit" -> new JtokkitR50k();
            default -> new Bytes4();
        };
        validation = new DatasetValidation(t);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try (Stream<Path> w = Files.walk(dir)) {
            w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public ValidationOutcome validateChat_3MB(Bytes counter) {
        ValidationOutcome o = validation.validate(new ValidationJob(DatasetType.CHAT_FINETUNE_INPUT, file, Optional.empty(), false,
                ',', dir.resolve("out"), RecordFilter.NONE));
        counter.bytes += size;
        return o;
    }

    /** Deterministic conversations of 1-4 turns with a preamble on some, ~3 MB in all. */
    static void writeChats(Path f, long targetBytes) throws IOException {
        String[] words = ("the a to of and in is it you that for on with as are this be at have or from by not but what "
                + "can your all will an my one there do if so about which their out up more when would like time how "
                + "order refund shipping account password invoice delivery café naïve 東京 données").split(" ");
        SplittableRandom rnd = new SplittableRandom(42);
        long written = 0;
        try (Writer w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
            int n = 0;
            while (written < targetBytes) {
                StringBuilder sb = new StringBuilder("{\"messages\": [");
                if (rnd.nextInt(3) == 0) {
                    sb.append("{\"role\": \"System\", \"content\": \"You are a helpful support agent number ").append(n).append(".\"}, ");
                }
                int turns = 1 + rnd.nextInt(4);
                for (int t = 0; t < turns; t++) {
                    sb.append("{\"role\": \"User\", \"content\": \"").append(sentence(rnd, words, 8 + rnd.nextInt(30))).append("\"}, ");
                    sb.append("{\"role\": \"Chatbot\", \"content\": \"").append(sentence(rnd, words, 10 + rnd.nextInt(60)))
                            .append(t + 1 < turns ? "\"}, " : "\"}");
                }
                sb.append("]}\n");
                w.write(sb.toString());
                written += sb.toString().getBytes(StandardCharsets.UTF_8).length;
                n++;
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static String sentence(SplittableRandom rnd, String[] words, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(words[rnd.nextInt(words.length)]);
        }
        return sb.append('.').toString();
    }

    /** jtokkit's GPT-2 encoding, ordinary text only (special-token spellings count as text, as ours do). */
    static final class JtokkitR50k implements Tokenizer {
        private final com.knuddels.jtokkit.api.Encoding enc = com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry()
                .getEncoding(com.knuddels.jtokkit.api.EncodingType.R50K_BASE);

        @Override
        public int[] encode(String text) {
            return enc.encodeOrdinary(text).toArray();
        }

        @Override
        public int countTokens(String text) {
            return enc.countTokensOrdinary(text);
        }

        @Override
        public String decode(int[] ids) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int vocabSize() {
            return 50257;
        }
    }

    /** A token per 4 UTF-8 bytes (rounded up): the cost of counting without BPE. */
    static final class Bytes4 implements Tokenizer {
        @Override
        public int[] encode(String text) {
            return new int[countTokens(text)];
        }

        @Override
        public int countTokens(String text) {
            int bytes = 0;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
            }
            return (bytes + 3) / 4;
        }

        @Override
        public String decode(int[] ids) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int vocabSize() {
            return 1;
        }
    }
}
