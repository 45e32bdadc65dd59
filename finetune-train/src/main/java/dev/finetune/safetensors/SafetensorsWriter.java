package dev.finetune.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects tensors (references to the caller's arrays, not copies) and writes them as one safetensors
 * file: header padded with spaces to a multiple of 8 bytes, {@code __metadata__} {@code {"format":"pt"}}
 * unless replaced, tensors in the order added, written atomically (temporary file, fsync, rename).
 * Floats may be stored as F32, F16 or BF16 (rounded to nearest even); ints as I32 or I64.
 * Not thread-safe; the arrays must not change during {@link #write}.
 */
public final class SafetensorsWriter {
    private static final int CHUNK_BYTES = 1 << 20;

    private record Entry(String name, DType dtype, long[] shape, float[] floats, int[] ints, int offset, int length) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, String> metadata = new LinkedHashMap<>(Map.of("format", "pt"));

    /** Adds {@code data[offset .. offset+numel)} as a floating-point tensor stored as {@code dtype} (F32, F16 or BF16). */
    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, float[] data, int offset) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("tensor " + name + ": floats are written as F32, F16 or BF16, not " + dtype);
        }
        add(new Entry(name, dtype, shape.clone(), data, null, offset, length(name, shape, data.length, offset)));
        return this;
    }

    /** Adds {@code data[offset .. offset+numel)} as an integer tensor stored as {@code dtype} (I32 or I64). */
    public SafetensorsWriter addInts(String name, DType dtype, long[] shape, int[] data, int offset) {
        if (dtype != DType.I32 && dtype != DType.I64) {
            throw new IllegalArgumentException("tensor " + name + ": ints are written as I32 or I64, not " + dtype);
        }
        add(new Entry(name, dtype, shape.clone(), null, data, offset, length(name, shape, data.length, offset)));
        return this;
    }

    /** Replaces the {@code __metadata__} entries (default {@code {"format":"pt"}}). */
    public SafetensorsWriter metadata(Map<String, String> entries) {
        metadata.clear();
        metadata.putAll(entries);
        return this;
    }

    private void add(Entry e) {
        if (e.name.equals("__metadata__") || !names.add(e.name)) {
            throw new IllegalArgumentException("tensor name \"" + e.name + "\" is reserved or already added");
        }
        entries.add(e);
    }

    private static int length(String name, long[] shape, int available, int offset) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor " + name + ": negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (offset < 0 || n > available - offset) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " needs " + n
                    + " elements from offset " + offset + " but the array holds " + available);
        }
        return (int) n;
    }

    /** The header JSON (unpadded) this writer would produce. */
    String headerJson() {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", metadata);
        }
        long offset = 0;
        for (Entry e : entries) {
            long bytes = (long) e.length * e.dtype.bytes();
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("dtype", e.dtype.wireName());
            t.put("shape", e.shape);
            t.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(e.name, t);
            offset += bytes;
        }
        try {
            return new ObjectMapper().writeValueAsString(header);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot serialise a safetensors header", ex);
        }
    }

    /** Writes the file atomically; throws {@link SafetensorsException} naming the file on an I/O error. */
    public void write(Path file) {
        byte[] json = headerJson().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try {
            AtomicFiles.write(file, ch -> {
                writeAll(ch, head);
                ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (Entry e : entries) {
                    writeEntry(ch, chunk, e);
                }
            });
        } catch (IOException e) {
            throw new SafetensorsException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static void writeEntry(FileChannel ch, ByteBuffer chunk, Entry e) throws IOException {
        int esize = e.dtype.bytes();
        int per = CHUNK_BYTES / esize;
        for (int done = 0; done < e.length; done += per) {
            int count = Math.min(per, e.length - done);
            int src = e.offset + done;
            chunk.clear();
            switch (e.dtype) {
                case F32 -> {
                    chunk.asFloatBuffer().put(e.floats, src, count);
                    chunk.position(count * 4);
                }
                case F16 -> {
                    for (int i = 0; i < count; i++) {
                        chunk.putShort((short) HalfFloats.floatToF16(e.floats[src + i]));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < count; i++) {
                        chunk.putShort((short) HalfFloats.floatToBf16(e.floats[src + i]));
                    }
                }
                case I32 -> {
                    chunk.asIntBuffer().put(e.ints, src, count);
                    chunk.position(count * 4);
                }
                default -> {
                    for (int i = 0; i < count; i++) {
                        chunk.putLong(e.ints[src + i]);
                    }
                }
            }
            chunk.flip();
            writeAll(ch, chunk);
        }
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
