package dev.finetune.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

class CsvRecordParserProperties {
    /** RFC 4180 quoting: every field quoted, quotes doubled. */
    private static String encode(List<String> fields, char delimiter) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                sb.append(delimiter);
            }
            sb.append('"').append(fields.get(i).replace("\"", "\"\"")).append('"');
        }
        return sb.toString();
    }

    @Property(tries = 300)
    void quotedRecordsRoundTripAcrossLineBreaks(
            @ForAll @Size(min = 1, max = 6) List<@StringLength(max = 20) @Chars({'a', 'b', ',', ';', '"', '\n', ' '}) String> fields,
            @ForAll boolean semicolon) {
        char d = semicolon ? ';' : ',';
        CsvRecordParser p = new CsvRecordParser(d);
        String[] lines = encode(fields, d).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            boolean done = p.feed(lines[i]);
            assertEquals(i == lines.length - 1, done, "record completes exactly on its last line");
        }
        assertEquals(fields, p.take());
        assertTrue(!p.open());
    }
}
