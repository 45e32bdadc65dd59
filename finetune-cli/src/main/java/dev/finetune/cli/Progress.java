package dev.finetune.cli;

import java.io.PrintWriter;

/**
 * Progress on the terminal: a redrawn bar (step/total, a detail, ETA) when stdout is a terminal,
 * otherwise a plain line every tenth of the way so that logs stay readable.
 */
final class Progress {
    private final PrintWriter out;
    private final String label;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private int lastDecile = -1;
    private boolean drawn;

    Progress(PrintWriter out, String label) {
        this.out = out;
        this.label = label;
    }

    void update(int step, int total, String detail) {
        double frac = total == 0 ? 1 : (double) step / total;
        double elapsed = (System.nanoTime() - start) / 1e9;
        double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
        if (tty) {
            int width = 30;
            int filled = (int) Math.round(frac * width);
            out.printf("\r%s [%s%s] %d/%d %s, ETA %s   ", label, "#".repeat(filled), ".".repeat(width - filled), step,
                    total, detail, time(eta));
            drawn = true;
            out.flush();
        } else {
            int decile = (int) Math.floor(frac * 10);
            if (decile != lastDecile) {
                lastDecile = decile;
                out.printf("%s: %d/%d %s, ETA %s%n", label, step, total, detail, time(eta));
                out.flush();
            }
        }
    }

    void done() {
        if (drawn) {
            out.println();
            out.flush();
        }
    }

    static String time(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
