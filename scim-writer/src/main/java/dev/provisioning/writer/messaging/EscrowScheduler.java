package dev.provisioning.writer.messaging;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.EventKeys;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;
import dev.provisioning.telemetry.SendLimit;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.config.WriterMeters;
import dev.provisioning.writer.config.WriterStop;
import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.lanes.DeferredReleases;
import dev.provisioning.writer.lanes.Lanes;
import dev.provisioning.writer.persistence.EscrowStore;

/**
 * Brings waiting operations back: each is republished on {@code provisioning.operations} (same key, header
 * {@code escrow-retry}), so it goes through the same per-object order as every other operation.
 * <ul>
 * <li>Every {@code writer.escrow.poll-interval}: the due escrowed operations (Entra's schedule) and the released held
 * ones; then the gauges {@code scim.writer.escrowed}, {@code scim.writer.held} and {@code scim.writer.deferred} per
 * job are refreshed.</li>
 * <li>Deferred operations as their tenant's lane drains ({@link DeferredReleases}): when an operation of a lane is
 * done and its tenant has deferred operations, as many as the lane's room (less the rooms reserved for operations
 * released before and not arrived yet) of the partitions of {@code provisioning.operations} this replica holds are
 * claimed, oldest first, their rooms reserved ({@link Lanes#reserve}) and admitted straight into the lane; at most one
 * release per tenant in flight. Counted in {@code scim.writer.deferred.released} by {@code path}.</li>
 * <li>Every {@code writer.lanes.release-interval}, the backstop: the lanes defer what waited too long
 * ({@link Lanes#sweep}), and every tenant with due deferred operations in the table (deferred by another replica, or
 * before a restart, or whose release failed) is handed to the same release.</li>
 * <li>When a job's held operations are released or a tenant's escrowed ones are made due at once
 * ({@link #releaseDueNow}), they are republished then, not at the next poll.</li>
 * </ul>
 * Claims skip rows another replica holds ({@code FOR UPDATE SKIP LOCKED}); a republished operation that is lost is
 * republished after {@code writer.escrow.lease}. Republished operations share one bound of sends in flight
 * ({@link SendLimit}), whichever tenant's release or poll sends them.
 * <p>
 * At a stop ({@link WriterStop#SCHEDULED}) no poll, backstop round or release starts, and those under way are waited
 * for (until the stop's deadline) while the database and the broker still answer; the rows not claimed stay due, those
 * claimed and not republished come back after their lease. A failure while stopping is logged at DEBUG.
 */
@ApplicationScoped
public class EscrowScheduler {

    private static final Logger LOG = Logger.getLogger(EscrowScheduler.class);
    /** Republished operations awaiting their broker acks at once: within the emitter's default buffer (128). */
    static final int REPUBLISH_IN_FLIGHT = 128;

    /** Due escrowed or released held operations claimed per statement. */
    static final int DUE_PER_CLAIM = 500;

    private final EscrowStore store;
    private final SendLimit<String> operations;
    private final Lanes lanes;
    private final DeferredReleases releases;
    private final OperationsConsumer consumer;
    private final OperationsPartitions partitions;
    private final Counter releasedToLanes;
    private final Counter releasedThroughKafka;
    private final WriterConfig config;
    private final MeterRegistry registry;
    private final Map<String, Map<EscrowState, AtomicLong>> waitingByJob = new ConcurrentHashMap<>();
    /** Polls of due escrowed and held operations asked for at once: 0 none, 1 one running, 2 one more after it. */
    private final AtomicInteger polls = new AtomicInteger();
    private final ScheduledRounds rounds = new ScheduledRounds();
    private final WriterStop stop;

    public EscrowScheduler(EscrowStore store, @Channel(Channels.ESCROW_RETRIES) MutinyEmitter<String> operations,
            Lanes lanes, OperationsConsumer consumer,
            @Identifier(OperationsPartitions.NAME) OperationsPartitions partitions, WriterConfig config,
            MeterRegistry registry, WriterStop stop) {
        this.stop = stop;
        this.store = store;
        this.operations = new SendLimit<>(SendLimit.DEFAULT_MAX, operations::sendMessage);
        this.lanes = lanes;
        this.consumer = consumer;
        this.partitions = partitions;
        this.releasedToLanes = released(registry, WriterMeters.RELEASED_TO_LANE);
        this.releasedThroughKafka = released(registry, WriterMeters.RELEASED_THROUGH_KAFKA);
        this.releases = new DeferredReleases(lanes, this::releaseTo);
        this.config = config;
        this.registry = registry;
    }

    /**
     * From start on, every operation done in a lane may release its tenant's deferred operations; and at once (the
     * first round of {@link #tick} may have been skipped: see there), what fell due while the writer was down is
     * republished. Observed after the messaging channels are wired (SmallRye's StartupEvent observer has priority
     * 1000, this one the default).
     */
    void listenToLanes(@Observes StartupEvent event) {
        lanes.listen(releases);
        releaseDueNow();
    }

