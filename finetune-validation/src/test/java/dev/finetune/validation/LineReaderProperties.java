package dev.finetune.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class LineReaderProperties {
    private static List<String> readAll(byte[] bytes, int max) throws Exception {
        LineReader r = new LineReader(new ByteArrayInputStream(bytes), max);
        List<String> out = new ArrayList<>();
        while (r.next()) {
            out.add(r.tooLong() ? "<too long>" : r.text());
        }
        return out;
    }

    @Property(tries = 200)
    void linesRoundTrip(@ForAll @Size(max = 30) List<@StringLength(max = 300) @CharRange(from = ' ', to = '\uD7FF') String> lines,
            @ForAll boolean crlf) throws Exception {
        StringBuilder text = new StringBuilder();
        for (String l : lines) {
            text.append(l).append(crlf ? "\r\n" : "\n");
        }
        assertEquals(lines, readAll(text.toString().getBytes(StandardCharsets.UTF_8), 1 << 20));
    }

    @Test
    void aLongLineIsReportedAndSkippedToItsEnd() throws Exception {
        byte[] b = ("ok\n" + "x".repeat(100) + "\nafter\n").getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("ok", "<too long>", "after"), readAll(b, 50));
    }

    @Test
    void stripsAByteOrderMarkOnlyAtTheStart() throws Exception {
        byte[] b = "\uFEFFa\n\uFEFFb\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("a", "\uFEFFb"), readAll(b, 100));
    }

    @Test
    void decodesStrictly() throws Exception {
        LineReader r = new LineReader(new ByteArrayInputStream(new byte[] {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80}));
        assertTrue(r.next());
        assertNull(r.text(), "an encoded surrogate is not UTF-8");
    }
}
