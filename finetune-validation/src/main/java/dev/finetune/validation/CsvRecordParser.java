package dev.finetune.validation;

import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 records fed one line at a time: fields split on the delimiter, {@code "quoted"} fields may
 * hold the delimiter, {@code ""} and line breaks (a record then spans lines). Lenient where the RFC is
 * silent: a quote inside an unquoted field is kept as text. Not thread-safe.
 */
final class CsvRecordParser {
    private final char delimiter;
    private final List<String> fields = new ArrayList<>();
    private final StringBuilder field = new StringBuilder();
    private boolean inQuotes;
    private int chars;

    CsvRecordParser(char delimiter) {
        this.delimiter = delimiter;
    }

    /** Adds one line; true when it completes a record (then call {@link #take()}). */
    boolean feed(String line) {
        if (inQuotes) {
            field.append('\n');
        }
        chars += line.length() + 1;
        boolean fieldStart = !inQuotes && field.length() == 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (inQuotes) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        inQuotes = false;
                    }
                } else {
                    field.append(c);
                }
            } else if (c == delimiter) {
                fields.add(field.toString());
                field.setLength(0);
                fieldStart = true;
                continue;
            } else if (c == '"' && fieldStart) {
                inQuotes = true;
            } else {
                field.append(c);
            }
            fieldStart = false;
        }
        if (inQuotes) {
            return false;
        }
        fields.add(field.toString());
        field.setLength(0);
        return true;
    }

    /** True while a quoted field is open across lines. */
    boolean open() {
        return inQuotes;
    }

    /** Characters buffered in the current record (bounded by the caller). */
    int pendingChars() {
        return chars;
    }

    List<String> take() {
        List<String> out = List.copyOf(fields);
        reset();
        return out;
    }

    void reset() {
        fields.clear();
        field.setLength(0);
        inQuotes = false;
        chars = 0;
    }
}
