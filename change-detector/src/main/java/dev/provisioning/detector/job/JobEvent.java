package dev.provisioning.detector.job;

import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.job.JobConfig;

/**
 * What a {@link ProvisioningJob} method changed, for the other services. The store writes these to the outbox in the
 * same transaction as the job's row; the relay publishes them afterwards, in order per job.
 */
public sealed interface JobEvent {

    /** The job's identity: the Kafka key of every record it becomes. */
    String jobId();

    /** A new revision of the configuration: a record on the compacted {@code provisioning.jobs}. */
    record ConfigurationChanged(JobConfig config) implements JobEvent {

        @Override
        public String jobId() {
            return config.jobId();
        }
    }

    /** The job was deleted: its tombstone on {@code provisioning.jobs}, so that compaction forgets it. */
    record Deleted(String jobId) implements JobEvent {
    }

    /**
     * A change in the job's health (quarantine, held deletions, token) for the notifier: a record on
     * {@code provisioning.job-states}. Its id is stable for the occurrence, so telling it twice is recognised.
     */
    record StateChanged(JobStateEvent event) implements JobEvent {

        @Override
        public String jobId() {
            return event.jobId();
        }
    }
}
