package dev.provisioning.mapper.messaging;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.context.Context;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.mapper.config.MapperConfig;
import dev.provisioning.mapper.config.MapperStop;
import dev.provisioning.mapper.engine.JobCatalog;
import dev.provisioning.mapping.InvalidConfigurationException;
import dev.provisioning.mapping.OperationPlanner;
import dev.provisioning.telemetry.AdmissionLimit;
import dev.provisioning.telemetry.CommitsSettled;
import dev.provisioning.telemetry.ConsumerPause;
import dev.provisioning.telemetry.DeadLetterHeaders;
import dev.provisioning.telemetry.DeadLetterTally;
import dev.provisioning.telemetry.MessageTraces;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;
import dev.provisioning.telemetry.SendLimit;

/**
 * Applies entitlement, scoping filters and mappings to each assignment event. Topic in: {@code provisioning.assignments}
 * (channel {@value #CHANNEL}, {@code batch=true}: one call per poll, up to {@code max.poll.records} records, 500 by
 * default); out: {@code provisioning.operations} or, when nothing is to be sent, {@code provisioning.results}. The
 * engine's {@link OperationPlanner} decides which. Records that cannot be handled go to
 * {@code provisioning.assignments.dlq} (channel {@value #DEAD_LETTERS}) with {@link DeadLetterHeaders}: the reason in
 * {@code dead-letter-reason}, where the record was read in {@code dead-letter-topic}, {@code -partition} and
 * {@code -offset}; key and value as they came.
 *
 * <p>
 * Per poll (issue 13, M2), in offset order, on the thread that delivered it:
 * <ol>
 * <li>Each record is decoded once. One that cannot be ({@link EventChecks#assignment}) is dead-lettered with the
 * exception's message, which names the field; it never fails the poll.</li>
 * <li>Each decoded record goes to the {@link JobWaits}: a known job's record (nothing of its job parked) is decided and
 * its operation or result handed to its emitter at once; an unknown job's record is parked without holding the records
 * behind it; a deleted job's record is dead-lettered. A parked record is resolved later (processed when its job's
 * configuration arrives, or answered with a Failure and dead-lettered when the wait ends or the job is deleted).</li>
 * <li>The call's Uni completes when every record that was not parked is finished (its output acked by the broker, or
 * dead-lettered); SmallRye then delivers the next poll. So the producer sends a whole poll's outputs in a few requests,
 * and at most one poll's direct outputs wait for acks at a time.</li>
 * <li>The poll is acked ({@link KafkaRecordBatch#ack()}) once, when its <em>last</em> record has finished, parked ones
 * included ({@link BatchCountdown}). Its records are never acked or nacked one by one.</li>
 * </ol>
 *
 * <p>
 * What this keeps:
 * <ul>
 * <li><b>At-least-once, committed offsets.</b> In batch mode SmallRye 4.33 registers only each partition's
 * <em>last</em> record of a poll with the {@code throttled} commit strategy ({@code KafkaSource.receiveBatchRecord}),
 * and acking the poll acks those records ({@code IncomingKafkaRecordBatch.ack}); {@code throttled} commits only below
 * the oldest registered record not acked. A poll holding a parked record is acked only when that record is resolved,
 * so the committed offset never passes a parked or unprocessed record, whatever later polls do; a crash re-reads the
 * whole poll, and its outputs, sent again with the same ids ({@code operationId} = {@code eventId}, result ids derived
 * from it), are absorbed downstream as before. Acking an inner record would register an offset the strategy never
 * received, which is why none is. Tested with the group's committed offset ({@code MapperBatchTest}).</li>
 * <li><b>Order per key.</b> Records are handed on in offset order, and every send goes through its emitter's
 * {@link SendLimit} in the order it was asked for; the Kafka sink sends in that order and the idempotent producer
 * ({@code enable.idempotence=true}, at most 5 requests in flight) keeps it within a partition. A record of a job with
 * records parked queues behind them ({@link JobWaits}). Records of one key are in one partition and go to one partition
 * of the output topic (same key).</li>
 * <li><b>The stream never fails.</b> {@link #onBatch} never fails ({@code failure-strategy=fail} is only a guard: a
 * failed call would nack the whole poll, and with {@code dead-letter-queue} dead-letter its good records). A record
 * whose output cannot be sent is dead-lettered with the send's failure; one whose dead letter cannot be sent either
 * (Kafka unreachable) is logged at ERROR and its poll is never acked: the oldest unacked record then marks the consumer
 * unhealthy after {@code throttled.unprocessed-record-max-age.ms} and the poll is redelivered after the restart.</li>
 * <li><b>Memory.</b> At most {@code mapper.max-open-batches} polls are open (taken, not acked): the one in process and
 * those holding a parked record (a parked record pins its poll's records); beyond, the stream waits. Parked records are
 * at most {@code mapper.max-waiting-records} plus one poll ({@link JobWaits#roomToPark} is checked per poll).</li>
 * <li><b>No burst.</b> Each emitter takes at most {@link SendLimit#DEFAULT_MAX} sends at once (the rest wait in
 * order), within the sinks' {@code max-inflight-messages}; parked records are resolved within
 * {@code mapper.max-in-flight} ({@link JobWaits}).</li>
 * <li><b>Tracing.</b> SmallRye gives each record of a poll its own consumer span ({@code TracingMetadata}, not made
 * current); each output continues its record's span ({@link MessageTraces#of}), also after a wait.</li>
 * </ul>
 * Counters are looked up once per job and label ({@link #counter}), not per record.
 *
 * <p>
 * <b>A clean stop</b> ({@link MapperStop}): at its start the consumer is paused (nothing more is fetched) and the
 * parked records are resolved no more ({@link JobWaits}); the polls fetched before are taken, and acked, as usual until
 * none (nor an ack) has been under way for {@link #DRAINED}, at most until the stop's deadline. Then no poll is taken
 * and none is acked any more, and one INFO line tells how many polls were acked since the pause and how many are left
 * unacked, with how many records parked. A poll left unacked (holding a parked record, delivered after the drain, or
 * whose last record ended after it) is consumed again after the next start, as after a crash: its outputs are sent
 * again with the same ids, which the writer and the detector absorb. Nothing is acked after the drain, so SmallRye's
 * periodic commit has at most one commit left to make, which the stop waits for ({@code CommitsSettled}).
 */
