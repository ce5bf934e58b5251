package dev.provisioning.writer.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;

/**
 * Reads {@code provisioning.jobs} (compacted) into the {@link JobDirectory}. Every replica reads the whole topic with
 * its own group id and commits nothing; a tombstone (null value) removes the job. A malformed record goes to
 * {@code provisioning.jobs.dlq}.
 */
@ApplicationScoped
public class JobsConsumer {

    private static final Logger LOG = Logger.getLogger(JobsConsumer.class);

    private final JobDirectory directory;

    public JobsConsumer(JobDirectory directory) {
        this.directory = directory;
    }

    @Incoming(Channels.JOBS)
    public void onJob(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            directory.remove(record.key());
            LOG.infof("job %s deleted", record.key());
            return;
        }
        try {
            JobConfig job = EventChecks.job(record.value());
            directory.put(job);
            LOG.infof("job %s revision %d: tenant %s, dialect %s", job.jobId(), job.revision(), job.tenantUrl(),
                    job.patchDialect());
        } catch (MalformedEventException e) {
            LOG.warnf("malformed job record with key %s: %s", record.key(), e.getMessage());
            throw e;
        }
    }
}
