package dev.provisioning.detector.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;

import dev.provisioning.events.Json;
import dev.provisioning.events.job.JobConfig;

/**
 * Publishes job configurations to the compacted {@code provisioning.jobs} topic (channel {@value #CHANNEL}), keyed by
 * job id. The returned Uni completes when the broker has the record. A deleted job is a tombstone (a null value), so
 * compaction forgets it.
 */
@ApplicationScoped
public class JobPublisher {

    public static final String CHANNEL = "jobs";

    private final MutinyEmitter<Object> emitter;

    public JobPublisher(@Channel(CHANNEL) MutinyEmitter<Object> emitter) {
        this.emitter = emitter;
    }

    public Uni<Void> publish(JobConfig job) {
        return emitter.sendMessage(KafkaRecords.keyed(job.jobId(), Json.write(job)));
    }

    /** Publishes the tombstone of a deleted job: its key with a null value. */
    public Uni<Void> tombstone(String jobId) {
        return emitter.sendMessage(Message.of(Record.of(jobId, null)));
    }
}