@ApplicationScoped
public class AssignmentConsumer {

    public static final String CHANNEL = "assignments";
    /** The dead-letter channel: topic {@code provisioning.assignments.dlq}. */
    public static final String DEAD_LETTERS = "dead-letters";
    /** Reported as {@code reportedBy} on the mapper's results. */
    public static final String REPORTER = "mapper-service";
    private static final Logger LOG = Logger.getLogger(AssignmentConsumer.class);
    /** SmallRye Kafka's default {@code max-inflight-messages} of an outgoing channel. */
    private static final long DEFAULT_SINK_IN_FLIGHT = SendLimit.SINK_REQUESTS;
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    /** At a stop, how long no poll has been taken or acked before the polls fetched are taken as handled. */
    static final Duration DRAINED = Duration.ofMillis(300);

    private final JobCatalog catalog;
    private final SendLimit<String> operations;
    private final SendLimit<String> results;
    private final SendLimit<String> deadLetterSends;
    private final MeterRegistry registry;
    private final JobWaits waits;
    private final AdmissionLimit inFlight;
    private final AdmissionLimit openBatches;
    private final DeadLetterTally deadLetters;
    private final Map<MeterKey, Counter> counters = new ConcurrentHashMap<>();
    /** Records taken from Kafka and not finished yet (parked ones included), all polls. */
    private final AtomicInteger unfinished = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final MapperStop stop;
    private final KafkaClientService kafka;
    /** The polls being taken and the acks under way: none starts once the mapper stopped taking them ({@link #drain}). */
    private final ScheduledRounds polls = new ScheduledRounds();
    /** Polls taken and not acked. */
    private final AtomicInteger unacked = new AtomicInteger();
    /** Polls acked since the start. */
    private final AtomicInteger acked = new AtomicInteger();
    /** {@link #acked} when the stop paused the consumer. */
    private volatile int ackedBeforeStop;