    /**
     * Every {@code writer.escrow.poll-interval}: republishes due escrowed and released held operations, then refreshes
     * the gauges. Skipped while the application is not running ({@link Scheduled.ApplicationNotRunning}): the
     * scheduler starts before the messaging channels are wired, and a round run then could not create this bean
     * (SmallRye {@code SRMSG00019: Unable to connect an emitter with the channel escrow-retries}, logged as an error
     * with its stack at a slow start). Nothing is lost: the rows stay due, and {@link #listenToLanes} polls once at
     * start.
     */
    @Scheduled(every = "${writer.escrow.poll-interval:1m}", delay = 2, delayUnit = TimeUnit.SECONDS, concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> tick() {
        return rounds.run(() -> pollDue().chain(this::refreshGauges))
                .onFailure().invoke(e -> warn("escrow tick failed, next tick retries: %s", e))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /**
     * The writer stops ({@link WriterStop#SCHEDULED}): no new poll, backstop round or release, and those under way are
     * waited for, until the stop's deadline.
     */
    void stop(@Observes @Priority(WriterStop.SCHEDULED) ShutdownEvent event) {
        if (!rounds.stop(stop.left())) {
            LOG.infof("%s still running at the stop's deadline: abandoned, their rows are released again "
                    + "after their lease", Plural.of(rounds.underway(), "escrow round was", "escrow rounds were"));
        }
    }

    /** A failure logged as WARN, or as DEBUG while the writer stops (it may be the stop's doing; nothing is lost). */
    private void warn(String format, Throwable e) {
        LOG.logf(rounds.failureLevel(Logger.Level.WARN), format, e.toString());
    }

    /**
     * Escrowed or held operations were made due now (a job's hold released, a tenant answering again): they are
     * claimed and republished at once rather than at the next {@code writer.escrow.poll-interval}. Coalesced: one poll
     * at a time, and one more after it when asked for meanwhile.
     */
    public void releaseDueNow() {
        if (polls.getAndUpdate(n -> Math.min(2, n + 1)) == 0) {
            pollNow();
        }
    }

    private void pollNow() {
        rounds.run(this::pollDue).onFailure().invoke(e -> warn("republishing due escrowed operations failed, the "
                + "next poll retries: %s", e))
                .onFailure().recoverWithNull()
                .subscribe().with(ignored -> {
                    if (polls.getAndDecrement() == 2) {
                        pollNow();
                    }
                });
    }

    /** Claims one batch of due escrowed and released held operations and republishes them. */
    private Uni<Void> pollDue() {
        return store.claimDue(config.escrow().lease(), DUE_PER_CLAIM).chain(this::republishAll);
    }

    /**
     * The backstop of the releases as lanes drain: defers what waited too long in its lane ({@link Lanes#sweep}) and
     * hands every tenant with due deferred operations in the table to {@link DeferredReleases} (those deferred by
     * another replica or before a restart, those whose release failed or whose reserved rooms lapsed). Skipped while
     * the application is not running, like {@link #tick}: the rows stay due for the next round.
     */
    @Scheduled(every = "${writer.lanes.release-interval:2s}", delay = 2, delayUnit = TimeUnit.SECONDS, concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> releaseDeferred() {
        return rounds.run(this::releaseDeferredNow);
    }

    private Uni<Void> releaseDeferredNow() {
        int swept = lanes.sweep();
        if (swept > 0) {
            LOG.infof("%s longer than writer.lanes.max-wait=%s in their tenant's lane (or %s, kept beyond its rooms "
                    + "to start soon): deferred", Plural.of(swept, "operation waited", "operations waited"),
                    config.lanes().maxWait(), Lanes.SOON);
        }
        OperationsPartitions.Owners owners = partitions.owners();
        if (owners.none()) {
            return Uni.createFrom().voidItem();
        }
        return store.tenantsWithDeferred(owners.partitions().keySet())
                .invoke(tenants -> tenants.forEach(releases::deferred))
                .onFailure().invoke(e -> warn("release of deferred operations failed, next round retries: %s", e))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /**
     * One release of a tenant's deferred operations ({@link DeferredReleases.Release}), by one rule: a deferred
     * operation belongs to its partition's owner ({@link OperationsPartitions.Owners}; one deferred before its
     * partition was recorded, {@link Escrowed#partition} null, or whose partition is no longer its key's since the
     * topic got more partitions, to the replica that holds every partition, if any). Claims up to {@code limit} of the
     * rows this replica may release (those of the partitions of {@code provisioning.operations} it holds, and those
     * without a partition), the longest due first; those it owns are admitted straight into the tenant's lane
     * ({@link OperationsConsumer#admitReleased}, their rooms reserved before the first is handed back, so none arrives
     * before its room is kept), each under its partition's ownership as held before the claim: a rebalance meanwhile
     * hands those not started yet back to Kafka (republished on their key, to the new owner). Those it does not own
     * (no partition, or one that is no longer their key's, on a replica that does not hold them all) are republished
     * on their key, so they run on the replica that holds their object's partition. So each deferred operation is
     * released once, by the replica that runs its object's other operations, and its room is reserved on
     * that replica. A crash after the claim leaves the rows to be released again after
     * {@code writer.lanes.release-lease} (30 s).
     *
     * <p>
     * Why straight into the lane (issue 13): in a one-tenant 30,000-user initial sync about 20,000 users are deferred
     * and released, and their trip through Kafka (a produce, then a consume: about 7 % of the writer's CPU samples)
     * added some 22,000 records to the topic. Why by partition (issue 13's tenth round): with two replicas each claimed
     * any of the tenant's rows and republished them, reserving their rooms on itself while half of them went to the
     * other replica, where a full lane deferred them again: about 35,000 releases for a 30,000-user sync.
     */
    private Uni<Integer> releaseTo(String tenant, int limit) {
        // stopping: nothing released (the rows stay deferred for the next owner of their partitions)
        return rounds.run(() -> releaseNow(tenant, limit), 0);
    }

    private Uni<Integer> releaseNow(String tenant, int limit) {
        OperationsPartitions.Owners owners = partitions.owners();
        if (owners.none()) {
            return Uni.createFrom().item(0);
        }
        return store.claimDeferred(tenant, config.lanes().releaseLease(), limit, owners.partitions().keySet())
                .call(claimed -> {
                    Map<Boolean, List<Escrowed>> ownedHere = claimed.stream()
                            .collect(Collectors.partitioningBy(row -> ownerOf(owners, row).isPresent()));
                    List<Escrowed> elsewhere = ownedHere.get(false);
                    releasedThroughKafka.increment(elsewhere.size());
                    return consumer.admitReleased(tenant, ownedHere.get(true),
                            row -> ownerOf(owners, row).orElseThrow(), this::handBack)
                            .invoke(n -> releasedToLanes.increment(n))
                            .chain(() -> republishAll(elsewhere));
                })
                .map(List::size)
                .onFailure().invoke(e -> releaseFailed(tenant, e));
    }

    /**
     * Who releases this deferred operation: the owner of its recorded partition while that is still its key's, else
     * (deferred before V5, or before the topic got more partitions) the replica that holds every partition
     * ({@link OperationsPartitions.Owners#of(Integer, String)}); empty: not this replica.
     */
    private static Optional<OperationsPartitions.Ownership> ownerOf(OperationsPartitions.Owners owners,
            Escrowed row) {
        return owners.of(row.partition(), EventKeys.of(row.jobId(), row.objectId()));
    }

    private void releaseFailed(String tenant, Throwable e) {
        LOG.logf(rounds.failureLevel(Logger.Level.WARN), "release of deferred operations of %s failed, the next "
                + "round of writer.lanes.release-interval retries: %s", tenant, e.toString());
    }

    /**
     * A released operation admitted into its lane that had not started when a rebalance took partitions away
     * ({@link OperationsConsumer#admitReleased}): republished on its key, so it runs on the replica its partition went
     * to, and counted on {@code path=kafka} too (it was counted on {@code path=lane} when admitted). Its row stays claimed for
     * {@code writer.lanes.release-lease}: should the record take longer to be consumed, the row is released once more
     * and the second copy finds its operation done ({@code processed_operation}) or superseded.
     */
    private Uni<Void> handBack(Escrowed released) {
        releasedThroughKafka.increment();
        return republish(released);
    }

    /**
     * Republishes claimed operations, up to {@value #REPUBLISH_IN_FLIGHT} of this batch awaiting their broker acks at
     * once (sent in claim order; each row is one object, so no two of them need an order between them), within the
     * bound shared by all batches. One at a time, a release round took a produce round trip (the 5 ms linger plus the
     * ack) per operation: about 170 operations per second for the whole writer, which capped a 100,000-user initial
     * sync whose tenant's lane was full (its new objects are deferred and come back this way).
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
        return operations.send(Message.of(escrowed.operationJson()).addMetadata(OutgoingKafkaRecordMetadata
                .<String>builder().withKey(EventKeys.of(escrowed.jobId(), escrowed.objectId())).withHeaders(headers)
                .build()));
    }

    private static Counter released(MeterRegistry registry, String path) {
        return Counter.builder(WriterMeters.DEFERRED_RELEASED).tag(WriterMeters.RELEASE_PATH, path)
                .description("Deferred operations released as their tenant's lane drained, by path: straight into the "
                        + "lane (by the replica that holds their partition) or republished through Kafka (handed back "
                        + "by a rebalance before they started, or deferred before their partition was recorded)")
                .register(registry);
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
