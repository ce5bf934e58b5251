package dev.provisioning.mapper.config;

import java.time.Duration;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import io.quarkus.runtime.ShutdownEvent;

import dev.provisioning.telemetry.ScheduledRounds;
import dev.provisioning.telemetry.StopDeadline;

/**
 * The order of the mapper-service's clean stop (SIGTERM: the run command, Kubernetes) and its one deadline, as the
 * notifier's ({@code NotifierStop}). Quarkus fires {@code ShutdownEvent} while the Kafka channels still work and closes
 * them only after every observer returned; the observers run one after the other, lowest {@code @Priority} first:
 * <ol>
 * <li>{@link #BEGIN}: the stop's deadline is set, {@link ScheduledRounds#GRACE} (10 s) from now, for everything below
 * in all.</li>
 * <li>{@link #PAUSE_CONSUMERS}: the {@code assignments} consumer is paused: nothing more is fetched; the polls fetched
 * before go on being taken, and their operations and results sent and acked. The records parked for their job's
 * configuration are resolved no more: each stays parked and its poll unacked ({@code AssignmentConsumer}).</li>
 * <li>{@link #DRAIN_CONSUMERS}: the polls fetched before the pause are taken until none has been under way for a
 * moment; then none is taken any more (one delivered later is left unacked) and no poll is acked any more.</li>
 * <li>{@link #COMMITS}: SmallRye's periodic commit of the acked offsets is waited for ({@code CommitsSettled}), so that
 * none is under way when SmallRye closes the consumer: before, one interrupted by the close logged
 * {@code WARN SRMSG18252: Failed to commit ... WakeupException}.</li>
 * </ol>
 * What is left unacked (a poll holding a parked record, one delivered after the drain, one whose last record ended
 * after it) is consumed again after the next start, as after a crash: its records are decided again and their outputs
 * sent again with the same ids ({@code operationId} = {@code eventId}, result ids derived from it), which the writer and
 * the detector absorb; a parked record's job configuration is read again from {@code provisioning.jobs}. The
 * {@code jobs} consumer is not paused: it commits nothing ({@code commit-strategy=ignore}) and is read from the start
 * after each start. SmallRye's own graceful close of {@code assignments} is off ({@code graceful-shutdown=false}): it
 * would wait 2 s, then one commit interval for the parked records and warn (SRMSG18245). The 10 s stay within the run
 * command's 20 s and Kubernetes' 30 s {@code terminationGracePeriodSeconds}.
 */
@ApplicationScoped
public class MapperStop {

    /** The stop's deadline is set. */
    public static final int BEGIN = Interceptor.Priority.APPLICATION + 100;
    /** The assignments consumer fetches no more; parked records are resolved no more. */
    public static final int PAUSE_CONSUMERS = Interceptor.Priority.APPLICATION + 200;
    /** What the consumer fetched is taken, then no more; no poll is acked any more. */
    public static final int DRAIN_CONSUMERS = Interceptor.Priority.APPLICATION + 600;
    /** SmallRye's periodic offset commit has nothing left to commit. */
    public static final int COMMITS = Interceptor.Priority.APPLICATION + 700;

    private final StopDeadline deadline = new StopDeadline();

    void begin(@Observes @Priority(BEGIN) ShutdownEvent event) {
        deadline.begin();
    }

    /**
     * The time left until the deadline, zero once it passed; {@link ScheduledRounds#GRACE} when the stop has not begun
     * (a caller outside a stop).
     */
    public Duration left() {
        return deadline.left();
    }
}
