package dev.provisioning.notifier.messaging;

import java.time.Duration;
import java.time.Instant;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.notifier.NotifierMetrics;
import dev.provisioning.notifier.persistence.Refusals;
import dev.provisioning.notifier.persistence.StateOutbox;
import dev.provisioning.notifier.state.StateNoticeComposer;

/**
 * Reads {@code provisioning.job-states} (key job id, so one job's changes arrive in order) at least once and stores
 * each change that is emailed in the state outbox before the record is acknowledged ({@code commit-strategy=throttled}).
 * A redelivered event is stored once; a quarantine start for the reason already emailed is stored as a duplicate. A
 * malformed record fails the {@code Uni} and goes to {@code provisioning.job-states.dlq} with the reason; so does an
 * event the database refuses ({@link Refusals#refused}: an identifier longer than its column, a date out of range), at
 * once, with a reason naming the job and the field ({@link StateOutbox#refusal}); any other database error is retried
 * for about half a minute first.
 * <p>
 * Events are stored whatever the job's notification settings: the quarantine reason must be remembered either way.
 * The sender decides, from the job's latest configuration, whether to email or drop.
 */
public class JobStatesConsumer {

    private static final Logger LOG = Logger.getLogger(JobStatesConsumer.class);
    private static final int STORE_RETRIES = 6;
    private static final Duration STORE_RETRY_FIRST = Duration.ofMillis(500);
    private static final Duration STORE_RETRY_MAX = Duration.ofSeconds(8);

    private final StateOutbox outbox;
    private final NotifierMetrics metrics;

    public JobStatesConsumer(StateOutbox outbox, NotifierMetrics metrics) {
        this.outbox = outbox;
        this.metrics = metrics;
    }

    /**
     * A job state event the state outbox refused ({@link Refusals#refused}); its message, the dead letter's
     * {@code dead-letter-reason}, names the job, the event and the field.
     */
    static final class RefusedEvent extends RuntimeException {
        RefusedEvent(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Incoming(Channels.JOB_STATES)
    public Uni<Void> onJobState(String json) {
        return Uni.createFrom().item(() -> EventChecks.jobState(json)).chain(this::handle);
    }

    private Uni<Void> handle(JobStateEvent event) {
        if (!StateNoticeComposer.isEmailed(event.change())) {
            LOG.debugf("job %s: %s is not emailed", event.jobId(), event.change());
            return Uni.createFrom().voidItem();
        }
        String kind = StateNoticeComposer.kindOf(event.change());
        return Panache.withTransaction(() -> outbox.store(event, kind, Instant.now()))
                .onFailure(e -> !Refusals.refused(e)).invoke(e -> LOG.warnf(
                        "job %s: storing job state event %s failed, retrying: %s", event.jobId(), event.eventId(),
                        e.toString()))
                .onFailure(e -> !Refusals.refused(e)).retry().withBackOff(STORE_RETRY_FIRST, STORE_RETRY_MAX)
                .atMost(STORE_RETRIES)
                // refused: storing it again would fail again, and hold back every later event of the partition
                .onFailure(Refusals::refused).transform(e -> new RefusedEvent(StateOutbox.refusal(event, e), e))
                .invoke(stored -> {
                    switch (stored) {
                        case PENDING :
                            LOG.infof("job %s: %s %s stored (event %s)", event.jobId(), event.change(),
                                    event.reasonCode() == null ? "" : event.reasonCode(), event.eventId());
                            break;
                        case REDELIVERED :
                            LOG.debugf("job %s: job state event %s already stored", event.jobId(), event.eventId());
                            metrics.emailDeduplicated(event.jobId(), kind);
                            break;
                        case SAME_QUARANTINE_REASON :
                            LOG.infof("job %s: still quarantined for %s, not emailed again (event %s)", event.jobId(),
                                    event.reasonCode(), event.eventId());
                            metrics.emailDeduplicated(event.jobId(), kind);
                            break;
                        default :
                            throw new IllegalStateException("unknown outcome " + stored);
                    }
                })
                .replaceWithVoid();
    }
}
