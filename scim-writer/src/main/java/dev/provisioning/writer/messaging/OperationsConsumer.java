package dev.provisioning.writer.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.writer.provisioning.OperationProcessor;

/**
 * {@code provisioning.operations} in, {@code provisioning.results} out: one result per operation. The record is acked
 * (and its offset becomes committable) only once the result is on Kafka ({@code acks=all}); a failure nacks it, and a
 * malformed record goes to {@code provisioning.operations.dlq} with the reason in the {@code dead-letter-reason}
 * header while the consumer carries on.
 */
@ApplicationScoped
public class OperationsConsumer {

    private static final Logger LOG = Logger.getLogger(OperationsConsumer.class);

    private final OperationProcessor processor;
    private final MutinyEmitter<String> results;

    public OperationsConsumer(OperationProcessor processor, @Channel(Channels.RESULTS) MutinyEmitter<String> results) {
        this.processor = processor;
        this.results = results;
    }

    @Incoming(Channels.OPERATIONS)
    public Uni<Void> onOperation(String json) {
        ScimOperation op;
        try {
            op = EventChecks.operation(json);
        } catch (MalformedEventException e) {
            LOG.warnf("malformed operation sent to the dead-letter topic: %s", e.getMessage());
            return Uni.createFrom().failure(e);
        }
        return processor.process(op).chain(this::emit);
    }

    private Uni<Void> emit(ProvisioningResult result) {
        Message<String> message = Message.of(Json.write(result))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(result.key()).build());
        return results.sendMessage(message);
    }
}
