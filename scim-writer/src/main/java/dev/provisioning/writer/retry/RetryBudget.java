package dev.provisioning.writer.retry;

import java.time.Instant;

/**
 * The retry time of one operation, shared by its requests (a user's match and create, a group's member chunks): it
 * starts at the operation's first failed attempt, and {@link RetryPolicy#nextDelay} allows no retry that would start
 * more than {@code writer.retry.max-duration} after it. So an operation of many requests is bounded like an operation
 * of one. Thread-safe; one per operation.
 */
public final class RetryBudget {

    private Instant firstFailure;

    /** The operation's first failure: {@code now} if none was recorded yet. */
    public synchronized Instant failedAt(Instant now) {
        if (firstFailure == null) {
            firstFailure = now;
        }
        return firstFailure;
    }

    /** When the operation first failed, or null. */
    public synchronized Instant firstFailure() {
        return firstFailure;
    }
}
