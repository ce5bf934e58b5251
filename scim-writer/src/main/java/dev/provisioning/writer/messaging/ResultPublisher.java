package dev.provisioning.writer.messaging;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;

/** Publishes results on {@code provisioning.results}; completes once the broker acknowledged them ({@code acks=all}). */
@ApplicationScoped
public class ResultPublisher {

    private final MutinyEmitter<String> results;

    public ResultPublisher(@Channel(Channels.RESULTS) MutinyEmitter<String> results) {
        this.results = results;
    }

    public Uni<Void> publish(ProvisioningResult result) {
        Message<String> message = Message.of(Json.write(result))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(result.key()).build());
        return results.sendMessage(message);
    }

    /** Publishes in order. */
    public Uni<Void> publishAll(List<ProvisioningResult> list) {
        return Multi.createFrom().iterable(list).onItem().transformToUniAndConcatenate(this::publish).collect().last()
                .replaceWithVoid();
    }
}
