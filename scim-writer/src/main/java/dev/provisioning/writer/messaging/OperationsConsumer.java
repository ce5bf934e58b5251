package dev.provisioning.writer.messaging;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.EventKeys;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.telemetry.AdmissionLimit;
import dev.provisioning.telemetry.CommitsSettled;
import dev.provisioning.telemetry.DeadLetterHeaders;
import dev.provisioning.telemetry.DeadLetterTally;
import dev.provisioning.telemetry.MessageTraces;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.SendLimit;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.config.WriterMeters;
import dev.provisioning.writer.config.WriterStop;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.lanes.JobWaits;
import dev.provisioning.writer.lanes.Lanes;
import dev.provisioning.writer.messaging.OperationsPartitions.Ownership;
import dev.provisioning.writer.provisioning.OperationProcessor;
import dev.provisioning.writer.throughput.TenantGates;

/**
 * {@code provisioning.operations} in, one record at a time; {@code provisioning.results} out: one result per
 * operation.
 *
 * <p>
 * A record is taken, not waited for: it goes to its job's tenant's lane ({@link Lanes}: each object's operations in
 * order, different objects concurrently, tenants independent of each other) and is acked when its own operation is
 * done, that is its result is on Kafka, or it is deferred or escrowed in PostgreSQL, or it was dead-lettered. Acks
 * come out of order; {@code commit-strategy=throttled} commits only below the oldest record not yet acked
 * (at-least-once). So a slow, throttled or unknown job holds back its own records only.
 * <ul>
 * <li>A record of a job whose configuration is not known waits for it per job ({@link JobWaits}), not in line; after
 * {@code writer.job-wait-timeout} it is answered with a Failure {@code JobConfigurationInvalid} and dead-lettered; a
 * deleted job's record is dead-lettered at once, whether it waited for its job or was already in its lane. A job's
 * waiting records are resolved by one loop per job within {@link #GIVE_UPS_IN_FLIGHT} ({@link JobWaits}), so that
 * thousands given up at once never overflow the results or dead-letter emitter.</li>
 * <li>A malformed record is dead-lettered with the reason in the {@code dead-letter-reason} header.</li>
 * <li>Every dead-lettered record goes through {@link #deadLetter(Message, String, String, String, String)}: it is
 * counted ({@code scim.writer.operations.dead.lettered{provisioning_job, reason}}) and the log has one WARN per job and
 * reason and a summary when they stop ({@link DeadLetterTally}).</li>
 * <li>Memory: at most {@code writer.lanes.max-records} records are taken and not acked ({@link AdmissionLimit});
 * beyond that the stream waits.</li>
 * <li>Ownership: a record's operation starts only if its partition was not revoked since it was taken
 * ({@link OperationsPartitions}); else it is left, neither acked nor nacked, to the replica the partition went to,
 * which consumes it again (it was not committed). A revocation waits for the operations already running under its
 * partitions, so an object's operations never run on two replicas at once.</li>
 * <li>Sends: at most {@link SendLimit#DEFAULT_MAX} results and as many dead letters are in flight, all tenants and
 * jobs together ({@link SendLimit}); a send beyond that waits for an earlier one's ack, so no burst overflows an
 * emitter.</li>
 * </ul>
 * Nothing else fails a record; if publishing ever did (Kafka unreachable for minutes) the record is nacked, the channel
 * fails, readiness goes down and the records are redelivered after the restart: nothing is skipped.
 * <p>
 * A clean stop ({@link WriterStop}): once no operation starts ({@link OperationsPartitions#stop}), each operation
 * waiting in a lane is handed over when its turn comes, which is at once (nothing runs any more): its record left
 * unacked, a released deferred operation republished on its key. The stop waits until the lanes are empty
 * ({@link WriterStop#LANES}), so the republishing is done while the broker answers. The records waiting for their job's
 * configuration stay as they are, unacked.
 */
@ApplicationScoped
public class OperationsConsumer {

    private static final Logger LOG = Logger.getLogger(OperationsConsumer.class);

