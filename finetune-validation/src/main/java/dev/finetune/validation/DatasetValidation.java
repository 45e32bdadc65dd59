package dev.finetune.validation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.WorkspaceException;
import dev.finetune.datasets.DatasetMetrics;
import dev.finetune.datasets.DatasetPart;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.FinetuneDatasetMetrics;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.json.Json;
import dev.finetune.spi.DatasetValidator;
import dev.finetune.spi.RecordFilter;
import dev.finetune.spi.ValidationJob;
import dev.finetune.spi.ValidationOutcome;
import dev.finetune.tokenizer.Tokenizer;
import dev.finetune.tokenizer.Tokenizers;
import dev.finetune.workspace.AtomicWrite;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validator: streams each uploaded file once, line by line, applies the type's documented rules,
 * drops duplicates and too-long conversations, passes each kept record through the pre-storage
 * {@link RecordFilter}, and writes the normalized parts ({@code train.jsonl}, {@code eval.jsonl})
 * atomically. Without usable eval data it splits train 80/20, deterministically. The first line
 * decides the format: a file that is not the type's JSONL (or CSV, where the type allows CSV) fails
 * there, naming line 1 and the expected schema, and nothing else is read.
 *
 * <p>Registered for {@link java.util.ServiceLoader} (it then counts tokens with GPT-2's tokenizer);
 * thread-safe: each call keeps its state on its own stack.
 */
public final class DatasetValidation implements DatasetValidator {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetValidation.class);
    private static final ObjectReader READER = Json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** How many row messages are listed before the rest are only counted. */
    static final int MAX_LISTED = 20;
    static final int SAMPLES = 3;
    /**
     * Records a check keeps for the auto-split's samples: the split's first {@link #SAMPLES} examples of
     * either side always lie among the first 21 ({@code splitMask} puts one in at most every 7 on the
     * eval side); {@code DatasetCheckTest} walks every size to hold this.
     */
    static final int SPLIT_HEAD = 24;
    /** The service's upload limit: 1.5 GiB per file. */
    static final long MAX_FILE_BYTES = 3L << 29;

    private final Supplier<Tokenizer> tokenizer;
    private volatile Tokenizer resolved;

    /** For {@link java.util.ServiceLoader}: GPT-2's tokenizer, loaded on first use. */
    public DatasetValidation() {
        this(Tokenizers::gpt2);
    }

    public DatasetValidation(Tokenizer tokenizer) {
        this(() -> tokenizer);
        Objects.requireNonNull(tokenizer, "tokenizer");
    }

    public DatasetValidation(Supplier<Tokenizer> tokenizer) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    private Tokenizer tokenizer() {
        Tokenizer t = resolved;
        if (t == null) {
            t = tokenizer.get();
            resolved = t;
        }
        return t;
    }

    /** Defers to the real tokenizer, resolving it on first use. */
    private final class LazyTokenizer implements Tokenizer {
        @Override
        public int[] encode(String text) {
            return tokenizer().encode(text);
        }

        @Override
        public int countTokens(String text) {
            return tokenizer().countTokens(text);
        }

        @Override
        public String decode(int[] ids) {
            return tokenizer().decode(ids);
        }

        @Override
        public int vocabSize() {
            return tokenizer().vocabSize();
        }
    }

    @Override
    public ValidationOutcome validate(ValidationJob job) {
        return run(job).outcome();
    }

    /** Validates and, when the data is valid, writes the parts; the report adds the review numbers. */
    public ValidationReport run(ValidationJob job) {
        return run(job, true);
    }

    /**
     * Where a check's job points its output: never read, since a check writes nothing (and on POSIX
     * nothing could be created under {@code /dev/null}, so a mistake would fail loudly).
     */
    private static final Path NO_OUTPUT = Path.of("/dev/null/finetune-check-writes-nothing");

    /**
     * Validates without writing a byte anywhere: the same outcome and review numbers as {@link #run}
     * (part sizes and samples included), for {@link DatasetCheck}.
     */
    ValidationReport check(DatasetType type, Path train, Optional<Path> eval, boolean skipMalformedInput, char csvDelimiter,
            RecordFilter filter) {
        return run(new ValidationJob(type, train, eval, skipMalformedInput, csvDelimiter, NO_OUTPUT, filter), false);
    }

    /** With {@code store} false nothing is written and {@code job.outputDir()} is never read. */
    private ValidationReport run(ValidationJob job, boolean store) {
        if (!job.type().isKnown()) {
            return failed(Messages.unknownType(job.type().toString()), List.of());
        }
        // Loaded at the first token count, so a file that fails on its first line never waits for the tokenizer.
        Rules rules = Rules.of(job.type(), new LazyTokenizer()).orElseThrow();
        Path out = store ? job.outputDir() : null;
        // null when nothing is stored: the scan then keeps what the split needs in memory instead
        Path trainTmp = store ? out.resolve(".train-all.tmp-" + Long.toHexString(System.nanoTime())) : null;
        Path evalTmp = store ? out.resolve(".eval-all.tmp-" + Long.toHexString(System.nanoTime())) : null;
        try {
            for (Path f : job.evalFile().isPresent() ? List.of(job.trainFile(), job.evalFile().get()) : List.of(job.trainFile())) {
                if (Files.size(f) > MAX_FILE_BYTES) {
                    return failed(Messages.fileTooLarge(f.getFileName().toString(), Files.size(f), MAX_FILE_BYTES), List.of());
                }
            }
            if (store) {
                Files.createDirectories(out);
            }
            KeySet trainKeys = new KeySet();
            Scan train = scan(rules, job, false, job.trainFile(), trainTmp, trainKeys, null);
            if (train.fatal != null) {
                return failed(train.fatal, List.of());
            }
            Scan eval = null;
            if (job.evalFile().isPresent()) {
                eval = scan(rules, job, true, job.evalFile().get(), evalTmp, new KeySet(), trainKeys);
                if (eval.fatal != null) {
                    return failed("invalid eval file: " + eval.fatal, List.of());
                }
            }
            return conclude(rules, job, train, eval, trainTmp, evalTmp);
        } catch (IOException e) {
            throw new WorkspaceException("validation could not read or write its files: " + e.getMessage(), e);
        } finally {
            deleteQuietly(trainTmp);
            deleteQuietly(evalTmp);
        }
    }

    /** One uploaded file after its single pass. */
    private static final class Scan {
        final PartStats stats;
        String fatal;
        final List<String> rowErrors = new ArrayList<>();
        long moreRowErrors;
        final List<String> skipped = new ArrayList<>();
        long moreSkipped;
        final List<String> filterDrops = new ArrayList<>();
        String filterFail;
        long leaked;
        long bytes;
        final List<String> samples = new ArrayList<>();
        /** Only when nothing is stored: each kept record's stored size, and the first ones, for the auto-split. */
        final PartStats.IntList lengths = new PartStats.IntList();
        final List<String> head = new ArrayList<>();

        Scan(boolean eval) {
            stats = new PartStats(eval);
        }
    }

    private Scan scan(Rules rules, ValidationJob job, boolean eval, Path file, Path tmpOut, KeySet keys, KeySet trainKeys)
            throws IOException {
        Scan scan = new Scan(eval);
        PartStats st = scan.stats;
        RecordFilter filter = job.recordFilter();
        boolean store = tmpOut != null;
        try (InputStream in = Files.newInputStream(file);
                OutputStream out = store ? new java.io.BufferedOutputStream(Files.newOutputStream(tmpOut), 1 << 16)
                        : OutputStream.nullOutputStream()) {
            LineReader r = new LineReader(in);
            Boolean csv = null;
            List<String> header = null;
            CsvRecordParser parser = new CsvRecordParser(job.csvDelimiter());
            long recordStart = 0;
            while (r.next()) {
                long line = r.lineNumber();
                if (csv == null) {
                    if (r.isBlank()) {
                        continue;
                    }
                    int first = r.firstNonSpaceByte();
                    if (first == '{' && !r.tooLong()) {
                        csv = false;
                    } else if (rules.csvFields().isEmpty() || r.tooLong()) {
                        scan.fatal = r.tooLong() ? Messages.lineTooLong(line, LineReader.MAX_LINE_BYTES)
                                : Messages.notJsonl(line, rules.type().toString(), rules.schema());
                        return scan;
                    } else {
                        String text = r.text();
                        List<String> fields = null;
                        if (text != null && parser.feed(text)) {
                            fields = parser.take();
                        }
                        header = new ArrayList<>();
                        if (fields != null) {
                            for (String f : fields) {
                                header.add(f.trim().toLowerCase(Locale.ROOT));
                            }
                        }
                        if (fields == null || !header.containsAll(rules.csvFields())) {
                            scan.fatal = Messages.csvHeader(rules.csvFields());
                            return scan;
                        }
                        csv = true;
                        continue;
                    }
                }
                if (r.tooLong()) {
                    st.received++;
                    parser.reset();
                    row(scan, job, Messages.lineTooLong(line, LineReader.MAX_LINE_BYTES));
                    continue;
                }
                if (!csv) {
                    if (r.isBlank()) {
                        continue;
                    }
                    st.received++;
                    String text = r.text();
                    if (text == null) {
                        badEncoding(st, line);
                        continue;
                    }
                    JsonNode node;
                    try {
                        node = READER.readTree(text);
                    } catch (JsonProcessingException e) {
                        row(scan, job, Messages.invalidJson(line, detail(e)));
                        continue;
                    }
                    if (node == null || node.isMissingNode()) {
                        st.received--;
                        continue;
                    }
                    accept(rules, job, scan, node, line, out, store, keys, trainKeys, filter);
                } else {
                    String text = r.text();
                    if (text == null) {
                        st.received++;
                        parser.reset();
                        badEncoding(st, parser.open() ? recordStart : line);
                        continue;
                    }
                    if (!parser.open()) {
                        if (text.isBlank()) {
                            continue;
                        }
                        recordStart = line;
                    }
                    if ((long) parser.pendingChars() + text.length() > LineReader.MAX_LINE_BYTES) {
                        st.received++;
                        parser.reset();
                        row(scan, job, Messages.lineTooLong(recordStart, LineReader.MAX_LINE_BYTES));
                        continue;
                    }
                    if (!parser.feed(text)) {
                        continue;
                    }
                    List<String> fields = parser.take();
                    st.received++;
                    if (fields.size() != header.size()) {
                        row(scan, job, Messages.csvFieldCount(fields.size(), header.size(), recordStart));
                        continue;
                    }
                    ObjectNode node = Json.object();
                    for (int i = 0; i < header.size(); i++) {
                        node.put(header.get(i), fields.get(i));
                    }
                    accept(rules, job, scan, node, recordStart, out, store, keys, trainKeys, filter);
                }
            }
            if (Boolean.TRUE.equals(csv) && parser.open()) {
                st.received++;
                row(scan, job, Messages.unterminatedQuote(recordStart));
            }
        }
        return scan;
    }

    private static void badEncoding(PartStats st, long line) {
        st.badEncoding++;
        if (st.badEncodingLines.size() < MAX_LISTED + 1) {
            st.badEncodingLines.add(line);
        }
    }

    private static void row(Scan scan, ValidationJob job, String message) {
        if (job.skipMalformedInput()) {
            if (scan.skipped.size() < MAX_LISTED) {
                scan.skipped.add(message);
            } else {
                scan.moreSkipped++;
            }
        } else if (scan.rowErrors.size() < MAX_LISTED) {
            scan.rowErrors.add(message);
        } else {
            scan.moreRowErrors++;
        }
    }

    private static void accept(Rules rules, ValidationJob job, Scan scan, JsonNode node, long line, OutputStream out,
            boolean store, KeySet keys, KeySet trainKeys, RecordFilter filter) throws IOException {
        PartStats st = scan.stats;
        Rules.Example ex;
        try {
            ex = rules.check(node, line, st);
        } catch (RowError e) {
            if (e.located() != null && !job.skipMalformedInput()) {
                // the documented text exactly (it becomes validation_error when it is the first), then where
                row(scan, job, e.getMessage());
                row(scan, job, e.located());
            } else {
                row(scan, job, e.located() != null ? e.located() : e.getMessage());
            }
            return;
        }
        if (ex == null) {
            return;
        }
        byte[] bytes = Json.writer().writeValueAsBytes(ex.node());
        Hashes.Key key = Hashes.key(bytes);
        if (!keys.add(key)) {
            st.duplicates++;
            return;
        }
        if (trainKeys != null && trainKeys.contains(key)) {
            scan.leaked++;
        }
        RecordFilter.Decision d = filter.apply(st.name(), line, ex.node());
        switch (d.kind()) {
            case DROP:
                if (scan.filterDrops.size() < MAX_LISTED) {
                    scan.filterDrops.add(Messages.filterDropped(st.name(), line, String.valueOf(d.message())));
                }
                return;
            case FAIL:
                if (scan.filterFail == null) {
                    scan.filterFail = d.message();
                }
                return;
            default:
                if (d.record() != ex.node()) {
                    bytes = Json.writer().writeValueAsBytes(d.record());
                }
        }
        if (scan.fatal == null && scan.rowErrors.isEmpty() && scan.filterFail == null) {
            out.write(bytes);
            out.write('\n');
        }
        scan.bytes += bytes.length + 1L;
        if (scan.samples.size() < SAMPLES) {
            scan.samples.add(new String(bytes, StandardCharsets.UTF_8));
        }
        if (!store) {
            scan.lengths.add(bytes.length + 1);
            if (scan.head.size() < SPLIT_HEAD) {
                scan.head.add(new String(bytes, StandardCharsets.UTF_8));
            }
        }
        ex.onKeep().accept(st);
        st.addExample(ex.tokens(), ex.turns(), ex.extra());
    }

    private ValidationReport conclude(Rules rules, ValidationJob job, Scan train, Scan eval, Path trainTmp, Path evalTmp)
            throws IOException {
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        PartStats t = train.stats;
        collect(train, "", errors, warnings);
        if (eval != null) {
            collect(eval, "invalid eval file: ", errors, warnings);
        }
        Optional<String> filterFailure = job.recordFilter().failure();
        if (filterFailure.isPresent()) {
            errors.remove(train.filterFail);
            if (eval != null) {
                errors.remove(eval.filterFail);
            }
            errors.add(0, filterFailure.get());
        }
        warnings.addAll(job.recordFilter().warnings());
        boolean chat = rules instanceof ChatRules;
        if (!t.preamblesTooLong.isEmpty()) {
            errors.add(Messages.preamblesTooLong(false, t.preamblesTooLong, ChatRules.MAX_PREAMBLE_TOKENS));
        }
        if (eval != null && !eval.stats.preamblesTooLong.isEmpty()) {
            errors.add(Messages.preamblesTooLong(true, eval.stats.preamblesTooLong, ChatRules.MAX_PREAMBLE_TOKENS));
        }
        boolean autoSplit = eval == null || eval.stats.valid == 0;
        int min = Math.max(rules.minTrainExamples(), autoSplit ? 2 : 1);
        if (t.valid < min) {
            String requirement = chat && autoSplit ? Messages.REQUIRE_2_NO_EVAL : Messages.requireAtLeast(min);
            errors.add(Messages.notEnoughValid(t.valid, t.received, t.badEncoding, t.duplicates, t.tooManyTokens, requirement));
        }
        rules.finish(t, errors, warnings);
        if (eval != null && eval.leaked > 0) {
            warnings.add(Messages.leakage(eval.leaked));
        }
        if (autoSplit) {
            warnings.add(Messages.AUTO_SPLIT);
        }
        if (!errors.isEmpty()) {
            List<String> rest = new ArrayList<>(errors.subList(1, errors.size()));
            rest.addAll(warnings);
            return new ValidationReport(new ValidationOutcome(ValidationStatus.FAILED, Optional.of(errors.get(0)), rest,
                    List.of(), Optional.empty(), job.recordFilter().summary()), List.of());
        }

        boolean store = trainTmp != null;
        PartSummary trainSummary;
        PartSummary evalSummary;
        if (!autoSplit) {
            if (store) {
                AtomicWrite.move(evalTmp, job.outputDir().resolve(ValidationJob.EVAL_PART));
                AtomicWrite.move(trainTmp, job.outputDir().resolve(ValidationJob.TRAIN_PART));
            }
            trainSummary = summarize("train", t, null, false, train.bytes, train.samples);
            evalSummary = summarize("eval", eval.stats, null, false, eval.bytes, eval.samples);
        } else {
            int n = (int) t.valid;
            boolean[] isEval = splitMask(n);
            long[] bytes = new long[2];
            List<String> trainSamples = new ArrayList<>();
            List<String> evalSamples = new ArrayList<>();
            if (!store) {
                // what the stored split below would write, from the sizes and first records kept by the scan
                for (int i = 0; i < n; i++) {
                    int side = isEval[i] ? 1 : 0;
                    bytes[side] += train.lengths.get(i);
                    List<String> s = side == 1 ? evalSamples : trainSamples;
                    if (s.size() < SAMPLES && i < train.head.size()) {
                        s.add(train.head.get(i));
                    }
                }
            } else {
                Path trainOut = job.outputDir().resolve(ValidationJob.TRAIN_PART);
                Path evalOut = job.outputDir().resolve(ValidationJob.EVAL_PART);
                AtomicWrite.write(evalOut, eo -> AtomicWrite.write(trainOut, to -> {
                    try (BufferedReader in = Files.newBufferedReader(trainTmp, StandardCharsets.UTF_8)) {
                        String l;
                        int i = 0;
                        while ((l = in.readLine()) != null) {
                            byte[] b = (l + "\n").getBytes(StandardCharsets.UTF_8);
                            int side = isEval[i++] ? 1 : 0;
                            (side == 1 ? eo : to).write(b);
                            bytes[side] += b.length;
                            List<String> s = side == 1 ? evalSamples : trainSamples;
                            if (s.size() < SAMPLES) {
                                s.add(l);
                            }
                        }
                    }
                }));
            }
            trainSummary = summarize("train", t, isEval, false, bytes[0], trainSamples);
            evalSummary = summarize("eval", t, isEval, true, bytes[1], evalSamples);
        }
        FinetuneDatasetMetrics metrics = metrics(rules, t, eval, autoSplit, trainSummary, evalSummary);
        List<DatasetPart> parts = List.of(
                DatasetPart.of("train", trainSummary.examples(), trainSummary.sizeBytes(), trainSummary.samples()),
                DatasetPart.of("eval", evalSummary.examples(), evalSummary.sizeBytes(), evalSummary.samples()));
        ValidationOutcome outcome = new ValidationOutcome(ValidationStatus.VALIDATED, Optional.empty(), warnings, parts,
                Optional.of(DatasetMetrics.of(metrics)), job.recordFilter().summary());
        LOG.debug("validated {}: {} train, {} eval examples", job.trainFile(), trainSummary.examples(), evalSummary.examples());
        return new ValidationReport(outcome, List.of(trainSummary, evalSummary));
    }

    private static void collect(Scan s, String prefix, List<String> errors, List<String> warnings) {
        PartStats st = s.stats;
        for (String e : s.rowErrors) {
            errors.add(prefix + e);
        }
        if (s.moreRowErrors > 0) {
            errors.add(Messages.moreErrors(s.moreRowErrors));
        }
        if (s.filterFail != null) {
            errors.add(s.filterFail);
        }
        String wp = prefix.isEmpty() ? "" : "eval file: ";
        for (String k : s.skipped) {
            warnings.add(Messages.skipped(wp + k));
        }
        if (s.moreSkipped > 0) {
            warnings.add(Messages.skippedMore(s.moreSkipped));
        }
        if (st.badEncoding > 0) {
            warnings.add(Messages.incorrectlyEncoded(st.eval, st.badEncoding, st.badEncodingLines));
        }
        if (st.duplicates > 0) {
            warnings.add(Messages.duplicates(st.eval, st.duplicates));
        }
        if (!st.tooManyTokenPairs.isEmpty()) {
            List<String> pairs = st.tooManyTokenPairs;
            warnings.add(Messages.tooManyTokens(st.eval, String.join(", ", pairs.subList(0, Math.min(pairs.size(), 50)))
                    + (st.tooLongConversations > 50 ? ", ..." : "")));
        }
        if (st.hardNegativesRemoved > 0) {
            warnings.add(Messages.hardNegativesRemoved(st.eval, st.hardNegativesRemoved));
        }
        if (st.pairsOverLimit > 0) {
            warnings.add((st.eval ? "eval: " : "") + Messages.pairsTruncated(st.pairsOverLimit, RerankerRules.MAX_PAIR_TOKENS));
        }
        warnings.addAll(s.filterDrops);
    }

    /**
     * The deterministic 80/20 split: {@code k = max(1, round(n/5))} eval examples spread evenly, example
     * {@code i} going to eval when {@code floor((i+1)k/n) > floor(ik/n)}. With 2 examples: one each side.
     */
    static boolean[] splitMask(int n) {
        boolean[] m = new boolean[n];
        if (n < 2) {
            return m;
        }
        long k = Math.max(1, Math.round(n * 0.2));
        for (int i = 0; i < n; i++) {
            m[i] = (i + 1L) * k / n > (long) i * k / n;
        }
        return m;
    }

    /** Review numbers of the examples of {@code st} on side {@code evalSide} of {@code mask} (all of them when mask is null). */
    private static PartSummary summarize(String name, PartStats st, boolean[] mask, boolean evalSide, long bytes,
            List<String> samples) {
        int n = st.tokens.size();
        int[] tok = new int[n];
        int m = 0;
        long turns = 0;
        long tokens = 0;
        for (int i = 0; i < n; i++) {
            if (mask == null || mask[i] == evalSide) {
                tok[m++] = st.tokens.get(i);
                turns += st.turns.get(i);
                tokens += st.tokens.get(i);
            }
        }
        int[] sorted = Arrays.copyOf(tok, m);
        Arrays.sort(sorted);
        return new PartSummary(name, m, turns, m == 0 ? 0 : (double) turns / m, tokens, pct(sorted, 50), pct(sorted, 90),
                pct(sorted, 99), m == 0 ? 0 : sorted[m - 1], bytes, samples);
    }

    /** Nearest-rank percentile of sorted values; 0 when empty. */
    static int pct(int[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static FinetuneDatasetMetrics metrics(Rules rules, PartStats t, Scan eval, boolean split, PartSummary tr,
            PartSummary ev) {
        Optional<FinetuneDatasetMetrics.ChatDataMetrics> chat = Optional.empty();
        Optional<FinetuneDatasetMetrics.RerankerDataMetrics> rerank = Optional.empty();
        Optional<FinetuneDatasetMetrics.ClassifyDataMetrics> classify = Optional.empty();
        if (rules instanceof ChatRules) {
            Optional<String> preamble = t.preamble.isPresent() ? t.preamble
                    : eval == null ? Optional.empty() : eval.stats.preamble;
            chat = Optional.of(new FinetuneDatasetMetrics.ChatDataMetrics(tr.turns(), ev.turns(), preamble));
        } else if (rules instanceof RerankerRules) {
            // turns holds relevant passages per example, extra the hard negatives
            long[] trainNeg = {0};
            long[] evalNeg = {0};
            boolean[] mask = split ? splitMask(t.extra.size()) : null;
            for (int i = 0; i < t.extra.size(); i++) {
                (mask != null && mask[i] ? evalNeg : trainNeg)[0] += t.extra.get(i);
            }
            if (!split) {
                for (int i = 0; i < eval.stats.extra.size(); i++) {
                    evalNeg[0] += eval.stats.extra.get(i);
                }
            }
            rerank = Optional.of(new FinetuneDatasetMetrics.RerankerDataMetrics(tr.examples(), tr.turns(), trainNeg[0],
                    ev.examples(), ev.turns(), evalNeg[0]));
        } else if (rules instanceof ClassificationRules) {
            Map<String, long[]> counts = new LinkedHashMap<>();
            Map<String, List<String>> samples = new LinkedHashMap<>();
            List<PartStats> all = eval == null ? List.of(t) : List.of(t, eval.stats);
            for (PartStats p : all) {
                p.labelCounts.forEach((k, v) -> counts.computeIfAbsent(k, x -> new long[1])[0] += v[0]);
                p.labelSamples.forEach((k, v) -> {
                    List<String> s = samples.computeIfAbsent(k, x -> new ArrayList<>());
                    for (String x : v) {
                        if (s.size() < SAMPLES) {
                            s.add(x);
                        }
                    }
                });
            }
            List<FinetuneDatasetMetrics.LabelMetric> labels = new ArrayList<>();
            counts.forEach((k, v) -> labels.add(new FinetuneDatasetMetrics.LabelMetric(v[0], k, samples.get(k))));
            classify = Optional.of(new FinetuneDatasetMetrics.ClassifyDataMetrics(labels));
        }
        return new FinetuneDatasetMetrics(tr.tokens(), tr.examples() + ev.examples(), tr.examples(), tr.sizeBytes(),
                ev.examples(), ev.sizeBytes(), chat, rerank, classify);
    }

    private static ValidationReport failed(String error, List<String> rest) {
        return new ValidationReport(new ValidationOutcome(ValidationStatus.FAILED, Optional.of(error), rest, List.of(),
                Optional.empty(), Optional.empty()), List.of());
    }

    /** Jackson's own text without the source excerpt, one line, at most 200 characters. */
    private static String detail(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) {
            m = e.getClass().getSimpleName();
        }
        m = m.replaceAll("\\s+", " ").trim();
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("cannot delete temporary {}", p, e);
        }
    }
}
