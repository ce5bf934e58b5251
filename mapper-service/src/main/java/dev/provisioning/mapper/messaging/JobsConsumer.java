package dev.provisioning.mapper.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.mapper.engine.JobCatalog;

/**
 * Keeps the job catalog current. Topic in: {@code provisioning.jobs} (channel {@value #CHANNEL}, compacted, read whole
 * by every replica). A null value is a deleted job. A record that cannot be decoded goes to
 * {@code provisioning.jobs.dlq}. Each change is passed on to the {@link AssignmentConsumer}, so records waiting for the
 * job go on (configuration known) or are dead-lettered (job deleted).
 */
@ApplicationScoped
public class JobsConsumer {

    public static final String CHANNEL = "jobs";

    private final JobCatalog catalog;
    private final AssignmentConsumer assignments;

    public JobsConsumer(JobCatalog catalog, AssignmentConsumer assignments) {
        this.catalog = catalog;
        this.assignments = assignments;
    }

    @Incoming(CHANNEL)
    public void onJob(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            catalog.remove(record.key());
            assignments.jobDeleted(record.key());
        } else {
            JobConfig job = EventChecks.job(record.value());
            catalog.put(job);
            assignments.jobArrived(job.jobId());
        }
    }
}
