package dev.provisioning.detector.safety;

import java.time.Instant;

import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;

/**
 * Builds job state events with ids that are stable for one occurrence, so that publishing again after a crash or a
 * redelivered result is recognised by the notifier (it dedupes on {@code eventId}). Plain Java.
 */
public final class JobStateEvents {

    private JobStateEvents() {
    }

    /**
     * @param occurrence what identifies the occurrence, e.g. {@code TooManyFailures/<cycleId>}
     */
    public static JobStateEvent of(String jobId, String jobName, JobStateChange change, String occurrence,
            String reasonCode, String reason, long count, String cycleId) {
        return new JobStateEvent(JobStateEvent.SCHEMA_VERSION, jobId + "/" + change.name() + "/" + occurrence, jobId,
                jobName, change, reasonCode, reason, count, cycleId, Instant.now());
    }
}
