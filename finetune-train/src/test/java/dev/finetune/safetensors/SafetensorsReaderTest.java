package dev.finetune.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {
    @TempDir
    Path dir;

    /** A file with exactly this header text (no padding added) and data bytes. */
    private Path raw(String header, byte[] data) throws IOException {
        return raw(header, data, header.getBytes(StandardCharsets.UTF_8).length);
    }

    private Path raw(String header, byte[] data, long declaredLength) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(h).put(data);
        Path f = Files.createTempFile(dir, "t", ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private static byte[] floatsLE(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    private static Path reference() throws URISyntaxException {
        return Path.of(SafetensorsReaderTest.class.getResource("/reference/gpt2-tiny/model.safetensors").toURI());
    }

    @Test
    void readsTheReferenceCheckpointHeaderAndTensors() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(reference())) {
            assertEquals("pt", r.metadata().get("format"));
            assertEquals(28, r.tensors().size());
            TensorInfo attn = r.tensor("transformer.h.0.attn.c_attn.weight");
            assertArrayEquals(new long[] {32, 96}, attn.shape());
            assertEquals(DType.F32, attn.dtype());
            float[] wte = r.readFloats("transformer.wte.weight");
            assertEquals(101 * 32, wte.length);
            assertTrue(Arrays.stream(toDoubles(wte)).anyMatch(x -> x != 0), "weights are not all zero");
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void readsDataAtUnalignedOffsets() throws Exception {
        // header of 13 bytes puts the data at file offset 21; the second tensor begins at byte 3 of the data
        String header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[3,11]}}";
        byte[] data = new byte[11];
        data[0] = 1;
        data[1] = 2;
        data[2] = 3;
        System.arraycopy(floatsLE(1.5f, -2.25f), 0, data, 3, 8);
        Path f = raw(header + " ", data);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertArrayEquals(new float[] {1.5f, -2.25f}, r.readFloats("b"));
        }
    }

    @Test
    void readsHalfPrecisionAndWideIntegers() throws Exception {
        ByteBuffer d = ByteBuffer.allocate(4 + 4 + 16).order(ByteOrder.LITTLE_ENDIAN);
        d.putShort((short) 0x3c00).putShort((short) 0xc000); // F16 1.0, -2.0
        d.putShort((short) 0x3f80).putShort((short) 0x4049); // BF16 1.0, 3.140625
        d.putLong(-100).putLong(70000);
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[8,24]}}";
        try (SafetensorsReader r = SafetensorsReader.open(raw(header, d.array()))) {
            assertArrayEquals(new float[] {1f, -2f}, r.readFloats("h"));
            assertArrayEquals(new float[] {1f, 3.140625f}, r.readFloats("bf"));
            assertArrayEquals(new int[] {-100, 70000}, r.readInts("i"));
        }
    }

    @Test
    void rejectsTruncatedFileNamingTheFile() throws Exception {
        byte[] whole = Files.readAllBytes(reference());
        Path f = dir.resolve("cut.safetensors");
        Files.write(f, Arrays.copyOf(whole, whole.length - 100));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void rejectsHeaderLengthLargerThanTheFile() throws Exception {
        Path f = raw("{}", new byte[0], 1000);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(f));
        assertTrue(e.getMessage().contains("header length 1000 exceeds the file size"), e.getMessage());
    }

    @Test
    void rejectsFileShorterThanTheLengthField() throws Exception {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(f));
        assertTrue(e.getMessage().contains("shorter than the 8-byte header length"), e.getMessage());
    }

    @Test
    void rejectsOverlappingOffsetsNamingBothTensors() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        Path f = raw(header, new byte[12]);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(f));
        assertTrue(e.getMessage().contains("tensor \"b\"") && e.getMessage().contains("overlap tensor \"a\""), e.getMessage());
    }

    @Test
    void rejectsGapBetweenTensors() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(raw(header, new byte[12])));
        assertTrue(e.getMessage().contains("gap of 4 bytes after tensor \"a\""), e.getMessage());
    }

    @Test
    void rejectsTrailingBytesAfterTheLastTensor() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(raw(header, new byte[6])));
        assertTrue(e.getMessage().contains("trailing bytes"), e.getMessage());
    }

    @Test
    void rejectsInvalidJson() throws Exception {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",", new byte[0]);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(f));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }

    @Test
    void rejectsDuplicateTensorNames() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(raw(header, new byte[8])));
        assertTrue(e.getMessage().contains("Duplicate field 'a'"), e.getMessage());
    }

    @Test
    void rejectsByteLengthThatDisagreesWithDtypeAndShape() throws Exception {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}";
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(raw(header, new byte[20])));
        assertTrue(e.getMessage().contains("tensor \"w\"") && e.getMessage().contains("needs 24"), e.getMessage());
    }

    @Test
    void rejectsUnknownDtypeAndNegativeShape() throws Exception {
        String h1 = "{\"w\":{\"dtype\":\"F31\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(raw(h1, new byte[4])))
                .getMessage().contains("unknown dtype \"F31\""));
        String h2 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}";
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(raw(h2, new byte[4])))
                .getMessage().contains("shape[0] is -1"));
    }

    @Test
    void refusesToReadIntegersAsFloatsNamingTheTensor() throws Exception {
        String header = "{\"ids\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        try (SafetensorsReader r = SafetensorsReader.open(raw(header, new byte[4]))) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> r.readFloats("ids"));
            assertTrue(e.getMessage().contains("tensor \"ids\": dtype I32 cannot be read as float"), e.getMessage());
            assertTrue(assertThrows(SafetensorsException.class, () -> r.readFloats("nope")).getMessage().contains("no tensor \"nope\""));
        }
    }
}
