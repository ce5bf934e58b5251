package dev.provisioning.events;

import java.time.Instant;

/**
 * A change in a job's health, from the change-detector to the notifier. Topic {@link Topics#JOB_STATES}, key job id.
 *
 * @param schemaVersion {@link #SCHEMA_VERSION}
 * @param eventId stable for one occurrence (e.g. {@code jobId/QUARANTINE_STARTED/<reason>/<since>}), so a redelivered
 *        event or a repeated publication is recognised and emailed once
 * @param jobId the job
 * @param jobName the job's name, for the email
 * @param change what happened
 * @param reasonCode Entra's code for the reason (e.g. {@code InvalidCredentials}, {@code TooManyFailures},
 *        {@code DeletionThresholdExceeded}); null when not applicable
 * @param reason a sentence an administrator can act on
 * @param count how many objects it concerns (held deletions, failures), or 0
 * @param cycleId the cycle it happened in, when there is one
 * @param occurredAt when it happened
 */
public record JobStateEvent(
        int schemaVersion,
        String eventId,
        String jobId,
        String jobName,
        JobStateChange change,
        String reasonCode,
        String reason,
        long count,
        String cycleId,
        Instant occurredAt) {

    public static final int SCHEMA_VERSION = 1;
}
