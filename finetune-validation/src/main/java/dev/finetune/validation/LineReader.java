package dev.finetune.validation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a file line by line in bounded memory: at most {@link #MAX_LINE_BYTES} of one line are held
 * (a longer line is reported as too long and skipped to its end, never buffered whole). Lines end at
 * {@code \n}; a trailing {@code \r} is dropped, as is a UTF-8 byte-order mark at the start of the file.
 * Text is decoded strictly: a line that is not valid UTF-8 has no text. Not thread-safe.
 */
final class LineReader {
    /** The longest line accepted: 16 MiB. */
    static final int MAX_LINE_BYTES = 16 << 20;

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private boolean eof;
    private byte[] line = new byte[4096];
    private int len;
    private boolean tooLong;
    private long lineNumber;
    private long bytesRead;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

    LineReader(InputStream in) {
        this(in, MAX_LINE_BYTES);
    }

    LineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** Advances to the next line; false at the end of the input. */
    boolean next() throws IOException {
        len = 0;
        tooLong = false;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                if (eof || !fill()) {
                    if (!any) {
                        return false;
                    }
                    break;
                }
            }
            any = true;
            int nl = -1;
            for (int i = pos; i < limit; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int end = nl < 0 ? limit : nl;
            append(pos, end - pos);
            pos = nl < 0 ? limit : nl + 1;
            if (nl >= 0) {
                break;
            }
        }
        lineNumber++;
        if (!tooLong && len > 0 && line[len - 1] == '\r') {
            len--;
        }
        if (lineNumber == 1 && !tooLong && len >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB
                && (line[2] & 0xFF) == 0xBF) {
            System.arraycopy(line, 3, line, 0, len - 3);
            len -= 3;
        }
        return true;
    }

    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            eof = true;
            pos = limit = 0;
            return false;
        }
        bytesRead += n;
        pos = 0;
        limit = n;
        return true;
    }

    private void append(int from, int n) {
        if (tooLong || n == 0) {
            return;
        }
        if (len + (long) n > maxLineBytes) {
            tooLong = true;
            len = 0;
            return;
        }
        if (len + n > line.length) {
            int cap = (int) Math.min(maxLineBytes, Math.max((long) line.length * 2, (long) len + n));
            line = java.util.Arrays.copyOf(line, cap);
        }
        System.arraycopy(buf, from, line, len, n);
        len += n;
    }

    /** 1-based number of the current line. */
    long lineNumber() {
        return lineNumber;
    }

    /** Bytes consumed from the stream so far. */
    long bytesRead() {
        return bytesRead;
    }

    boolean tooLong() {
        return tooLong;
    }

    /** True when the line is empty or only spaces and tabs. */
    boolean isBlank() {
        for (int i = 0; i < len; i++) {
            byte b = line[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return !tooLong;
    }

    /** The first byte that is not a space or tab, or -1. */
    int firstNonSpaceByte() {
        for (int i = 0; i < len; i++) {
            byte b = line[i];
            if (b != ' ' && b != '\t') {
                return b & 0xFF;
            }
        }
        return -1;
    }

    /** The line's text, or null when it is not valid UTF-8 (or too long). */
    String text() {
        if (tooLong) {
            return null;
        }
        boolean ascii = true;
        for (int i = 0; i < len; i++) {
            if (line[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(line, 0, len, StandardCharsets.ISO_8859_1);
        }
        try {
            return decoder.reset().decode(ByteBuffer.wrap(line, 0, len)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
