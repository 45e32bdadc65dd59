package dev.finetune.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a safetensors file: an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8
 * JSON ({@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}),
 * then the data buffer. {@link #open} checks the whole header before any tensor is read: the header
 * length against the file size, the JSON, each tensor's byte length against dtype × shape, and that the
 * tensors tile the data buffer exactly (no gap, no overlap, the last one ends at the end of the file).
 *
 * <p>Tensors are streamed from the file through one 1 MiB buffer straight into the caller's array, so a
 * 500 MB checkpoint never sits in memory twice; data offsets need no alignment. The reader holds the
 * file open until {@link #close()}; its methods are synchronized, so it may be shared between threads.
 */
public final class SafetensorsReader implements Closeable {
    /** Headers above this size are refused (the reference implementation's limit too). */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final int CHUNK_BYTES = 1 << 20;
    private static final String METADATA_KEY = "__metadata__";
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);

    private SafetensorsReader(Path file, FileChannel channel, long dataStart,
                              Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens {@code file} and checks its header; throws {@link SafetensorsException} naming the file and the rule broken. */
    public static SafetensorsReader open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(file + ": no such file");
        } catch (IOException e) {
            throw new SafetensorsException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw fail(file, "file is " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0, file, "the header length");
            long headerLen = lenBuf.flip().getLong();
            if (headerLen < 0 || headerLen > size - 8) {
                throw fail(file, "header length " + Long.toUnsignedString(headerLen) + " exceeds the file size ("
                        + size + " bytes, of which " + (size - 8) + " follow the length): truncated or not a safetensors file");
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw fail(file, "header length " + headerLen + " is above the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(channel, header, 8, file, "the header");
            String json = new String(header.array(), StandardCharsets.UTF_8);
            long dataStart = 8 + headerLen;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<TensorInfo> list = parseHeader(file, json, metadata);
            checkTiling(file, list, size - dataStart);
            Map<String, TensorInfo> byName = new LinkedHashMap<>();
            for (TensorInfo t : list) {
                byName.put(t.name(), t);
            }
            return new SafetensorsReader(file, channel, dataStart, Collections.unmodifiableMap(byName),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new SafetensorsException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static List<TensorInfo> parseHeader(Path file, String json, Map<String, String> metadata) {
        if (!json.startsWith("{")) {
            throw fail(file, "header is not a JSON object (it starts with "
                    + (json.isEmpty() ? "nothing" : "'" + json.charAt(0) + "'") + ")");
        }
        JsonNode root;
        try {
            root = STRICT.readTree(json);
        } catch (JsonProcessingException e) {
            throw fail(file, "header is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (root == null || !root.isObject()) {
            throw fail(file, "header is not a JSON object");
        }
        List<TensorInfo> list = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode node = e.getValue();
            if (METADATA_KEY.equals(name)) {
                if (!node.isObject()) {
                    throw fail(file, "\"__metadata__\" must be an object of strings");
                }
                for (Iterator<Map.Entry<String, JsonNode>> m = node.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) {
                        throw fail(file, "\"__metadata__\" value for \"" + kv.getKey() + "\" must be a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            list.add(parseTensor(file, name, node));
        }
        return list;
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode node) {
        if (!node.isObject()) {
            throw failTensor(file, name, "entry is not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw failTensor(file, name, "missing string field \"dtype\"");
        }
        DType dtype = DType.fromWire(dtypeNode.asText())
                .orElseThrow(() -> failTensor(file, name, "unknown dtype \"" + dtypeNode.asText() + "\""));
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw failTensor(file, name, "missing array field \"shape\"");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0) {
                throw failTensor(file, name, "shape[" + i + "] is " + d + ", not a non-negative integer");
            }
            shape[i] = d.asLong();
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw failTensor(file, name, "\"data_offsets\" must be an array [begin, end]");
        }
        long[] be = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode d = offsets.get(i);
            if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0) {
                throw failTensor(file, name, "data_offsets[" + i + "] is " + d + ", not a non-negative integer");
            }
            be[i] = d.asLong();
        }
        if (be[1] < be[0]) {
            throw failTensor(file, name, "data_offsets [" + be[0] + ", " + be[1] + "] end before they begin");
        }
        long expected;
        try {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            expected = Math.multiplyExact(n, dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw failTensor(file, name, "shape " + java.util.Arrays.toString(shape) + " is too large");
        }
        if (be[1] - be[0] != expected) {
            throw failTensor(file, name, "data_offsets [" + be[0] + ", " + be[1] + "] hold " + (be[1] - be[0])
                    + " bytes but " + dtype + java.util.Arrays.toString(shape) + " needs " + expected);
        }
        return new TensorInfo(name, dtype, shape, be[0], be[1]);
    }

    /** The tensors, sorted by offset, must cover {@code [0, dataSize)} exactly once. */
    private static void checkTiling(Path file, List<TensorInfo> list, long dataSize) {
        list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        String previous = null;
        for (TensorInfo t : list) {
            if (t.begin() < expected) {
                throw failTensor(file, t.name(), "data_offsets [" + t.begin() + ", " + t.end()
                        + ") overlap tensor \"" + previous + "\" which ends at " + expected);
            }
            if (t.begin() > expected) {
                throw failTensor(file, t.name(), "data_offsets begin at " + t.begin() + " leaving a gap of "
                        + (t.begin() - expected) + " bytes after " + (previous == null ? "the header" : "tensor \"" + previous + "\""));
            }
            expected = t.end();
            previous = t.name();
        }
        if (expected != dataSize) {
            throw fail(file, "the data buffer is " + dataSize + " bytes but the tensors cover " + expected
                    + (expected > dataSize ? ": the file is truncated" : ": trailing bytes after the last tensor"));
        }
    }

    public Path file() {
        return file;
    }

    /** The {@code __metadata__} entries (empty when the header has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Every tensor, sorted by data offset. */
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The tensor called {@code name}; throws naming the file when there is none. */
    public TensorInfo tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw fail(file, "no tensor \"" + name + "\"");
        }
        return t;
    }

    /** A new array holding tensor {@code name} (F32, F16, BF16 or F64) as floats. */
    public float[] readFloats(String name) {
        TensorInfo t = tensor(name);
        float[] out = new float[checkedLength(t)];
        readFloats(name, out, 0);
        return out;
    }

    /** Reads tensor {@code name} (F32, F16, BF16 or F64) as floats into {@code dst[dstOff ..]}. */
    public synchronized void readFloats(String name, float[] dst, int dstOff) {
        readFloats(name, 0, checkedLength(tensor(name)), dst, dstOff);
    }

    /**
     * Reads elements {@code [from, from + count)} of tensor {@code name} (F32, F16, BF16 or F64; in
     * row-major order) as floats into {@code dst[dstOff ..]}: a loader converting a large tensor a few
     * rows at a time holds only those rows as floats.
     */
    public synchronized void readFloats(String name, long from, int count, float[] dst, int dstOff) {
        TensorInfo t = tensor(name);
        checkRange(t, from, count, dst.length, dstOff);
        DType d = t.dtype();
        if (d != DType.F32 && d != DType.F16 && d != DType.BF16 && d != DType.F64) {
            throw failTensor(file, name, "dtype " + d + " cannot be read as float (F32, F16, BF16 or F64)");
        }
        int esize = d.bytes();
        long pos = dataStart + t.begin() + from * esize;
        int done = 0;
        while (done < count) {
            int n = Math.min(count - done, CHUNK_BYTES / esize);
            chunk.clear().limit(n * esize);
            readFully(channel, chunk, pos, file, "tensor \"" + name + "\"");
            chunk.flip();
            switch (d) {
                case F32 -> chunk.asFloatBuffer().get(dst, dstOff + done, n);
                case F16 -> {
                    for (int i = 0; i < n; i++) {
                        dst[dstOff + done + i] = HalfFloats.f16ToFloat(chunk.getShort(2 * i));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < n; i++) {
                        dst[dstOff + done + i] = HalfFloats.bf16ToFloat(chunk.getShort(2 * i));
                    }
                }
                default -> {
                    for (int i = 0; i < n; i++) {
                        dst[dstOff + done + i] = (float) chunk.getDouble(8 * i);
                    }
                }
            }
            done += n;
            pos += (long) n * esize;
        }
    }

    /**
     * Reads the bit patterns of a 16-bit tensor {@code name} (F16 or BF16, or I16/U16) unconverted into
     * {@code dst[dstOff ..]}: the way to keep 2-byte weights at 2 bytes in memory.
     */
    public synchronized void readShorts(String name, short[] dst, int dstOff) {
        TensorInfo t = tensor(name);
        int count = checkedLength(t);
        checkRange(t, 0, count, dst.length, dstOff);
        DType d = t.dtype();
        if (d.bytes() != 2) {
            throw failTensor(file, name, "dtype " + d + " is not a 16-bit type (F16, BF16, I16, U16)");
        }
        long pos = dataStart + t.begin();
        int done = 0;
        while (done < count) {
            int n = Math.min(count - done, CHUNK_BYTES / 2);
            chunk.clear().limit(n * 2);
            readFully(channel, chunk, pos, file, "tensor \"" + name + "\"");
            chunk.flip();
            chunk.asShortBuffer().get(dst, dstOff + done, n);
            done += n;
            pos += 2L * n;
        }
    }

    private void checkRange(TensorInfo t, long from, int count, int dstLength, int dstOff) {
        if (from < 0 || count < 0 || from + count > t.numel()) {
            throw new IndexOutOfBoundsException("tensor " + t.name() + " has " + t.numel() + " elements, asked for "
                    + count + " from " + from);
        }
        if (dstOff < 0 || dstOff + count > dstLength) {
            throw new IndexOutOfBoundsException("tensor " + t.name() + ": " + count + " elements do not fit the destination ("
                    + (dstLength - Math.max(0, dstOff)) + " free from " + dstOff + ")");
        }
    }

    /** A new array holding tensor {@code name} (I32, or I64 within the int range) as ints. */
    public synchronized int[] readInts(String name) {
        TensorInfo t = tensor(name);
        int n = checkedLength(t);
        DType d = t.dtype();
        if (d != DType.I32 && d != DType.I64) {
            throw failTensor(file, name, "dtype " + d + " cannot be read as int (I32 or I64)");
        }
        int[] out = new int[n];
        int esize = d.bytes();
        long pos = dataStart + t.begin();
        int done = 0;
        while (done < n) {
            int count = Math.min(n - done, CHUNK_BYTES / esize);
            chunk.clear().limit(count * esize);
            readFully(channel, chunk, pos, file, "tensor \"" + name + "\"");
            chunk.flip();
            if (d == DType.I32) {
                chunk.asIntBuffer().get(out, done, count);
            } else {
                for (int i = 0; i < count; i++) {
                    long v = chunk.getLong(8 * i);
                    if (v != (int) v) {
                        throw failTensor(file, name, "element " + (done + i) + " = " + v + " does not fit in an int");
                    }
                    out[done + i] = (int) v;
                }
            }
            done += count;
            pos += (long) count * esize;
        }
        return out;
    }

    private int checkedLength(TensorInfo t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw failTensor(file, t.name(), "has " + n + " elements, more than a Java array holds");
        }
        return (int) n;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file, String what) {
        long p = pos;
        try {
            while (buf.hasRemaining()) {
                int r = ch.read(buf, p);
                if (r < 0) {
                    throw fail(file, "truncated while reading " + what + " (end of file at byte " + p + ")");
                }
                p += r;
            }
        } catch (IOException e) {
            throw new SafetensorsException(file + ": cannot read " + what + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already failing; the first error is the one to report
        }
    }

    static SafetensorsException fail(Path file, String what) {
        return new SafetensorsException(file + ": " + what);
    }

    static SafetensorsException failTensor(Path file, String tensor, String what) {
        return new SafetensorsException(file + ": tensor \"" + tensor + "\": " + what);
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new SafetensorsException(file + ": cannot close: " + e.getMessage(), e);
        }
    }
}
