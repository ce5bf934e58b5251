package dev.provisioning.detector.job;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * When a quarantined job's cycles run, as data rather than a loop: at each of {@code firstRetries} after the job
 * entered quarantine, then every {@code thereafter}. Entra retries 6 h, 12 h and 24 h after entering quarantine, then
 * once a day ({@code firstRetries = [6h, 12h, 24h]}, {@code thereafter = 24h}); this service's default is once a day
 * from the start ({@code detector.quarantine-interval}).
 *
 * @param firstRetries offsets from entering quarantine, increasing
 * @param thereafter the interval after the last of them (or from entering quarantine when there are none)
 */
public record QuarantineSchedule(List<Duration> firstRetries, Duration thereafter) {

    public QuarantineSchedule {
        firstRetries = List.copyOf(firstRetries);
        if (thereafter.isNegative() || thereafter.isZero()) {
            throw new IllegalArgumentException("the interval of a quarantined job's cycles must be positive");
        }
        for (int i = 1; i < firstRetries.size(); i++) {
            if (firstRetries.get(i).compareTo(firstRetries.get(i - 1)) <= 0) {
                throw new IllegalArgumentException("the first retries of a quarantined job must increase: "
                        + firstRetries);
            }
        }
    }

    /** Once every {@code interval}, from entering quarantine. */
    public static QuarantineSchedule every(Duration interval) {
        return new QuarantineSchedule(List.of(), interval);
    }

    /** The first retry of the schedule that is after {@code now}, for a quarantine that began at {@code since}. */
    public Instant nextRetry(Instant since, Instant now) {
        for (Duration offset : firstRetries) {
            Instant at = since.plus(offset);
            if (at.isAfter(now)) {
                return at;
            }
        }
        Instant last = firstRetries.isEmpty() ? since : since.plus(firstRetries.get(firstRetries.size() - 1));
        long periods = now.isBefore(last) ? 1 : Duration.between(last, now).dividedBy(thereafter) + 1;
        return last.plus(thereafter.multipliedBy(periods));
    }
}
