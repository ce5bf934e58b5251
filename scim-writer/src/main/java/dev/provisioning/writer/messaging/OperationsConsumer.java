package dev.provisioning.writer.messaging;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.provisioning.KeySequencer;
import dev.provisioning.writer.provisioning.OperationProcessor;

/**
 * {@code provisioning.operations} in (batches), {@code provisioning.results} out: one result per operation.
 *
 * <p>
 * A batch is split by key (job/object): each key's records run one after the other, in offset order, while
 * different keys run concurrently ({@code writer.concurrency.objects} at once; requests are further held by the
 * tenant's rate limit and in-flight cap). The batch is acked only once every record in it is done, that is its
 * result is on Kafka, or it is escrowed, or it was dead-lettered; with {@code commit-strategy=throttled} the offsets
 * are committed only then (at-least-once). A malformed record is sent to {@code provisioning.operations.dlq} with
 * the reason in the {@code dead-letter-reason} header and the batch goes on; no other failure dead-letters (see
 * {@link OperationProcessor}).
 */
@ApplicationScoped
public class OperationsConsumer {

    private static final Logger LOG = Logger.getLogger(OperationsConsumer.class);

    private final OperationProcessor processor;
    private final KeySequencer sequencer;
    private final ResultPublisher results;
    private final MutinyEmitter<String> deadLetters;
    private final WriterConfig config;

    public OperationsConsumer(OperationProcessor processor, KeySequencer sequencer, ResultPublisher results,
            @Channel(Channels.DEAD_LETTERS) MutinyEmitter<String> deadLetters, WriterConfig config) {
        this.processor = processor;
        this.sequencer = sequencer;
        this.results = results;
        this.deadLetters = deadLetters;
        this.config = config;
    }

    @Incoming(Channels.OPERATIONS)
    public Uni<Void> onBatch(KafkaRecordBatch<String, String> batch) {
        Map<String, List<KafkaRecord<String, String>>> byKey = new LinkedHashMap<>();
        for (KafkaRecord<String, String> record : batch) {
            String key = record.getKey() == null
                    ? record.getTopic() + "-" + record.getPartition() + "@" + offset(record)
                    : record.getKey();
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(record);
        }
        return Multi.createFrom().iterable(byKey.values())
                .onItem().transformToUni(this::inOrder).merge(config.concurrency().objects())
                .collect().last()
                .chain(() -> Uni.createFrom().completionStage(batch.ack()));
    }

    private Uni<Void> inOrder(List<KafkaRecord<String, String>> records) {
        return Multi.createFrom().iterable(records).onItem().transformToUniAndConcatenate(this::handle)
                .collect().last().replaceWithVoid();
    }

    private Uni<Void> handle(KafkaRecord<String, String> record) {
        ScimOperation op;
        try {
            op = EventChecks.operation(record.getPayload());
        } catch (MalformedEventException | NullPointerException e) {
            String reason = e.getMessage() == null ? "the record has no value" : e.getMessage();
            LOG.warnf("malformed operation (key %s, partition %d, offset %d) sent to the dead-letter topic: %s",
                    record.getKey(), record.getPartition(), offset(record), reason);
            return deadLetter(record, reason);
        }
        Header retry = record.getHeaders().lastHeader(Channels.ESCROW_RETRY_HEADER);
        boolean escrowRetry = retry != null;
        return sequencer.run(op.key(), () -> processor.process(op, null, escrowRetry).call(results::publishAll))
                .replaceWithVoid();
    }

    private Uni<Void> deadLetter(KafkaRecord<String, String> record, String reason) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("dead-letter-reason", reason.getBytes(StandardCharsets.UTF_8));
        headers.add("dead-letter-topic", record.getTopic().getBytes(StandardCharsets.UTF_8));
        headers.add("dead-letter-partition", String.valueOf(record.getPartition()).getBytes(StandardCharsets.UTF_8));
        headers.add("dead-letter-offset", String.valueOf(offset(record)).getBytes(StandardCharsets.UTF_8));
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(record.getKey()).withHeaders(headers).build();
        return deadLetters.sendMessage(Message.of(record.getPayload() == null ? "" : record.getPayload())
                .addMetadata(metadata));
    }

    private static long offset(KafkaRecord<String, String> record) {
        return record instanceof io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord<?, ?> incoming
                ? incoming.getOffset()
                : -1;
    }
}
