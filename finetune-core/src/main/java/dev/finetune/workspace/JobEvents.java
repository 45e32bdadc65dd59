package dev.finetune.workspace;

import dev.finetune.finetuning.Event;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.JobUpdate;
import dev.finetune.finetuning.Status;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Status transitions and events of fine-tuned models, written to the {@link ModelStore} and told to
 * the application's listeners: the one place both the resource and the job runner record changes.
 */
public final class JobEvents {
    private static final Logger LOG = LoggerFactory.getLogger(JobEvents.class);

    private final ModelStore store;
    private final Clock clock;
    private final List<Consumer<JobUpdate>> listeners = new CopyOnWriteArrayList<>();

    public JobEvents(ModelStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public Clock clock() {
        return clock;
    }

    public void addListener(Consumer<JobUpdate> listener) {
        listeners.add(listener);
    }

    /**
     * Records the event, then writes the new status (keeping what it does not change): whoever sees the
     * new status in the record finds its event already in the history.
     */
    public void transition(String id, Status to, Optional<String> failure, Optional<Map<String, Double>> metrics, String message) {
        synchronized (store.lock(id)) {
            FinetunedModel m = store.read(id);
            Instant now = clock.instant();
            store.appendEvent(id, new Event(Optional.empty(), to, now, Optional.of(message)));
            Optional<Instant> completed = to.isTerminal() ? Optional.of(now) : m.completedAt();
            store.write(m.withState(id, to, m.createdAt().orElse(now), now, completed, failure.or(m::failureReason),
                    metrics.or(m::metrics)));
        }
        notify(new JobUpdate(id, to, Optional.of(message), Optional.empty(), Optional.empty(), Optional.empty()));
    }

    /** Appends an event under {@code status} and tells the listeners. */
    public void event(String id, Status status, String message) {
        store.appendEvent(id, new Event(Optional.empty(), status, clock.instant(), Optional.of(message)));
        notify(new JobUpdate(id, status, Optional.of(message), Optional.empty(), Optional.empty(), Optional.empty()));
    }

    public void notify(JobUpdate u) {
        for (Consumer<JobUpdate> l : listeners) {
            try {
                l.accept(u);
            } catch (RuntimeException e) {
                LOG.warn("a job listener failed", e);
            }
        }
    }
}
