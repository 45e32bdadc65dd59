package dev.finetune.cli;

import dev.finetune.hub.DownloadListener;
import dev.finetune.hub.HubClient;
import dev.finetune.hub.HubModelRef;
import java.io.PrintWriter;

/**
 * A hub download on the terminal: a redrawn bar with bytes, rate and time left when stdout is a
 * terminal (at most ten redraws a second), otherwise a plain line every tenth of the way.
 */
final class DownloadProgress implements DownloadListener {
    private final PrintWriter out;
    private final boolean tty;
    private long start;
    private long lastDraw;
    private int lastDecile = -1;
    private boolean drawn;

    DownloadProgress(PrintWriter out) {
        this(out, System.console() != null);
    }

    DownloadProgress(PrintWriter out, boolean tty) {
        this.out = out;
        this.tty = tty;
    }

    @Override
    public void onStart(HubModelRef model, String commit, int files, long bytes) {
        start = System.nanoTime();
        if (files > 0) {
            out.printf("downloading %s (commit %s): %d file%s, %s%n", model, commit.substring(0, 12), files,
                    files == 1 ? "" : "s", HubClient.bytes(bytes));
            out.flush();
        }
    }

    @Override
    public void onProgress(String file, long fileDone, long fileSize, long done, long total) {
        long now = System.nanoTime();
        double elapsed = Math.max((now - start) / 1e9, 1e-3);
        double rate = done / elapsed;
        double left = rate > 0 ? (total - done) / rate : 0;
        double frac = total <= 0 ? 1 : (double) done / total;
        if (tty) {
            if (now - lastDraw < 100_000_000L && done < total) {
                return;
            }
            lastDraw = now;
            int width = 30;
            int filled = (int) Math.round(frac * width);
            out.printf("\r[%s%s] %s / %s  %s/s  %s left  %s   ", "#".repeat(filled), ".".repeat(width - filled),
                    HubClient.bytes(done), HubClient.bytes(total), HubClient.bytes((long) rate), Progress.time(left), file);
            drawn = true;
            out.flush();
        } else {
            int decile = (int) Math.floor(frac * 10);
            if (decile != lastDecile) {
                lastDecile = decile;
                out.printf("%s / %s (%d%%), %s/s, %s left%n", HubClient.bytes(done), HubClient.bytes(total), decile * 10,
                        HubClient.bytes((long) rate), Progress.time(left));
                out.flush();
            }
        }
    }

    @Override
    public void onWaiting(String file) {
        done();
        out.println("another process is downloading " + file + "; waiting for it");
        out.flush();
    }

    void done() {
        if (drawn) {
            out.println();
            out.flush();
            drawn = false;
        }
    }
}
