package dev.provisioning.detector.messaging;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.Json;
import dev.provisioning.events.Topics;
import dev.provisioning.telemetry.MessageTraces;
import dev.provisioning.telemetry.SendLimit;

/**
 * Sends assignment events to {@code provisioning.assignments} (channel {@value #CHANNEL}), keyed by job and object. The
 * returned Uni completes only when the broker acknowledged the record (acks=all, idempotent producer): the cycle moves
 * its watermark after that, never before. Each event starts a trace of its own (with tracing on): one object's trace
 * goes from this send through the mapper and the writer to the Druva request, rather than one trace per cycle.
 *
 * <p>
 * At most {@link SendLimit#DEFAULT_MAX} events are in flight, all cycles and releases of held deletions together
 * ({@link SendLimit}): each cycle sends up to {@code detector.emit-concurrency} (256) at once and a replica runs up to
 * {@code detector.max-running-cycles} (32), so five large cycles emitting together asked for more than the emitter
 * takes (its 128-message buffer plus the sink's 1,024 requests), and the sends beyond failed with {@code SRMSG00034}
 * (the cycle failed). An event beyond the bound waits for an earlier one's ack (no thread held).
 */
@ApplicationScoped
public class AssignmentPublisher {

    public static final String CHANNEL = "assignments";

    private final SendLimit<String> emitter;

    public AssignmentPublisher(@Channel(CHANNEL) MutinyEmitter<String> emitter) {
        this.emitter = new SendLimit<>(SendLimit.DEFAULT_MAX, emitter::sendMessage);
    }

    /**
     * Sends one event; the Uni fails with an {@link IllegalArgumentException} (before anything is sent) when the event
     * is larger than {@link Topics#MAX_RECORD_BYTES}, which only a group of about 400,000 direct members reaches.
     */
    public Uni<Void> send(AssignmentEvent event) {
        String json;
        try {
            json = checkedJson(event);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(e);
        }
        return emitter.send(MessageTraces.newTrace(KafkaRecords.keyed(event.key(), json)));
    }

    /**
     * The event's JSON, checked against the topic's record limit.
     *
     * @throws IllegalArgumentException naming the object, its member count, the size and the limit, when the record
     *         would exceed {@link Topics#MAX_RECORD_BYTES} (Kafka would refuse it with {@code RecordTooLargeException})
     */
    static String checkedJson(AssignmentEvent event) {
        String json = Json.write(event);
        // UTF-8 takes at most 3 bytes per UTF-16 char: measure exactly only when it could be over
        if ((long) json.length() * 3 > Topics.MAX_RECORD_BYTES) {
            int bytes = json.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > Topics.MAX_RECORD_BYTES) {
                throw new IllegalArgumentException(event.objectType().name().toLowerCase(Locale.ROOT) + " '"
                        + event.displayName() + "' (" + event.objectId() + ") with " + event.members().size()
                        + " direct members makes a " + bytes + "-byte assignment event, over the "
                        + Topics.MAX_RECORD_BYTES
                        + "-byte record limit of " + Topics.ASSIGNMENTS + ": it cannot be provisioned as one group");
            }
        }
        return json;
    }
}
