package dev.provisioning.detector.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.Json;
import dev.provisioning.telemetry.MessageTraces;

/**
 * Sends assignment events to {@code provisioning.assignments} (channel {@value #CHANNEL}), keyed by job and object. The
 * returned Uni completes only when the broker acknowledged the record (acks=all, idempotent producer): the cycle moves
 * its watermark after that, never before. Each event starts a trace of its own (with tracing on): one object's trace
 * goes from this send through the mapper and the writer to the Druva request, rather than one trace per cycle.
 */
@ApplicationScoped
public class AssignmentPublisher {

    public static final String CHANNEL = "assignments";

    private final MutinyEmitter<String> emitter;

    public AssignmentPublisher(@Channel(CHANNEL) MutinyEmitter<String> emitter) {
        this.emitter = emitter;
    }

    public Uni<Void> send(AssignmentEvent event) {
        return emitter.sendMessage(MessageTraces.newTrace(KafkaRecords.keyed(event.key(), Json.write(event))));
    }
}
