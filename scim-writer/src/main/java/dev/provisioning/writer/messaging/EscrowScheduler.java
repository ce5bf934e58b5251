package dev.provisioning.writer.messaging;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.EventKeys;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.config.WriterMeters;
import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.lanes.Lanes;
import dev.provisioning.writer.persistence.EscrowStore;

/**
 * Brings waiting operations back: each is republished on {@code provisioning.operations} (same key, header
 * {@code escrow-retry}), so it goes through the same per-object order as every other operation.
 * <ul>
 * <li>Every {@code writer.escrow.poll-interval}: the due escrowed operations (Entra's schedule) and the released held
 * ones; then the gauges {@code scim.writer.escrowed}, {@code scim.writer.held} and {@code scim.writer.deferred} per
 * job are refreshed.</li>
 * <li>Every {@code writer.lanes.release-interval}: the lanes defer what waited too long ({@link Lanes#sweep}), and
 * deferred operations are released to tenants whose lane on this replica has room (half of it per round, oldest
 * first).</li>
 * </ul>
 * Claims skip rows another replica holds ({@code FOR UPDATE SKIP LOCKED}); a republished operation that is lost is
 * republished after {@code writer.escrow.lease}.
 */
@ApplicationScoped
public class EscrowScheduler {

    private static final Logger LOG = Logger.getLogger(EscrowScheduler.class);
    /** Republished operations awaiting their broker acks at once: within the emitter's default buffer (128). */
    static final int REPUBLISH_IN_FLIGHT = 128;

    private final EscrowStore store;
    private final MutinyEmitter<String> operations;
    private final Lanes lanes;
    private final WriterConfig config;
    private final MeterRegistry registry;
    private final Map<String, Map<EscrowState, AtomicLong>> waitingByJob = new ConcurrentHashMap<>();

    public EscrowScheduler(EscrowStore store, @Channel(Channels.ESCROW_RETRIES) MutinyEmitter<String> operations,
            Lanes lanes, WriterConfig config, MeterRegistry registry) {
        this.store = store;
        this.operations = operations;
        this.lanes = lanes;
        this.config = config;
        this.registry = registry;
    }

    @Scheduled(every = "${writer.escrow.poll-interval:1m}", delay = 2, delayUnit = TimeUnit.SECONDS, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> tick() {
        return store.claimDue(config.escrow().lease(), 500)
                .chain(this::republishAll)
                .chain(this::refreshGauges)
                .onFailure().invoke(e -> LOG.warnf("escrow tick failed, next tick retries: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    @Scheduled(every = "${writer.lanes.release-interval:2s}", delay = 2, delayUnit = TimeUnit.SECONDS, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> releaseDeferred() {
        int swept = lanes.sweep();
        if (swept > 0) {
            LOG.infof("%d operations waited longer than writer.lanes.max-wait=%s in their tenant's lane: deferred",
                    swept, config.lanes().maxWait());
        }
        return store.tenantsWithDeferred()
                .chain(tenants -> Multi.createFrom().iterable(tenants).onItem().transformToUniAndConcatenate(tenant -> {
                    int room = lanes.room(tenant) / 2;
                    if (room == 0) {
                        return Uni.createFrom().voidItem();
                    }
                    return store.claimDeferred(tenant, config.escrow().lease(), room).chain(this::republishAll);
                }).collect().last())
                .onFailure().invoke(e -> LOG.warnf("release of deferred operations failed, next round retries: %s",
                        e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /**
     * Republishes claimed operations, up to {@value #REPUBLISH_IN_FLIGHT} awaiting their broker acks at once (sent in
     * claim order; each row is one object, so no two of them need an order between them). One at a time, a release
     * round took a produce round trip (the 5 ms linger plus the ack) per operation: about 170 operations per second for
     * the whole writer, which capped a 100,000-user initial sync whose tenant's lane was full (its new objects are
     * deferred and come back this way).
     *
     * @return completes when every one was acked by the broker; fails with the first send that failed (the others'
     *         rows are republished after {@code writer.escrow.lease})
     */
    private Uni<Void> republishAll(List<Escrowed> claimed) {
        if (claimed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(claimed).onItem().transformToUni(this::republish)
                .merge(REPUBLISH_IN_FLIGHT).collect().last().replaceWithVoid();
    }

    private Uni<Void> republish(Escrowed escrowed) {
        if (escrowed.state() == EscrowState.DEFERRED) {
            LOG.debugf("releasing deferred operation %s for job %s, object %s", escrowed.operationId(),
                    escrowed.jobId(), escrowed.objectId());
        } else {
            LOG.infof("retrying %s operation %s for job %s, object %s (scheduled retry %d)",
                    escrowed.state().name().toLowerCase(java.util.Locale.ROOT), escrowed.operationId(),
                    escrowed.jobId(), escrowed.objectId(), escrowed.retries() + 1);
        }
        RecordHeaders headers = new RecordHeaders();
        headers.add(Channels.ESCROW_RETRY_HEADER, escrowed.operationId().getBytes(StandardCharsets.UTF_8));
        return operations.sendMessage(Message.of(escrowed.operationJson()).addMetadata(OutgoingKafkaRecordMetadata
                .<String>builder().withKey(EventKeys.of(escrowed.jobId(), escrowed.objectId())).withHeaders(headers)
                .build()));
    }

    /**
     * A job's configuration arrived: its gauges {@code scim.writer.escrowed}, {@code scim.writer.held} and
     * {@code scim.writer.deferred} are reported from now on (0 until the next refresh says otherwise), so a dashboard
     * shows 0 rather than nothing for a job with nothing waiting.
     */
    public void jobKnown(String jobId) {
        waitingByJob.computeIfAbsent(jobId, this::gauges);
    }

    /** The job was deleted: none of its series (gauges, counters, the request histogram) is reported any more. */
    public void jobDeleted(String jobId) {
        waitingByJob.remove(jobId);
        List<Meter> meters = registry.getMeters().stream()
                .filter(m -> jobId.equals(m.getId().getTag(PROVISIONING_JOB))).toList();
        meters.forEach(registry::remove);
    }

    /** Refreshes {@code scim.writer.escrowed}, {@code scim.writer.held} and {@code scim.writer.deferred} per job. */
    public Uni<Void> refreshGauges() {
        return store.countsByJob().invoke(counts -> {
            waitingByJob.values().forEach(byState -> byState.values().forEach(v -> v.set(0)));
            counts.forEach((job, byState) -> byState.forEach((state, count) -> waitingByJob
                    .computeIfAbsent(job, this::gauges).get(state).set(count)));
        }).replaceWithVoid();
    }

    private Map<EscrowState, AtomicLong> gauges(String job) {
        Map<EscrowState, AtomicLong> values = new EnumMap<>(EscrowState.class);
        for (EscrowState state : EscrowState.values()) {
            AtomicLong value = new AtomicLong();
            values.put(state, value);
            String name = switch (state) {
                case ESCROWED -> WriterMeters.ESCROWED;
                case HELD -> WriterMeters.HELD;
                case DEFERRED -> WriterMeters.DEFERRED;
            };
            String description = switch (state) {
                case ESCROWED -> "Objects in escrow (failed transiently, retried on Entra's schedule)";
                case HELD -> "Objects held while the job's Druva token is rejected";
                case DEFERRED -> "Operations deferred until their tenant's lane has room (not failures)";
            };
            Gauge.builder(name, value, AtomicLong::get).description(description).tag(PROVISIONING_JOB, job)
                    .register(registry);
        }
        return values;
    }
}
