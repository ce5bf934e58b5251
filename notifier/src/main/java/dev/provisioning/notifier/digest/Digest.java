package dev.provisioning.notifier.digest;

import java.time.Instant;
import java.util.List;

/**
 * One failure email: a job's failures of one window, counted by error code, with at most a configured number of
 * failed objects listed. The Qute templates in {@code templates/digest.*} render it.
 *
 * @param digestId deterministic identity (job and window start), also the base of the Message-ID
 * @param jobId the job
 * @param jobName the job's name for people, may be null
 * @param windowStart when the oldest failure of the window was received
 * @param windowEnd when the digest was composed (the window closed at or before it)
 * @param total how many failures the window holds
 * @param countsByCode the failures per error code, most frequent first
 * @param lines the failed objects listed, at most the configured number
 * @param subject the email subject
 */
public record Digest(
        String digestId,
        String jobId,
        String jobName,
        Instant windowStart,
        Instant windowEnd,
        int total,
        List<CodeCount> countsByCode,
        List<FailedObject> lines,
        String subject) {

    /** Shown for a failure without an error code. */
    public static final String UNKNOWN_CODE = "Unknown";

    public Digest {
        countsByCode = List.copyOf(countsByCode);
        lines = List.copyOf(lines);
    }

    /** How many failures are counted but not listed. */
    public int omitted() {
        return total - lines.size();
    }

    /** The job's name, or its id when it has none. */
    public String jobLabel() {
        return jobName == null || jobName.isBlank() ? jobId : jobName;
    }

    /** The number of failures for one error code. */
    public record CodeCount(String code, int count) {
    }
}
