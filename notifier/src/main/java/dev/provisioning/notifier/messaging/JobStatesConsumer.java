package dev.provisioning.notifier.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.notifier.NotifierMetrics;
import dev.provisioning.notifier.config.NotifierStop;
import dev.provisioning.notifier.persistence.Refusals;
import dev.provisioning.notifier.persistence.StateOutbox;
import dev.provisioning.notifier.state.StateNoticeComposer;
import dev.provisioning.telemetry.ConsumerPause;
import dev.provisioning.telemetry.ScheduledRounds;

/**
 * Reads {@code provisioning.job-states} (key job id, so one job's changes arrive in order) at least once and stores
 * each change that is emailed in the state outbox before the record is acknowledged
 * ({@code commit-strategy=throttled}). A redelivered event is stored once; a quarantine start for the reason already
 * emailed is stored as a duplicate; a rejected token or held deletions that start a quarantine are stored as told by
 * that quarantine's email ({@link StateOutbox#store}: one email per event). A malformed record fails the {@code Uni}
 * and goes to {@code provisioning.job-states.dlq} with the reason; so does an event the database refuses
 * ({@link Refusals#refused}: an identifier longer than its column, a date out of range), at once, with a reason naming
 * the job and the field ({@link StateOutbox#refusal}); any other database error is retried for about half a minute
 * first.
 * <p>
 * Events are stored whatever the job's notification settings: the quarantine reason must be remembered either way.
 * The sender decides, from the job's latest configuration, whether to email or drop.
 * <p>
 * At a clean stop ({@link NotifierStop}), as for the results: the consumer is paused, a store that fails is no longer
 * retried (a retry waiting for its backoff gives up at once) nor dead-lettered, the records fetched before are stored
 * and acked until none has been under way for {@link #DRAINED}, and then none is handled any more. A record not stored
 * is left unacked and stored after the next start (once: its event id). Before, a store under way at the stop went on
 * retrying against the closed pool, logging a WARN per attempt, and then failed the record, which the channel's
 * {@code dead-letter-queue} strategy sent to {@code provisioning.job-states.dlq}: the state email was never sent.
 */
@ApplicationScoped
public class JobStatesConsumer {

    private static final Logger LOG = Logger.getLogger(JobStatesConsumer.class);
    private static final int STORE_RETRIES = 6;
    private static final Duration STORE_RETRY_FIRST = Duration.ofMillis(500);
    private static final Duration STORE_RETRY_MAX = Duration.ofSeconds(8);
    /** At a stop, how long no record has been under way before the records fetched are taken as handled. */
    static final Duration DRAINED = Duration.ofMillis(300);

    private final StateOutbox outbox;
    private final NotifierMetrics metrics;
    private final NotifierStop stop;
    private final KafkaClientService kafka;
    /** The records being handled: none starts once the notifier stopped taking them ({@link #drain}). */
    private final ScheduledRounds records = new ScheduledRounds();

    public JobStatesConsumer(StateOutbox outbox, NotifierMetrics metrics, NotifierStop stop,
            KafkaClientService kafka) {
        this.outbox = outbox;
        this.metrics = metrics;
        this.stop = stop;
        this.kafka = kafka;
    }

    /** The notifier stops: nothing more is fetched, and a failed store is no longer retried. */
    void pause(@Observes @Priority(NotifierStop.PAUSE_CONSUMERS) ShutdownEvent event) {
        records.endRetries();
        ConsumerPause.pause(kafka, Channels.JOB_STATES);
    }

    /** The notifier stops: the records fetched before the pause are handled, then no more (see the class comment). */
    void drain(@Observes @Priority(NotifierStop.DRAIN_CONSUMERS) ShutdownEvent event) {
        if (!records.drain(DRAINED, stop.left(), () -> ConsumerPause.pause(kafka, Channels.JOB_STATES))) {
            LOG.infof("a job state event was still being stored at the stop's deadline: abandoned unacked, it is "
                    + "consumed again after the next start");
        }
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
        return records.run(() -> Uni.createFrom().item(() -> EventChecks.jobState(json)).chain(this::handle)
                .replaceWith(Boolean.TRUE), Boolean.FALSE)
                // a failure to store once the notifier stops is the stop's: the record stays unacked
                .onFailure(e -> records.retriesEnded() && !(e instanceof RefusedEvent)
                        && !(e instanceof MalformedEventException))
                .recoverWithItem(e -> {
                    LOG.infof("a job state event was not stored as the notifier stops: left unacked, it is consumed "
                            + "again after the next start (%s)", e.toString());
                    return Boolean.FALSE;
                })
                .chain(handled -> {
                    if (handled) {
                        return Uni.createFrom().voidItem();
                    }
                    LOG.debug("a job state event is left unacked as the notifier stops: it is consumed again after the "
                            + "next start");
                    // neither completed (acked) nor failed (dead-lettered): left for the next start
                    return Uni.createFrom().<Void>nothing();
                });
    }

    private Uni<Void> handle(JobStateEvent event) {
        if (!StateNoticeComposer.isEmailed(event.change())) {
            LOG.debugf("job %s: %s is not emailed", event.jobId(), event.change());
            return Uni.createFrom().voidItem();
        }
        String kind = StateNoticeComposer.kindOf(event.change());
        Supplier<Uni<StateOutbox.Stored>> store = onThisContext(
                () -> Panache.withTransaction(() -> outbox.store(event, kind, Instant.now())));
        return records.retried(store, e -> !Refusals.refused(e), e -> LOG.warnf(
                "job %s: storing job state event %s failed, retrying: %s", event.jobId(), event.eventId(),
                e.toString()), STORE_RETRY_FIRST, STORE_RETRY_MAX, STORE_RETRIES)
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
                        case FOLDED :
                            LOG.infof("job %s: %s stored, told by the email of the quarantine it starts (event %s)",
                                    event.jobId(), event.change(), event.eventId());
                            metrics.emailDeduplicated(event.jobId(), kind);
                            break;
                        default :
                            throw new IllegalStateException("unknown outcome " + stored);
                    }
                })
                .replaceWithVoid();
    }

    /**
     * Each attempt subscribed on the record's Vert.x context, where the reactive session belongs (a retry after a
     * backoff would otherwise start on the timer's thread).
     */
    private static <T> Supplier<Uni<T>> onThisContext(Supplier<Uni<T>> attempt) {
        Context context = Vertx.currentContext();
        if (context == null) {
            return attempt;
        }
        return () -> Uni.createFrom().<T>deferred(() -> attempt.get())
                .runSubscriptionOn(command -> context.runOnContext(ignored -> command.run()));
    }
}
