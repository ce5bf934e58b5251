package dev.provisioning.writer.messaging;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.telemetry.MessageTraces;
import dev.provisioning.telemetry.SendLimit;
import dev.provisioning.writer.provisioning.ResultJson;

/**
 * Publishes results on {@code provisioning.results}; completes once the broker acknowledged them ({@code acks=all}).
 *
 * <p>
 * Every result of the writer goes through here (tenants' lanes, deferrals, records given up, the API), within one
 * {@link SendLimit} of {@link SendLimit#DEFAULT_MAX} results in flight: the lanes run up to
 * {@code writer.concurrency.objects} (64) objects per tenant and nothing bounds the tenants, so 18 busy tenants alone
 * could ask for more sends than the emitter takes (its 128-message buffer plus the sink's 1,024 requests); beyond it a
 * send failed with {@code SRMSG00034}, the record was nacked and the operations channel stopped. A result beyond the
 * bound waits for an earlier one's ack (no thread held); results enter the emitter in the order they were asked for.
 * Each result's producer span continues the trace current when it was asked for (the record's, in a lane). A result's
 * JSON is the one written when it was recorded ({@link ResultJson}), not written again.
 */
@ApplicationScoped
public class ResultPublisher {

    private final SendLimit<String> results;
    private final ResultJson json;

    public ResultPublisher(@Channel(Channels.RESULTS) MutinyEmitter<String> results, ResultJson json) {
        this.results = new SendLimit<>(SendLimit.DEFAULT_MAX, results::sendMessage);
        this.json = json;
    }

    public Uni<Void> publish(ProvisioningResult result) {
        return publish(result, Context.current());
    }

    /** Publishes in order; every result continues the trace current at this call. */
    public Uni<Void> publishAll(List<ProvisioningResult> list) {
        Context trace = Context.current();
        return Multi.createFrom().iterable(list).onItem().transformToUniAndConcatenate(r -> publish(r, trace))
                .collect().last().replaceWithVoid();
    }

    /** The most results in flight at once since the previous call ({@link SendLimit#takePeak()}), for tests. */
    public int takePeakInFlight() {
        return results.takePeak();
    }

    private Uni<Void> publish(ProvisioningResult result, Context trace) {
        Message<String> message = Message.of(json.of(result))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(result.key()).build());
        return results.send(MessageTraces.continuing(message, trace));
    }
}