    /** A counter's name and tag values (the tag names follow from the name). */
    private record MeterKey(String name, String jobId, String a, String b) {
    }

    public AssignmentConsumer(JobCatalog catalog, @Channel("operations") MutinyEmitter<String> operations,
            @Channel("results") MutinyEmitter<String> results,
            @Channel(DEAD_LETTERS) MutinyEmitter<String> deadLetterEmitter, MapperConfig config,
            MeterRegistry registry, MapperStop stop, KafkaClientService kafka) {
        checkInFlight(config.maxInFlight(), ConfigProvider.getConfig());
        this.stop = stop;
        this.kafka = kafka;
        this.catalog = catalog;
        this.operations = new SendLimit<>(SendLimit.DEFAULT_MAX, operations::sendMessage);
        this.results = new SendLimit<>(SendLimit.DEFAULT_MAX, results::sendMessage);
        this.deadLetterSends = new SendLimit<>(SendLimit.DEFAULT_MAX, deadLetterEmitter::sendMessage);
        this.registry = registry;
        this.inFlight = new AdmissionLimit(config.maxInFlight());
        this.openBatches = new AdmissionLimit(config.maxOpenBatches());
        this.deadLetters = new DeadLetterTally(LOG, registry, "provisioning.mapper.records.dead.lettered", "records");
        this.deadLetters.start(Infrastructure.getDefaultWorkerPool());
        this.waits = new JobWaits(catalog::find, new JobWaits.Handler() {
            @Override
            public Uni<Void> process(AssignmentEvent event, Message<String> message, JobConfig job) {
                return AssignmentConsumer.this.process(event, message, job);
            }

            @Override
            public Uni<Void> giveUp(AssignmentEvent event, Message<String> message, JobWaits.Resolution why,
                    Duration waited) {
                return AssignmentConsumer.this.giveUp(event, message, why, waited);
            }
        }, config.jobWaitTimeout(), config.maxWaitingRecords(), inFlight, Infrastructure.getDefaultWorkerPool(),
                Infrastructure.getDefaultExecutor());
        Gauge.builder("provisioning.mapper.waiting.records", waits, JobWaits::parked)
                .description("assignment records waiting for their job's configuration").register(registry);
        Gauge.builder("provisioning.mapper.records.in.flight", this, AssignmentConsumer::inProcess)
                .description("assignment records taken from Kafka whose operation or result is not acked yet, "
                        + "parked ones not counted")
                .register(registry);
    }

    /**
     * Takes one poll (see the class comment). Waits first while the job waits are full
     * ({@code mapper.max-waiting-records}) or {@code mapper.max-open-batches} polls are open; completes when every
     * record of the poll that was not parked is finished; never fails.
     */
    @Incoming(CHANNEL)
    public Uni<Void> onBatch(KafkaRecordBatch<String, String> batch) {
        return polls.run(() -> waits.roomToPark().chain(openBatches::acquire).chain(() -> take(batch))
                .replaceWith(Boolean.TRUE), Boolean.FALSE).invoke(taken -> {
                    if (!taken) {
                        LOG.debugf("a poll of %s is left unacked as the mapper stops: it is consumed again after "
                                + "the next start", Plural.of(batch.getRecords().size(), "assignment record"));
                    }
                }).replaceWithVoid();
    }

    /**
     * The mapper stops ({@link MapperStop#PAUSE_CONSUMERS}): nothing more is fetched, and the parked records are
     * resolved no more.
     */
    void pause(@Observes @Priority(MapperStop.PAUSE_CONSUMERS) ShutdownEvent event) {
        ackedBeforeStop = acked.get();
        waits.stop();
        ConsumerPause.pause(kafka, CHANNEL);
    }

