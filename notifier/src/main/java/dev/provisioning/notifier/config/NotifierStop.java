package dev.provisioning.notifier.config;

import java.time.Duration;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import io.quarkus.runtime.ShutdownEvent;

import dev.provisioning.telemetry.ScheduledRounds;
import dev.provisioning.telemetry.StopDeadline;

/**
 * The order of the notifier's clean stop (SIGTERM: the run command, Kubernetes) and its one deadline, as the change
 * detector's ({@code DetectorStop}). Quarkus fires {@code ShutdownEvent} while the PostgreSQL pool, the mailer and the
 * Kafka channels still work and closes them only after every observer returned; the observers run one after the
 * other, lowest {@code @Priority} first:
 * <ol>
 * <li>{@link #BEGIN}: the stop's deadline is set, {@link ScheduledRounds#GRACE} (10 s) from now, for everything below
 * in all.</li>
 * <li>{@link #PAUSE_CONSUMERS}: the {@code results} and {@code job-states} consumers are paused: nothing more is
 * fetched; what was fetched before goes on being stored and acked, but a failure to store it is no longer retried,
 * and a retry waiting for its backoff gives up at once: its poll or record is left unacked.</li>
 * <li>{@link #SENDERS}: no digest or job state email starts, and the one being sent (its SMTP exchange and its commit)
 * is waited for ({@code DigestSender}, {@code StateSender}).</li>
 * <li>{@link #DRAIN_CONSUMERS}: the polls and records fetched before the pause are handled until none has been under
 * way for a moment; then none is handled any more (one delivered later is left unacked) and the one under way is
 * waited for.</li>
 * <li>{@link #COMMITS}: SmallRye's periodic commit of the acked offsets, every {@code auto.commit.interval.ms} (1 s
 * here), is waited for on both channels at once ({@code CommitsSettled}), so that none is under way when SmallRye
 * closes the consumers: one interrupted by the close logged {@code WARN SRMSG18252: Failed to commit ...
 * WakeupException}.</li>
 * </ol>
 * What is left unacked (a store given up, a record delivered after the drain, work abandoned at the deadline) is
 * consumed again after the next start and stored then, once: every store is idempotent (a failure by its result id, a
 * state change by its event id). It is logged at INFO or DEBUG; SmallRye's close of these channels, which comes after
 * the pool is closed, does not wait for it ({@code graceful-shutdown=false}: its wait could only end in the warning
 * SRMSG18245). The 10 s stay within the run command's 20 s and Kubernetes' 30 s {@code terminationGracePeriodSeconds}.
 */
@ApplicationScoped
public class NotifierStop {

    /** The stop's deadline is set. */
    public static final int BEGIN = Interceptor.Priority.APPLICATION + 100;
    /** The consumers fetch no more, and retry no failure. */
    public static final int PAUSE_CONSUMERS = Interceptor.Priority.APPLICATION + 200;
    /** The email being sent is waited for (CDI's default observer priority). */
    public static final int SENDERS = Interceptor.Priority.APPLICATION + 500;
    /** What the consumers fetched is handled, then no more. */
    public static final int DRAIN_CONSUMERS = Interceptor.Priority.APPLICATION + 600;
    /** SmallRye's periodic offset commits have nothing left to commit. */
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
