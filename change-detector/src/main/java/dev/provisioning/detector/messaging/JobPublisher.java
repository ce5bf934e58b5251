package dev.provisioning.detector.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.provisioning.events.Json;
import dev.provisioning.events.job.JobConfig;

/**
 * Publishes job configurations to the compacted {@code provisioning.jobs} topic (channel {@value #CHANNEL}), keyed by
 * job id. The returned Uni completes when the broker has the record.
 */
@ApplicationScoped
public class JobPublisher {

    public static final String CHANNEL = "jobs";

    private final MutinyEmitter<String> emitter;

    public JobPublisher(@Channel(CHANNEL) MutinyEmitter<String> emitter) {
        this.emitter = emitter;
    }

    public Uni<Void> publish(JobConfig job) {
        return emitter.sendMessage(KafkaRecords.keyed(job.jobId(), Json.write(job)));
    }
}