    /**
     * Records given up (answered and dead-lettered) or dead-lettered as malformed at once, at most: each holds a room of
     * this bound until its sends are acked. Well within the {@code results} and {@code dead-letters} sinks'
     * {@code max-inflight-messages} (SmallRye's default 1,024), so the emitters' 128-message buffers are never needed:
     * beyond their room a send fails ({@code SRMSG00034}), which nacked the record and failed the channel (6,000 records
     * of a never-configured job given up at once: 2,747 lost). The sends themselves are bounded per emitter, whoever
     * makes them ({@link SendLimit}: the results in {@link ResultPublisher}, the dead letters here), since the lanes
     * run up to {@code writer.concurrency.objects} objects per tenant and nothing bounds the tenants; this bound keeps
     * a burst of give-ups from taking all of that room at once.
     */
    static final int GIVE_UPS_IN_FLIGHT = 256;
    /** How often a stop looks whether the lanes are empty. */
    private static final Duration LANES_LOOK = Duration.ofMillis(20);

    private final OperationProcessor processor;
    private final ResultPublisher results;
    private final SendLimit<byte[]> deadLetters;
    private final JobDirectory jobs;
    private final Lanes lanes;
    private final Vertx vertx;
    private final AdmissionLimit admission;
    private final AdmissionLimit giveUps;
    private final JobWaits waits;
    private final DeadLetterTally deadLettered;
    private final OperationsPartitions partitions;
    /** Released deferred operations admitted here and not done yet (escrow row id and operation id). */
    private final Set<String> inLanes = ConcurrentHashMap.newKeySet();
    private final WriterStop stop;
    private final KafkaClientService kafka;

    public OperationsConsumer(OperationProcessor processor, ResultPublisher results,
            @Channel(Channels.DEAD_LETTERS) MutinyEmitter<byte[]> deadLetters, JobDirectory jobs, Lanes lanes,
            Vertx vertx, @Identifier(OperationsPartitions.NAME) OperationsPartitions partitions, WriterConfig config,
            MeterRegistry registry, WriterStop stop, KafkaClientService kafka) {
        this.stop = stop;
        this.kafka = kafka;
        this.processor = processor;
        this.partitions = partitions;
        this.results = results;
        this.deadLetters = new SendLimit<>(SendLimit.DEFAULT_MAX, deadLetters::sendMessage);
        this.jobs = jobs;
        this.lanes = lanes;
        this.vertx = vertx;
        this.admission = new AdmissionLimit(config.lanes().maxRecords());
        this.giveUps = new AdmissionLimit(GIVE_UPS_IN_FLIGHT);
        this.waits = new JobWaits(jobs::find, config.jobWaitTimeout(), giveUps, Infrastructure.getDefaultWorkerPool(),
                Infrastructure.getDefaultExecutor());
        this.deadLettered = new DeadLetterTally(LOG, registry, WriterMeters.OPERATIONS_DEAD_LETTERED, "operations");
        this.deadLettered.start(Infrastructure.getDefaultWorkerPool());
        Gauge.builder("scim.writer.operations.in.progress", admission, AdmissionLimit::used)
                .description("Operation records taken from Kafka and not acked yet (lanes and job waits)")
                .register(registry);
        Gauge.builder("scim.writer.operations.waiting.for.job", waits, JobWaits::parked)
                .description("Operation records waiting for their job's configuration")
                .register(registry);
    }

    /**
     * Takes a record as it came, its value's UTF-8 bytes ({@code ByteArrayDeserializer}): parsed once, by Jackson's
     * byte parser, into the operation the lanes carry (issue 13: no {@code String} decoded from the bytes and parsed
     * char by char). Its text is made only for what stores or sends it again as text (a deferral's {@code escrow}
     * row); a dead letter carries the bytes received.
     */
    @Incoming(Channels.OPERATIONS)
    public Uni<Void> onOperation(Message<byte[]> message) {
        return admission.acquire().invoke(() -> take(message));
    }

