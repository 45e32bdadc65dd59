package dev.finetune.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class SafetensorsProperties {

    private static Path tempFile() {
        try {
            Path d = Files.createTempDirectory("st");
            d.toFile().deleteOnExit();
            return d.resolve("x.safetensors");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Provide
    Arbitrary<float[]> floatArrays() {
        return Arbitraries.floats().between(-1e6f, 1e6f).array(float[].class).ofMaxSize(300);
    }

    @Provide
    Arbitrary<List<float[]>> tensorLists() {
        return floatArrays().list().ofMaxSize(6);
    }

    @Property(tries = 60)
    void f32TensorsRoundTripExactly(@ForAll("tensorLists") List<float[]> tensors,
                                    @ForAll("floatArrays") float[] odd) throws Exception {
        Path f = tempFile();
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < tensors.size(); i++) {
            w.addFloats("t" + i, DType.F32, new long[] {tensors.get(i).length}, tensors.get(i), 0);
        }
        w.addInts("ids", DType.I32, new long[] {odd.length}, toInts(odd), 0);
        w.write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(Map.of("format", "pt"), r.metadata());
            assertEquals(0, (Files.size(f) - r.tensors().stream().mapToLong(TensorInfo::byteLength).sum()) % 8,
                    "header padded to 8 bytes");
            for (int i = 0; i < tensors.size(); i++) {
                assertArrayEquals(tensors.get(i), r.readFloats("t" + i));
            }
            assertArrayEquals(toInts(odd), r.readInts("ids"));
        }
        Files.delete(f);
    }

    private static int[] toInts(float[] f) {
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = (int) f[i];
        }
        return out;
    }

    @Property(tries = 30)
    void halfPrecisionTensorsRoundTripWithinTheirPrecision(@ForAll("floatArrays") float[] values) throws Exception {
        Path f = tempFile();
        new SafetensorsWriter()
                .addFloats("h", DType.F16, new long[] {values.length}, values, 0)
                .addFloats("b", DType.BF16, new long[] {values.length}, values, 0)
                .write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            float[] h = r.readFloats("h");
            float[] b = r.readFloats("b");
            for (int i = 0; i < values.length; i++) {
                float v = values[i];
                if (Math.abs(v) < 65504) {
                    // F16 has 11 significant bits; subnormals below 2^-14 are spaced 2^-24
                    assertTrue(Math.abs(h[i] - v) <= Math.max(Math.abs(v) * 0x1p-11f, 0x1p-25f), v + " -> " + h[i]);
                }
                assertTrue(Math.abs(b[i] - v) <= Math.abs(v) * 0x1p-8f, v + " -> " + b[i]);
            }
        }
        Files.delete(f);
    }

    @Property(tries = 2000)
    void floatToF16PicksTheNearestWithTiesToEven(@ForAll float x) {
        if (Float.isNaN(x) || Math.abs(x) >= 65504) {
            return;
        }
        int h = HalfFloats.floatToF16(x);
        double got = HalfFloats.f16ToFloat(h);
        double err = Math.abs(got - x);
        for (int n : new int[] {h - 1, h + 1}) {
            if ((n & 0x7c00) == 0x7c00 || ((n ^ h) & 0x8000) != 0) {
                continue;
            }
            double other = Math.abs(HalfFloats.f16ToFloat(n) - x);
            assertTrue(err < other || err == other && (h & 1) == 0, x + " -> " + Integer.toHexString(h));
        }
    }

    @Property(tries = 2000)
    void floatToBf16PicksTheNearestWithTiesToEven(@ForAll float x) {
        if (Float.isNaN(x) || Float.isInfinite(x) || Math.abs(x) > 3.38e38f) {
            return;
        }
        int b = HalfFloats.floatToBf16(x);
        double err = Math.abs((double) HalfFloats.bf16ToFloat(b) - x);
        for (int n : new int[] {b - 1, b + 1}) {
            if ((n & 0x7f80) == 0x7f80 || ((n ^ b) & 0x8000) != 0) {
                continue;
            }
            double other = Math.abs((double) HalfFloats.bf16ToFloat(n) - x);
            assertTrue(err < other || err == other && (b & 1) == 0, x + " -> " + Integer.toHexString(b));
        }
    }

    @Property(tries = 1)
    void everyFiniteF16PatternRoundTrips() {
        for (int bits = 0; bits < 0x10000; bits++) {
            if ((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0) {
                continue; // NaN payloads may change
            }
            assertEquals(bits, HalfFloats.floatToF16(HalfFloats.f16ToFloat(bits)), Integer.toHexString(bits));
            assertEquals(bits, HalfFloats.floatToBf16(HalfFloats.bf16ToFloat(bits)), Integer.toHexString(bits));
        }
    }
}