    /**
     * The mapper stops ({@link MapperStop#DRAIN_CONSUMERS}): the polls fetched before the pause are taken, and acked,
     * until none has been under way for {@link #DRAINED} (the consumer paused again meanwhile: SmallRye resumes it when
     * its queue drains), at most until the stop's deadline; then no poll is taken or acked any more and those under
     * way are waited for. Logs at INFO what was acked and what is left unacked.
     */
    void drain(@Observes @Priority(MapperStop.DRAIN_CONSUMERS) ShutdownEvent event) {
        boolean drained = polls.drain(DRAINED, stop.left(), () -> ConsumerPause.pause(kafka, CHANNEL));
        int left = unacked.get();
        LOG.infof("the assignments consumer is drained as the mapper stops%s: %s acked since the pause; %s",
                drained ? "" : " (a poll still under way at the stop's deadline is abandoned)",
                Plural.of(acked.get() - ackedBeforeStop, "poll"),
                left == 0
                        ? "none left unacked"
                        : left + " left unacked (" + Plural.of(waits.parked(), "record")
                                + " parked for their job's configuration), consumed again after the next start");
    }

    /**
     * The mapper stops ({@link MapperStop#COMMITS}): SmallRye's periodic commit of the offsets acked is waited for, so
     * that none is under way when SmallRye closes the consumer ({@link CommitsSettled}).
     */
    void commits(@Observes @Priority(MapperStop.COMMITS) ShutdownEvent event) {
        if (!CommitsSettled.await(kafka, stop.left(), CHANNEL)) {
            LOG.infof("the offsets of assignments acked were not all committed by the stop's deadline: they are "
                    + "consumed again after the next start");
        }
    }

    /**
     * The most records that were in process at once (taken, not finished, not parked) since the previous call, then
     * starts a new period from the records in process now (for tests and diagnostics).
     */
    public int takePeakInFlight() {
        return peak.getAndSet(inProcess());
    }

    /** Records taken and not finished, parked ones not counted (the gauge). */
    private int inProcess() {
        return Math.max(0, unfinished.get() - waits.parked());
    }

    /**
     * Hands each record of the poll on, in offset order, and counts them down to the poll's ack. Runs on the thread
     * that delivered the poll or, when it waited for room, on the thread that made room; never throws.
     *
     * @return completes when every record that was not parked is finished
     */
    private Uni<Void> take(KafkaRecordBatch<String, String> batch) {
        List<KafkaRecord<String, String>> records = batch.getRecords();
        unfinished.addAndGet(records.size());
        unacked.incrementAndGet();
        BatchCountdown countdown = new BatchCountdown(records.size(), allFinished -> ended(batch, allFinished));
        CompletableFuture<Void> settled = new CompletableFuture<>();
        // one more than the records: the poll is settled only after the loop, even if every record settles in it
        AtomicInteger unsettled = new AtomicInteger(records.size() + 1);
        Runnable settle = () -> {
            if (unsettled.decrementAndGet() == 0) {
                settled.complete(null);
            }
        };
        for (KafkaRecord<String, String> record : records) {
            // process, giveUp and deadLetter never fail
            takeOne(record, countdown).subscribe().with(ignored -> settle.run(), failure -> settle.run());
        }
        peak.accumulateAndGet(inProcess(), Math::max);
        settle.run();
        return Uni.createFrom().completionStage(settled);
    }

    /**
     * Decodes one record and hands it to the job waits, which process it now (known job), park it or give it up
     * (deleted job); a record that cannot be decoded, or taken at all, is dead-lettered with the reason.
     *
     * @return completes when the record is finished, or at once when it is parked; never fails
     */
    private Uni<Void> takeOne(KafkaRecord<String, String> record, BatchCountdown countdown) {
        try {
            AssignmentEvent event = EventChecks.assignment(record.getPayload());
            return waits.admit(event, counted(record, countdown));
        } catch (RuntimeException e) {
            LOG.warnf("malformed assignment record (%s) sent to the dead-letter topic: %s", where(record),
                    e.getMessage());
            return deadLetter(record, e.getMessage(), countdown);
        }
    }

    /**
     * The record as the job waits and the handler see it: acking it counts it finished in its poll; nacking it
     * dead-letters it with the reason's message, then counts it. Neither acks or nacks the Kafka record itself.
     */
    private Message<String> counted(KafkaRecord<String, String> record, BatchCountdown countdown) {
        return Message.of(record.getPayload(), record.getMetadata(), () -> {
            recordEnded(countdown, true);
            return DONE;
        }, reason -> deadLetter(record, reason.getMessage(), countdown).subscribeAsCompletionStage());
    }

