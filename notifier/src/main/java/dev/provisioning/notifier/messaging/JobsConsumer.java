package dev.provisioning.notifier.messaging;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

import dev.provisioning.events.EventChecks;
import dev.provisioning.notifier.NotifierMetrics;

/**
 * Reads {@code provisioning.jobs} (compacted) from the start into {@link KnownJobs}. Every replica has its own consumer
 * group and commits nothing. A null value is a tombstone: the job was deleted. A malformed record goes to
 * {@code provisioning.jobs.dlq}.
 */
public class JobsConsumer {

    private static final Logger LOG = Logger.getLogger(JobsConsumer.class);

    private final KnownJobs jobs;
    private final NotifierMetrics metrics;

    public JobsConsumer(KnownJobs jobs, NotifierMetrics metrics) {
        this.jobs = jobs;
        this.metrics = metrics;
    }

    @Incoming(Channels.JOBS)
    public Uni<Void> onJob(ConsumerRecord<String, String> record) {
        return Uni.createFrom().item(() -> {
            if (record.value() == null) {
                LOG.infof("job %s deleted", record.key());
                jobs.delete(record.key());
                metrics.jobDeleted(record.key());
            } else {
                var job = EventChecks.job(record.value());
                LOG.debugf("job %s revision %d: notifyOnFailure=%s", job.jobId(), job.revision(),
                        job.notifyOnFailure());
                jobs.put(job);
                metrics.jobKnown(job.jobId());
            }
            return null;
        });
    }
}
