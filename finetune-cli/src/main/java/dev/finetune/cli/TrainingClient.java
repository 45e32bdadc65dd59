package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.finetuning.JobUpdate;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A client that trains, for the commands that say so ({@code finetune create --wait}, {@code finetune wait},
 * {@code demo}): it resumes every queued or interrupted fine-tune of the workspace in this process. On
 * Ctrl-C (a JVM shutdown) it closes the client in order: running jobs stop at their next step boundary,
 * finish the write in flight and stay resumable with {@code ./finetune finetune wait ID}.
 */
final class TrainingClient implements AutoCloseable {
    final ClientV2 co;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread hook;

    private TrainingClient(ClientV2 co, PrintWriter err) {
        this.co = co;
        this.hook = new Thread(() -> {
            if (closed.compareAndSet(false, true)) {
                err.println("stopping: running fine-tunes stop at their next step boundary; continue them with "
                        + "./finetune finetune wait ID");
                err.flush();
                co.close();
            }
        }, "finetune-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static TrainingClient open(WorkspaceOption workspace, PrintWriter err) {
        return new TrainingClient(workspace.open(true), err);
    }

    static TrainingClient open(ClientV2.Builder builder, PrintWriter err) {
        return new TrainingClient(builder.runJobs(true).build(), err);
    }

    /**
     * A progress bar for each job this process trains, one after the other (the runner also trains the
     * workspace's earlier queued or interrupted jobs); {@code labels} names a job by its id.
     */
    static final class Bars implements Consumer<JobUpdate> {
        private final PrintWriter out;
        private final Function<String, String> labels;
        private String current;
        private Progress bar;

        Bars(PrintWriter out, Function<String, String> labels) {
            this.out = out;
            this.labels = labels;
        }

        @Override
        public synchronized void accept(JobUpdate u) {
            if (u.progress().isEmpty()) {
                return;
            }
            if (!u.modelId().equals(current)) {
                done();
                current = u.modelId();
                bar = new Progress(out, labels.apply(current));
            }
            int[] p = u.progress().get();
            bar.update(p[0], p[1], u.detail().orElse(""));
        }

        /** Ends the bar on the screen (a new line after a redrawn bar). */
        synchronized void done() {
            if (bar != null) {
                bar.done();
                bar = null;
            }
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to: it does nothing now that closed is set
            }
            co.close();
        }
    }
}
