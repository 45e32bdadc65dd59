package dev.finetune.metrics;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Scalars in TensorBoard's event-file format, with no dependency: TFRecord framing (little-endian
 * uint64 length, masked CRC-32C of the length, the record, masked CRC-32C of the record) around
 * hand-encoded {@code tensorflow.Event} protos ({@code wall_time} = 1, {@code step} = 2,
 * {@code file_version} = 3, {@code summary} = 5 with {@code value {tag = 1, simple_value = 2}}).
 * Each record is appended and flushed to the file system, so a crash loses at most the record in
 * flight and TensorBoard skips a torn tail. Not thread-safe.
 */
public final class TensorBoardWriter implements Closeable {
    private final FileChannel ch;
    private final Path file;

    /** Opens a new {@code events.out.tfevents.<seconds>.<host>} file in {@code dir}. */
    public TensorBoardWriter(Path dir, String host) throws IOException {
        Files.createDirectories(dir);
        this.file = dir.resolve("events.out.tfevents." + (System.currentTimeMillis() / 1000) + "." + host);
        this.ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        wallTime(e);
        bytesField(e, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        record(e.toByteArray());
    }

    public Path file() {
        return file;
    }

    /** One event at {@code step} with a scalar per metric. */
    public void scalars(long step, Map<String, Double> metrics) throws IOException {
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        for (Map.Entry<String, Double> m : metrics.entrySet()) {
            ByteArrayOutputStream value = new ByteArrayOutputStream();
            bytesField(value, 1, m.getKey().getBytes(StandardCharsets.UTF_8));
            value.write(0x15); // field 2, 32-bit
            int bits = Float.floatToIntBits(m.getValue().floatValue());
            for (int i = 0; i < 4; i++) {
                value.write(bits >>> (8 * i));
            }
            bytesField(summary, 1, value.toByteArray());
        }
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        wallTime(e);
        e.write(0x10); // field 2, varint
        varint(e, step);
        bytesField(e, 5, summary.toByteArray());
        record(e.toByteArray());
    }

    private static void wallTime(ByteArrayOutputStream e) {
        e.write(0x09); // field 1, 64-bit
        long bits = Double.doubleToLongBits(System.currentTimeMillis() / 1000.0);
        for (int i = 0; i < 8; i++) {
            e.write((int) (bits >>> (8 * i)));
        }
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] b) {
        out.write(field << 3 | 2);
        varint(out, b.length);
        out.write(b, 0, b.length);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** TFRecord's masked CRC-32C. */
    static int maskedCrc(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    private void record(byte[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(data.length);
        byte[] len = new byte[8];
        buf.position(0);
        buf.get(len);
        buf.putInt(maskedCrc(len, 0, 8));
        buf.put(data);
        buf.putInt(maskedCrc(data, 0, data.length));
        buf.flip();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        ch.force(false);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
