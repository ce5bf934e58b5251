package dev.provisioning.writer.escrow;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * When an escrowed object is tried again: Entra's schedule by default, 6 h, 12 h and 24 h after each failure, then
 * every 24 h, and dropped once the next try would fall more than 28 days after the first failure. Plain Java.
 *
 * @param steps the waits before the first scheduled retries
 * @param thenEvery the wait before every later retry
 * @param giveUpAfter how long after the first failure the object is dropped
 */
public record EscrowSchedule(List<Duration> steps, Duration thenEvery, Duration giveUpAfter) {

    public EscrowSchedule {
        steps = List.copyOf(steps);
        if (steps.stream().anyMatch(d -> d.isNegative() || d.isZero()) || thenEvery.isNegative()
                || thenEvery.isZero()) {
            throw new IllegalArgumentException("writer.escrow.schedule and writer.escrow.then-every must be positive");
        }
    }

    /**
     * The time of the next retry after a failure.
     *
     * @param firstFailedAt when the object first failed
     * @param retriesDone scheduled retries already made (0 after the first failure)
     * @param now the time of the failure that was just seen
     * @return empty when the object is to be dropped
     */
    public Optional<Instant> next(Instant firstFailedAt, int retriesDone, Instant now) {
        Duration wait = retriesDone < steps.size() ? steps.get(retriesDone) : thenEvery;
        Instant at = now.plus(wait);
        return at.isAfter(firstFailedAt.plus(giveUpAfter)) ? Optional.empty() : Optional.of(at);
    }
}