    private void recordEnded(BatchCountdown countdown, boolean finished) {
        unfinished.decrementAndGet();
        if (finished) {
            countdown.finished();
        } else {
            countdown.unfinished();
        }
    }

    /** The poll's last record ended: the poll's room goes back, and the poll is acked if every record finished. */
    private void ended(KafkaRecordBatch<String, String> batch, boolean allFinished) {
        openBatches.release();
        if (!allFinished) {
            LOG.errorf("a poll of %s stays unacked (a record could neither be processed nor dead-lettered): it "
                    + "is redelivered after a restart", Plural.of(batch.getRecords().size(), "assignment record"));
            return;
        }
        // an ack counts as a poll under way, so the stop's drain waits until SmallRye registered it
        polls.run(() -> Uni.createFrom().completionStage(batch::ack).replaceWith(Boolean.TRUE), Boolean.FALSE)
                .subscribe().with(done -> {
                    if (done) {
                        unacked.decrementAndGet();
                        acked.incrementAndGet();
                    } else {
                        LOG.debugf("a poll of %s is left unacked as the mapper stops: it is consumed again after "
                                + "the next start", Plural.of(batch.getRecords().size(), "assignment record"));
                    }
                }, failure -> LOG.errorf(failure, "a poll of %s could not be acked",
                        Plural.of(batch.getRecords().size(), "assignment record")));
    }

