package dev.provisioning.writer.escrow;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.EventKeys;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.messaging.Channels;

/**
 * Every {@code writer.escrow.poll-interval}: claims the due escrows and republishes their operations on
 * {@code provisioning.operations} (same key, header {@code escrow-retry}), so a retry goes through the same
 * per-object order as every other operation; then refreshes the {@code scim.writer.escrowed} gauge per job.
 * Claims skip rows another replica holds ({@code FOR UPDATE SKIP LOCKED}); a republished retry that is lost is
 * republished after {@code writer.escrow.lease}.
 */
@ApplicationScoped
public class EscrowScheduler {

    private static final Logger LOG = Logger.getLogger(EscrowScheduler.class);

    private final EscrowStore store;
    private final MutinyEmitter<String> operations;
    private final WriterConfig config;
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> escrowedByJob = new ConcurrentHashMap<>();

    public EscrowScheduler(EscrowStore store, @Channel(Channels.ESCROW_RETRIES) MutinyEmitter<String> operations,
            WriterConfig config, MeterRegistry registry) {
        this.store = store;
        this.operations = operations;
        this.config = config;
        this.registry = registry;
    }

    @Scheduled(every = "${writer.escrow.poll-interval:1m}", delay = 2, delayUnit = java.util.concurrent.TimeUnit.SECONDS, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> tick() {
        return store.claimDue(config.escrow().lease(), 500)
                .chain(due -> Multi.createFrom().iterable(due).onItem()
                        .transformToUniAndConcatenate(this::republish).collect().last())
                .chain(this::refreshGauges)
                .onFailure().invoke(e -> LOG.warnf("escrow tick failed, next tick retries: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private Uni<Void> republish(Escrowed escrowed) {
        LOG.infof("retrying escrowed operation %s for job %s, object %s (scheduled retry %d)",
                escrowed.operationId(), escrowed.jobId(), escrowed.objectId(), escrowed.retries() + 1);
        RecordHeaders headers = new RecordHeaders();
        headers.add(Channels.ESCROW_RETRY_HEADER, escrowed.operationId().getBytes(StandardCharsets.UTF_8));
        return operations.sendMessage(Message.of(escrowed.operationJson()).addMetadata(OutgoingKafkaRecordMetadata
                .<String>builder().withKey(EventKeys.of(escrowed.jobId(), escrowed.objectId())).withHeaders(headers)
                .build()));
    }

    /** Refreshes {@code scim.writer.escrowed{job}} from the table. */
    public Uni<Void> refreshGauges() {
        return store.countsByJob().invoke(counts -> {
            escrowedByJob.values().forEach(v -> v.set(0));
            counts.forEach((job, count) -> escrowedByJob.computeIfAbsent(job, this::gauge).set(count));
        }).replaceWithVoid();
    }

    private AtomicLong gauge(String job) {
        AtomicLong value = new AtomicLong();
        Gauge.builder("scim.writer.escrowed", value, AtomicLong::get)
                .description("Objects in escrow (failing transiently, retried on a schedule)")
                .tag("job", job)
                .register(registry);
        return value;
    }
}