    /**
     * The writer stops ({@link WriterStop#LANES}), after no operation starts any more: the operations still in the lanes
     * are handed over as their turn comes; waits until none is left, at most until the stop's deadline.
     */
    void handedOver(@Observes @Priority(WriterStop.LANES) ShutdownEvent event) {
        long deadline = System.nanoTime() + stop.left().toNanos();
        try {
            while (lanes.size() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(LANES_LOOK.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = lanes.size();
        if (left > 0) {
            LOG.infof("%s still in their lanes at the stop's deadline: left unacked (a released one is "
                    + "released again after its lease)", Plural.of(left, "operation was", "operations were"));
        }
    }

    /**
     * The writer stops ({@link WriterStop#COMMITS}), once the lanes are empty (nothing is acked any more): SmallRye's
     * periodic commit of the offsets acked is waited for, so that none is under way when SmallRye closes the consumer
     * ({@link CommitsSettled}).
     */
    void commits(@Observes @Priority(WriterStop.COMMITS) ShutdownEvent event) {
        if (!CommitsSettled.await(kafka, stop.left(), Channels.OPERATIONS)) {
            LOG.infof("the offsets of operations acked were not all committed by the stop's deadline: they are "
                    + "consumed again after the next start");
        }
    }

    /** The job's configuration arrived or changed (from the jobs consumer): its waiting records go on. */
    public void jobArrived(JobConfig job) {
        waits.jobArrived(job);
    }

    /** The job was deleted (a tombstone, from the jobs consumer): its waiting and later records are dead-lettered. */
    public void jobDeleted(String jobId) {
        processor.forgetJob(jobId);
        waits.jobDeleted(jobId);
    }

    private void take(Message<byte[]> message) {
        ScimOperation op;
        try {
            op = EventChecks.operation(message.getPayload());
        } catch (MalformedEventException | NullPointerException e) {
            String reason = e.getMessage() == null ? "the record has no value" : e.getMessage();
            done(message, giveUps.acquire()
                    .chain(() -> deadLetter(message, malformedJob(message), WriterMeters.MALFORMED, where(message),
                            reason))
                    .eventually(giveUps::release)).subscribe().with(ignored -> {
                    });
            return;
        }
        Ownership ownership = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> partitions.of(new TopicPartition(m.getTopic(), m.getPartition()))).orElse(null);
        offer(op, message, header(message, Channels.ESCROW_RETRY_HEADER).isPresent(), ownership, () -> {
            LOG.debugf("operation %s for job %s, object %s not started here: its partition was revoked (%s), its new "
                    + "owner consumes it again", op.operationId(), op.jobId(), op.objectId(), where(message));
            return Uni.createFrom().voidItem();
        });
    }

    /**
     * Hands a taken record to its job's wait: into its tenant's lane once the job is known, else given up.
     *
     * @param retry whether it is an operation of the {@code escrow} table (republished, or released straight here)
     * @param ownership what it runs under ({@link OperationsPartitions#start}); null: nothing (it always runs)
     * @param handedOver what is done instead of running it when its ownership was revoked before it started; its
     *        record is neither acked nor nacked, unless this does it
     */
    private void offer(ScimOperation op, Message<byte[]> message, boolean retry, Ownership ownership,
            Supplier<Uni<Void>> handedOver) {
        Instant taken = Instant.now();
        waits.offer(op.jobId(), new JobWaits.Parked() {
            @Override
            public void admit(JobConfig job) {
                String tenant = TenantGates.tenantKey(job.tenantUrl());
                lanes.admit(tenant, new OperationRecord(op, message, retry, taken, tenant, ownership, handedOver));
            }

            @Override
            public Uni<Void> giveUp(JobWaits.Resolution why, Duration waited) {
                return done(message, unknownJob(op, message, why, waited));
            }
        });
    }

    /**
     * Admits released deferred operations straight into their tenant's lane (issue 13), as if they had been
     * republished and consumed again ({@code escrow-retry}): each takes a room of the admission limit
     * ({@code writer.lanes.max-records}, waiting for one in turn with the records from Kafka), waits for its job's
     * configuration like any record ({@link JobWaits}), and runs as a retry of its {@code escrow} row: carried out and
     * its row removed, or obsolete when a later operation of its object superseded it meanwhile, or deferred again. Its
     * row stays claimed until then; a crash before it is carried out leaves the row to be released again after
     * {@code writer.lanes.release-lease} (30 s). Only for operations of partitions of {@code provisioning.operations}
     * this replica holds ({@link OperationsPartitions}): no other replica runs operations of these objects meanwhile.
     *
     * <p>
     * A row claimed again while its operation is still in a lane here (its claim's lease, {@code
     * writer.lanes.release-lease}, passed in a slow lane) is left there: no second copy is admitted.
     *
     * <p>
     * A rebalance may take partitions away meanwhile (a second replica starting): the revocation waits for the
     * released operations already running ({@link OperationsPartitions}), and one that had not started yet when it
     * came is not run here but handed to {@code handBack} (republished on its key, so it runs on the replica that
     * holds its object's partition, in order with the object's later operations there).
     *
     * @param tenant the tenant whose lane keeps a room for each ({@link Lanes#reserve}) until it is admitted
     * @param released the claimed rows, in claim order; each row's {@code operationJson} is the record's value as
     *        received
     * @param ownershipOf what each row runs under: its partition, or every partition, as held when the rows were
     *        claimed ({@link OperationsPartitions#held}, {@link OperationsPartitions#holdingAll})
     * @param handBack republishes a row whose operation did not start before a revocation; its failure leaves the row
     *        to its lease
     * @return how many were admitted (or handed to their job's wait), once all were; never fails: a row whose
     *         operation cannot be read is left to its lease (it was read once when it was deferred)
     */
    public Uni<Integer> admitReleased(String tenant, List<Escrowed> released, Function<Escrowed, Ownership> ownershipOf,
            Function<Escrowed, Uni<Void>> handBack) {
        List<Escrowed> fresh = released.stream().filter(row -> inLanes.add(inLaneKey(row))).toList();
        lanes.reserve(tenant, fresh.stream().map(row -> EventKeys.of(row.jobId(), row.objectId())).toList());
        return Multi.createFrom().iterable(fresh).onItem()
                .transformToUniAndConcatenate(
                        row -> admission.acquire()
                                .invoke(() -> takeReleased(row, ownershipOf.apply(row), handBack)))
                .collect().last().replaceWith(fresh.size());
    }

    private void takeReleased(Escrowed row, Ownership ownership, Function<Escrowed, Uni<Void>> handBack) {
        ScimOperation op;
        try {
            op = EventChecks.operation(row.operationJson());
        } catch (MalformedEventException | NullPointerException e) {
            LOG.errorf("released operation %s of job %s, object %s cannot be read (%s): left to its lease",
                    row.operationId(), row.jobId(), row.objectId(), e.getMessage());
            inLanes.remove(inLaneKey(row));
            admission.release();
            return;
        }
        // no Kafka record to ack: the row is its record (removed once carried out); done, it may be released again
        String key = inLaneKey(row);
        Supplier<CompletionStage<Void>> leftTheLane = () -> {
            inLanes.remove(key);
            return CompletableFuture.completedFuture(null);
        };
        Message<byte[]> message = Message.of(row.operationJson().getBytes(StandardCharsets.UTF_8), leftTheLane,
                failure -> leftTheLane.get());
        offer(op, message, true, ownership, () -> handBack.apply(row)
                .onFailure().invoke(e -> LOG.warnf("released operation %s of job %s, object %s was not started before "
                        + "a rebalance and cannot be republished (%s): left to its lease", row.operationId(),
                        row.jobId(), row.objectId(), e.toString()))
                .onFailure().recoverWithNull()
                .chain(() -> Uni.createFrom().completionStage(message.ack())));
    }

    private static String inLaneKey(Escrowed row) {
        return row.id() + "\n" + row.operationId();
    }

    /** One record in a lane. */
    private final class OperationRecord implements Lanes.Item {

        private final ScimOperation op;
        private final Message<byte[]> message;
        private final boolean retry;
        private final Instant admittedAt;
        private final String tenant;
        private final Ownership ownership;
        private final Supplier<Uni<Void>> handedOver;

        OperationRecord(ScimOperation op, Message<byte[]> message, boolean retry, Instant admittedAt, String tenant,
                Ownership ownership, Supplier<Uni<Void>> handedOver) {
            this.op = op;
            this.message = message;
            this.retry = retry;
            this.admittedAt = admittedAt;
            this.tenant = tenant;
            this.ownership = ownership;
            this.handedOver = handedOver;
        }

        @Override
        public String key() {
            return op.key();
        }

        @Override
        public Instant admittedAt() {
            return admittedAt;
        }

        @Override
        public Uni<Void> run() {
            return owned(() -> done(message, onNewContext(message, this::carryOut)));
        }

        @Override
        public Uni<Void> defer() {
            LOG.debugf("operation %s for job %s, object %s deferred: the lane of %s is full or slow", op.operationId(),
                    op.jobId(), op.objectId(), tenant);
            // if even the database cannot take it, it is carried out here and now: nothing waits for room forever
            return owned(() -> done(message,
                    onNewContext(message,
                            () -> processor.defer(op, text(message), tenant, retry, partition())
                                    .call(results::publishAll)
                                    .replaceWithVoid()
                                    .onFailure().recoverWithUni(failure -> carryOut()))));
        }

        /**
         * Starts the work if this replica still owns the operation ({@link OperationsPartitions#start}), counting it as
         * running until it completes; else hands it over instead and gives its room back.
         */
        private Uni<Void> owned(Supplier<Uni<Void>> work) {
            return Uni.createFrom().deferred(() -> {
                if (ownership == null) {
                    return work.get();
                }
                if (!partitions.start(ownership)) {
                    return handedOver.get().onFailure().recoverWithNull().eventually(admission::release);
                }
                Uni<Void> started;
                try {
                    started = work.get();
                } catch (RuntimeException e) {
                    started = Uni.createFrom().failure(e);
                }
                // a clean shutdown abandons it (cancelled, its record not acked) rather than wait for it
                return Uni.combine().any().of(started, partitions.abandoned())
                        .replaceWithVoid()
                        .eventually(() -> partitions.finish(ownership));
            });
        }

        /**
         * The partition of {@code provisioning.operations} the operation's key goes to, whose holder releases it once
         * deferred: its record's (or its escrow row's), else the key's ({@link OperationsPartitions#partitionOf}).
         */
        private Integer partition() {
            return ownership != null && ownership.partition() != null
                    ? Integer.valueOf(ownership.partition().partition())
                    : partitions.partitionOf(op.key());
        }

        private Uni<Void> carryOut() {
            Optional<JobConfig> job = jobs.find(op.jobId());
            if (job.isEmpty() || waits.isDeleted(op.jobId())) {
                return deadLetter(message, op.jobId(), DeadLetterTally.JOB_DELETED, op.objectId(),
                        "job " + op.jobId() + " was deleted");
            }
            return processor.process(op, job.get(), retry).call(results::publishAll).replaceWithVoid();
        }
    }

    /**
     * Answers a record whose job never got a configuration with a Failure (so the detector's cycle counts it), then
     * dead-letters it with the reason; a deleted job's record is only dead-lettered (nobody waits for it).
     */
    private Uni<Void> unknownJob(ScimOperation op, Message<byte[]> message, JobWaits.Resolution why,
            Duration waited) {
        String reason = why == JobWaits.Resolution.DELETED
                ? "job " + op.jobId() + " was deleted"
                : "the configuration of job " + op.jobId() + " was not received within " + waited.toSeconds() + " s";
        String reasonTag = why == JobWaits.Resolution.DELETED
                ? DeadLetterTally.JOB_DELETED
                : DeadLetterTally.JOB_NEVER_CONFIGURED;
        Uni<Void> answered = why == JobWaits.Resolution.DELETED
                ? Uni.createFrom().voidItem()
                : results.publish(new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                        ProvisioningResult.idOf(op.jobId(), op.objectId(), op.cycleId(), op.operationId()),
                        op.jobId(), op.cycleId(), op.operationId(), op.objectType(), op.objectId(), null,
                        op.displayName(), actionOf(op), ProvisioningStatus.Failure, ErrorCodes.JOB_CONFIGURATION,
                        reason, null, 0, waited.toMillis(), null, "scim-writer", Instant.now()));
        return answered.chain(() -> deadLetter(message, op.jobId(), reasonTag, op.objectId(), reason));
    }

    /** Acks the record once its work completed (nacks it if the work failed), and gives its room back. */
    private Uni<Void> done(Message<byte[]> message, Uni<Void> work) {
        return work.onItemOrFailure().transformToUni((ignored, failure) -> {
            if (failure != null) {
                LOG.errorf(failure, "operation record %s could not be completed: nacked", where(message));
            }
            return Uni.createFrom().completionStage(failure == null ? message.ack() : message.nack(failure));
        }).onFailure().recoverWithNull().eventually(admission::release).replaceWithVoid();
    }

    /**
     * Runs the work on a fresh duplicated Vert.x context: one per operation, so concurrent operations never share
     * context-local state. The record's trace context (its consumer span) is made current on that context for
     * the whole of the work, so the Druva request's client span and the result's producer span belong to the record's
     * trace, whichever thread the lane ran it from. The scope is not closed: Quarkus keeps the OpenTelemetry context in
     * the duplicated context's locals, and the context is this operation's alone and dropped with it.
     */
    private <T> Uni<T> onNewContext(Message<byte[]> message, Supplier<Uni<T>> work) {
        io.opentelemetry.context.Context trace = MessageTraces.of(message);
        return Uni.createFrom().emitter(emitter -> {
            Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
            VertxContextSafetyToggle.setContextSafe(context, true);
            context.runOnContext(ignored -> {
                trace.makeCurrent();
                Uni<T> uni;
                try {
                    uni = work.get();
                } catch (RuntimeException e) {
                    uni = Uni.createFrom().failure(e);
                }
                Cancellable running = uni.subscribe().with(emitter::complete, emitter::fail);
                // cancelled (a clean shutdown abandons it): the work stops where it is, as in a crash
                emitter.onTermination(running::cancel);
            });
        });
    }

    /**
     * Dead-letters a record: the only way this consumer does. Counts it ({@link WriterMeters#OPERATIONS_DEAD_LETTERED}
     * with the job and reason tags; the log has one WARN per job and reason, {@link DeadLetterTally}), then sends it to
     * {@code provisioning.operations.dlq} with its key (a released deferred operation, which has no record: the key its
     * record had, {@link EventKeys#of}), its value, the reason in the {@code dead-letter-reason} header
     * and where it came from ({@code dead-letter-topic}, {@code -partition}, {@code -offset}).
     *
     * @param jobId the record's job ({@code provisioning_job} tag)
     * @param reasonTag {@link DeadLetterTally#JOB_DELETED}, {@link DeadLetterTally#JOB_NEVER_CONFIGURED} or
     *        {@link WriterMeters#MALFORMED}
     * @param objectId the record's object, or what identifies it, for the log line
     * @param reason the reason written in the {@code dead-letter-reason} header and the log
     * @return completes when the dead letter is acked by the broker; fails if it cannot be sent
     */
    private Uni<Void> deadLetter(Message<byte[]> message, String jobId, String reasonTag, String objectId,
            String reason) {
        deadLettered.deadLettered(jobId, reasonTag, reason, objectId);
        Optional<IncomingKafkaRecordMetadata> incoming = message.getMetadata(IncomingKafkaRecordMetadata.class);
        Headers headers = incoming
                .map(m -> DeadLetterHeaders.of(reason, m.getTopic(), m.getPartition(), m.getOffset()))
                .orElseGet(() -> DeadLetterHeaders.reasonOnly(reason));
        // a deferred operation released from escrow straight into its lane has no record here: it gets the key its
        // record had (EventKeys), so an operator reading the dead-letter topic finds its object as for any other
        Object key = incoming.map(IncomingKafkaRecordMetadata::getKey)
                .orElseGet(() -> jobId == null || objectId == null ? null : EventKeys.of(jobId, objectId));
        OutgoingKafkaRecordMetadata<Object> metadata = OutgoingKafkaRecordMetadata.builder().withKey(key)
                .withHeaders(headers).build();
        return deadLetters.send(Message.of(message.getPayload() == null ? new byte[0] : message.getPayload())
                .addMetadata(metadata));
    }

    /** The job of a record that cannot be read: its key's part before the first {@code /}, else {@code unknown}. */
    private static String malformedJob(Message<byte[]> message) {
        Object key = message.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getKey)
                .orElse(null);
        if (key == null || key.toString().isEmpty()) {
            return "unknown";
        }
        String text = key.toString();
        int slash = text.indexOf('/');
        return slash > 0 ? text.substring(0, slash) : text;
    }

    private static Optional<String> header(Message<byte[]> message, String name) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> m.getHeaders().lastHeader(name))
                .map(Header::value)
                .map(value -> new String(value, StandardCharsets.UTF_8));
    }

    /** The record's value as text (UTF-8), for what keeps it as text: an {@code escrow} row. */
    private static String text(Message<byte[]> message) {
        byte[] value = message.getPayload();
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    private static String where(Message<byte[]> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> "key " + m.getKey() + ", partition " + m.getPartition() + ", offset " + m.getOffset())
                .orElse("no Kafka metadata");
    }

    private static ProvisioningAction actionOf(ScimOperation op) {
        if (op.kind() == OperationKind.DELETE || op.objectType() == ObjectType.GROUP
                && op.kind() == OperationKind.DISABLE) {
            return ProvisioningAction.Delete;
        }
        return op.kind() == OperationKind.DISABLE ? ProvisioningAction.Disable : ProvisioningAction.Other;
    }
}
