package dev.provisioning.detector.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.Json;

/**
 * Sends assignment events to {@code provisioning.assignments} (channel {@value #CHANNEL}), keyed by job and object. The
 * returned Uni completes only when the broker acknowledged the record (acks=all, idempotent producer): the cycle moves
 * its watermark after that, never before.
 */
@ApplicationScoped
public class AssignmentPublisher {

    public static final String CHANNEL = "assignments";

    private final MutinyEmitter<String> emitter;

    public AssignmentPublisher(@Channel(CHANNEL) MutinyEmitter<String> emitter) {
        this.emitter = emitter;
    }

    public Uni<Void> send(AssignmentEvent event) {
        return emitter.sendMessage(KafkaRecords.keyed(event.key(), Json.write(event)));
    }
}
