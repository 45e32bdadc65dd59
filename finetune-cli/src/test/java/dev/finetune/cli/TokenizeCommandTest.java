package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TokenizeCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String stdin, String... args) {
        TokenizeCommand.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        String[] full = new String[args.length + 1];
        full[0] = "tokenize";
        System.arraycopy(args, 0, full, 1, args.length);
        return cli.execute(full);
    }

    @AfterEach
    void restore() {
        TokenizeCommand.in = System.in;
    }

    @Test
    void encodesLinesInOrder() {
        assertEquals(0, run("{\"text\":\"Hello world\"}\n{\"text\":\"<|endoftext|>\"}\n"));
        String[] lines = out.toString().split("\n");
        assertEquals("{\"ids\":[15496,995]}", lines[0]);
        assertTrue(!lines[1].contains("50256"), lines[1]);
    }

    @Test
    void decodesIds() {
        assertEquals(0, run("{\"ids\":[15496,995]}\n", "--decode"));
        assertEquals("{\"text\":\"Hello world\"}\n", out.toString());
    }

    @Test
    void aMalformedLineStopsWithItsNumberAndStatusOne() {
        assertEquals(1, run("{\"text\":\"a\"}\n{\"txt\":\"b\"}\n{\"text\":\"c\"}\n"));
        assertEquals("{\"ids\":[64]}\n", out.toString());
        assertTrue(err.toString().contains("line 2"), err.toString());
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        assertEquals(1, run("{\"ids\":[1, -5]}\n", "--decode"));
        assertTrue(err.toString().contains("line 1") && err.toString().contains("ids[1]"), err.toString());
    }
}