    /**
     * Sends the record to {@code provisioning.assignments.dlq} with its key and value as they came and
     * {@link DeadLetterHeaders} (the reason; where it was read), continuing the record's trace; then counts it finished
     * in its poll, or unfinished if the dead letter cannot be sent (logged at ERROR). The value is not logged.
     *
     * @return completes when the dead letter is acked or failed; never fails
     */
    private Uni<Void> deadLetter(KafkaRecord<String, String> record, String reason, BatchCountdown countdown) {
        long offset = record.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getOffset)
                .orElse(-1L);
        Headers headers = DeadLetterHeaders.of(reason, record.getTopic(), record.getPartition(), offset);
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(record.getKey()).withHeaders(headers).build();
        Message<String> dead = MessageTraces.continuing(
                Message.of(record.getPayload() == null ? "" : record.getPayload()).addMetadata(metadata),
                MessageTraces.of(record));
        return deadLetterSends.send(dead).onItemOrFailure().invoke((ignored, failure) -> {
            if (failure != null) {
                LOG.errorf("assignment record %s could not be dead-lettered (%s): %s", where(record), reason,
                        failure.getMessage());
            }
            recordEnded(countdown, failure == null);
        }).onFailure().recoverWithNull();
    }

    /**
     * Refuses to start when {@code mapper.max-in-flight} exceeds an output channel's {@code max-inflight-messages}
     * (SmallRye's default 1024; 0 or less is unbounded): the parked records resolved at once would not fit the sink.
     */
    static void checkInFlight(int maxInFlight, Config config) {
        for (String channel : List.of("operations", "results")) {
            String key = "mp.messaging.outgoing." + channel + ".max-inflight-messages";
            long sink = config.getOptionalValue(key, Long.class).orElse(DEFAULT_SINK_IN_FLIGHT);
            if (sink > 0 && maxInFlight > sink) {
                throw new IllegalStateException("mapper.max-in-flight (" + maxInFlight + ") must not exceed " + key
                        + " (" + sink + ")");
            }
        }
    }

    /** The job's configuration arrived or changed (from the jobs consumer). */
    public void jobArrived(String jobId) {
        waits.jobArrived(jobId);
    }

    /** The job was deleted (a tombstone, from the jobs consumer). */
    public void jobDeleted(String jobId) {
        waits.jobDeleted(jobId);
    }

    private Uni<Void> process(AssignmentEvent event, Message<String> message, JobConfig job) {
        // the record may have waited for its job on another thread: its operation or result continues its trace
        Context trace = MessageTraces.of(message);
        return Uni.createFrom().deferred(() -> decide(event, job, trace))
                .onItemOrFailure().transformToUni((ignored, failure) -> Uni.createFrom()
                        .completionStage(failure == null ? message.ack() : message.nack(failure)))
                .onFailure().recoverWithNull();
    }

    private Uni<Void> decide(AssignmentEvent event, JobConfig job, Context trace) {
        OperationPlanner.Plan plan;
        try {
            plan = OperationPlanner.plan(event, catalog.compiled(job).evaluate(event), Instant.now(), REPORTER);
        } catch (InvalidConfigurationException e) {
            LOG.errorf("job %s: configuration revision %d cannot be used: %s", job.jobId(), job.revision(), e.errors());
            return emitResult(OperationPlanner.result(event, ProvisioningAction.Other, ProvisioningStatus.Failure,
                    ErrorCodes.JOB_CONFIGURATION, "the job's mappings or scoping filters cannot be used: " + e.errors(),
                    Instant.now(), REPORTER), trace);
        }
        if (plan.operation() != null) {
            ScimOperation op = plan.operation();
            counter("provisioning.mapper.operations", op.jobId(), op.kind().name(), null).increment();
            return operations.send(MessageTraces.continuing(keyed(op.key(), Json.write(op)), trace));
        }
        return emitResult(plan.result(), trace);
    }

    /**
     * Dead-letters a record whose job never got a configuration (first answered with a Failure, so the detector's
     * cycle counts it) or was deleted (nobody waits for it).
     */
    private Uni<Void> giveUp(AssignmentEvent event, Message<String> message, JobWaits.Resolution why,
            Duration waited) {
        String reason = why == JobWaits.Resolution.DELETED
                ? "job " + event.jobId() + " was deleted"
                : "the configuration of job " + event.jobId() + " was not received within " + waited;
        deadLetters.deadLettered(event.jobId(),
                why == JobWaits.Resolution.DELETED ? DeadLetterTally.JOB_DELETED : DeadLetterTally.JOB_NEVER_CONFIGURED,
                reason, event.objectId());
        Uni<Void> answered = why == JobWaits.Resolution.DELETED
                ? Uni.createFrom().voidItem()
                : emitResult(OperationPlanner.result(event, ProvisioningAction.Other, ProvisioningStatus.Failure,
                        ErrorCodes.JOB_CONFIGURATION, reason, Instant.now(), REPORTER), MessageTraces.of(message));
        return answered.onItemOrFailure().transformToUni(
                (ignored, failure) -> Uni.createFrom().completionStage(message.nack(new UnknownJobException(reason))))
                .onFailure().recoverWithNull();
    }

    private Uni<Void> emitResult(ProvisioningResult result, Context trace) {
        // every result the mapper decides carries an error code (Skipped: the reason; Failure: the configuration)
        counter("provisioning.mapper.results", result.jobId(), result.status().name(),
                Objects.requireNonNullElse(result.errorCode(), "Unspecified")).increment();
        return results.send(MessageTraces.continuing(keyed(result.key(), Json.write(result)), trace));
    }

    /**
     * The job's counter {@code provisioning.mapper.operations{kind=a}} or {@code provisioning.mapper.results{status=a,
     * reason=b}}, registered once and then taken from a map (a registry look-up builds and sorts the tags each time).
     */
    private Counter counter(String name, String jobId, String a, String b) {
        MeterKey key = new MeterKey(name, jobId, a, b);
        Counter known = counters.get(key);
        if (known != null) {
            return known;
        }
        return counters.computeIfAbsent(key, k -> b == null
                ? registry.counter(name, PROVISIONING_JOB, jobId, "kind", a)
                : registry.counter(name, PROVISIONING_JOB, jobId, "status", a, "reason", b));
    }

    private static String where(Message<String> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> "key " + m.getKey() + ", partition " + m.getPartition() + ", offset " + m.getOffset())
                .orElse("(no Kafka metadata)");
    }

    private static Message<String> keyed(String key, String json) {
        return Message.of(json).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build());
    }

    /** The reason a record of an unknown or deleted job is dead-lettered (its message is the header's value). */
    static final class UnknownJobException extends RuntimeException {
        UnknownJobException(String reason) {
            super(reason);
        }
    }
}
