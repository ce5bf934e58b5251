package dev.provisioning.mapper.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import dev.provisioning.events.EventChecks;
import dev.provisioning.mapper.engine.JobCatalog;

/**
 * Keeps the job catalog current. Topic in: {@code provisioning.jobs} (channel {@value #CHANNEL}, compacted, read whole
 * by every replica). A null value is a deleted job. A record that cannot be decoded goes to
 * {@code provisioning.jobs.dlq}.
 */
@ApplicationScoped
public class JobsConsumer {

    public static final String CHANNEL = "jobs";

    private final JobCatalog catalog;

    public JobsConsumer(JobCatalog catalog) {
        this.catalog = catalog;
    }

    @Incoming(CHANNEL)
    public void onJob(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            catalog.remove(record.key());
        } else {
            catalog.put(EventChecks.job(record.value()));
        }
    }
}
