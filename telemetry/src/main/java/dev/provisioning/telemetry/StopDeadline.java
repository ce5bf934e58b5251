package dev.provisioning.telemetry;

import java.time.Duration;

/**
 * The one deadline of a service's clean stop (SIGTERM: the run command, Kubernetes): {@link ScheduledRounds#GRACE}
 * (10 s) from the moment the stop begins, for every step of the stop in all. A service sets it from its first
 * {@code ShutdownEvent} observer ({@link #begin}) and each later step waits at most {@link #left}, so the steps, which
 * Quarkus runs one after the other, never add up to more than the grace: the stop stays within the run command's 20 s
 * and Kubernetes' 30 s {@code terminationGracePeriodSeconds}, which also cover closing the Kafka clients.
 */
public final class StopDeadline {

    /** {@link System#nanoTime} of the deadline; set by {@link #begin}. */
    private volatile long deadline;
    private volatile boolean begun;

    /** The stop begins: the deadline is {@link ScheduledRounds#GRACE} from now. */
    public void begin() {
        deadline = System.nanoTime() + ScheduledRounds.GRACE.toNanos();
        begun = true;
    }

    /** Whether the stop has begun. */
    public boolean begun() {
        return begun;
    }

    /**
     * The time left until the deadline, zero once it passed; {@link ScheduledRounds#GRACE} when the stop has not begun
     * (a caller outside a stop).
     */
    public Duration left() {
        return begun ? Duration.ofNanos(Math.max(0, deadline - System.nanoTime())) : ScheduledRounds.GRACE;
    }
}
