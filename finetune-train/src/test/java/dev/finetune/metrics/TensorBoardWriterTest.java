package dev.finetune.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardWriterTest {
    @Test
    void recordsAreFramedWithValidMaskedCrcsAndHoldTheScalars(@TempDir Path dir) throws Exception {
        Path f;
        try (TensorBoardWriter w = new TensorBoardWriter(dir, "host")) {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("train_loss", 2.5);
            m.put("learning_rate", 0.001);
            w.scalars(7, m);
            f = w.file();
        }
        assertTrue(f.getFileName().toString().startsWith("events.out.tfevents."));
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> records = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] len = new byte[8];
            b.get(len);
            int lenCrc = b.getInt();
            assertEquals(TensorBoardWriter.maskedCrc(len, 0, 8), lenCrc);
            int n = (int) ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] data = new byte[n];
            b.get(data);
            assertEquals(TensorBoardWriter.maskedCrc(data, 0, n), b.getInt());
            records.add(data);
        }
        assertEquals(2, records.size());
        assertTrue(new String(records.get(0), StandardCharsets.ISO_8859_1).contains("brain.Event:2"));
        String second = new String(records.get(1), StandardCharsets.ISO_8859_1);
        assertTrue(second.contains("train_loss") && second.contains("learning_rate"));
        // step 7 as field 2 varint, right after the 9-byte wall_time
        assertEquals(0x10, records.get(1)[9]);
        assertEquals(7, records.get(1)[10]);
        // 2.5f follows the tag's 0x15 marker
        int at = second.indexOf("train_loss") + "train_loss".length();
        assertEquals(0x15, records.get(1)[at]);
        assertEquals(2.5f, ByteBuffer.wrap(records.get(1), at + 1, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
    }

    @Test
    void maskedCrcMatchesAKnownValue() {
        // CRC-32C("123456789") = 0xE3069283 (the standard check value), masked as TFRecord does
        byte[] s = "123456789".getBytes(StandardCharsets.US_ASCII);
        int c = 0xE3069283;
        assertEquals(((c >>> 15) | (c << 17)) + 0xa282ead8, TensorBoardWriter.maskedCrc(s, 0, s.length));
    }
}
