package dev.provisioning.detector.config;

import java.time.Duration;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import io.quarkus.runtime.ShutdownEvent;

import dev.provisioning.telemetry.ScheduledRounds;
import dev.provisioning.telemetry.StopDeadline;

/**
 * The order of the detector's clean stop (SIGTERM: the run command, Kubernetes) and its one deadline. Quarkus fires
 * {@code ShutdownEvent} while the PostgreSQL pool and the Kafka channels still work and closes them only after every
 * observer returned; the observers run one after the other, lowest {@code @Priority} first:
 * <ol>
 * <li>{@link #BEGIN}: the stop's deadline is set, {@link ScheduledRounds#GRACE} (10 s) from now, for everything
 * below in all.</li>
 * <li>{@link #PAUSE_RESULTS}: the results consumer's Kafka consumer is paused: nothing more is fetched from
 * {@code provisioning.results}; the polls fetched before go on being handled and acked.</li>
 * <li>{@link #CYCLES}: the running cycles are handed back and the look for due cycles under way is waited for
 * ({@code CycleScheduler}); the directory-file watch, the housekeeping and the job gauges stop.</li>
 * <li>{@link #DRAIN_RESULTS}: the polls fetched before the pause are handled until none has been under way for a
 * moment; then no poll is handled any more (one delivered later stays unacked and is consumed again after the next
 * start), and the one under way is waited for. SmallRye's graceful close of the channel, after the pool is closed,
 * then finds every poll delivered acked.</li>
 * <li>{@link #COMMITS}: SmallRye's periodic commit of the acked offsets, every {@code auto.commit.interval.ms} (1 s
 * here), is waited for ({@code CommitsSettled}), so that none is under way when SmallRye closes the consumer: one
 * interrupted by the close logged {@code WARN SRMSG18252: Failed to commit ... WakeupException}.</li>
 * <li>{@link #OUTBOX}: the outbox relay starts no pass any more and the pass under way is waited for: it publishes
 * what the hand-backs stored; a record not published stays in {@code job_outbox} and goes after the next start.</li>
 * </ol>
 * Work still under way at the deadline is abandoned as a crash abandons it (what it did not commit is done again after
 * the next start); its failure against the closed pool is logged at DEBUG or INFO (a results poll left unacked makes
 * SmallRye warn as it closes the channel: SRMSG18245). The 10 s, and SmallRye's 2 s pause as it closes the consumer, stay
 * within the run command's 20 s and Kubernetes' 30 s {@code terminationGracePeriodSeconds}.
 */
@ApplicationScoped
public class DetectorStop {

    /** The stop's deadline is set. */
    public static final int BEGIN = Interceptor.Priority.APPLICATION + 100;
    /** The results consumer fetches no more. */
    public static final int PAUSE_RESULTS = Interceptor.Priority.APPLICATION + 200;
    /** Cycles handed back, looks and scheduled rounds waited for (CDI's default observer priority). */
    public static final int CYCLES = Interceptor.Priority.APPLICATION + 500;
    /** The results fetched are handled, then no more. */
    public static final int DRAIN_RESULTS = Interceptor.Priority.APPLICATION + 600;
    /** SmallRye's periodic offset commit has nothing left to commit. */
    public static final int COMMITS = Interceptor.Priority.APPLICATION + 650;
    /** The outbox relay stops, last. */
    public static final int OUTBOX = Interceptor.Priority.APPLICATION + 700;

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
