package dev.provisioning.mapper.messaging;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.MutinyEmitter;
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
import dev.provisioning.mapper.engine.JobCatalog;
import dev.provisioning.mapping.InvalidConfigurationException;
import dev.provisioning.mapping.OperationPlanner;
import dev.provisioning.telemetry.AdmissionLimit;
import dev.provisioning.telemetry.DeadLetterTally;
import dev.provisioning.telemetry.MessageTraces;

/**
 * Applies entitlement, scoping filters and mappings to each assignment event. Topic in: {@code provisioning.assignments}
 * (channel {@value #CHANNEL}); out: {@code provisioning.operations} or, when nothing is to be sent,
 * {@code provisioning.results}. The engine's {@link OperationPlanner} decides which.
 *
 * <p>
 * Ack rule: a record is acked only after its operation or result is on Kafka. A record that cannot be decoded is nacked
 * to {@code provisioning.assignments.dlq} with the reason (header {@code dead-letter-reason}). A record whose job's
 * configuration is not known waits for it per job, off the partition's critical path ({@link JobWaits}): if it never
 * comes it is answered with a Failure ({@code JobConfigurationInvalid}, so the cycle is not held) and dead-lettered with
 * the reason; if the job is deleted it is dead-lettered at once. Every such record is dead-lettered; the log has one
 * WARN per job and reason and a summary when they stop ({@link DeadLetterTally}).
 *
 * <p>
 * Records in flight (issue 12, (A)): a record is <em>taken</em>, not waited for. {@link #onAssignment} completes once
 * the record has room ({@code mapper.max-in-flight}, {@link AdmissionLimit}) and its operation or result has been
 * handed to the producer, not once the broker acked it; so up to {@code max-in-flight} records wait for their produce
 * acks together and the producer batches them, instead of one record per linger (about 140 records/s for the whole
 * service before). The room is given back when the record is acked or nacked. What this keeps:
 * <ol>
 * <li><b>Order per key.</b> SmallRye calls {@link #onAssignment} for the next record only after the previous call's Uni
 * completed (a Uni-returning {@code @Incoming} is concatenated), and {@link #take} runs entirely inside that Uni: for a
 * known job with nothing of it parked, {@link JobWaits#admit} calls {@code process} synchronously, and {@code take}
 * subscribes to it synchronously, which runs {@link #decide} and subscribes to the emitter's {@code sendMessage}, which
 * hands the message to the emitter before {@code take} returns. So operations and results enter their emitters in
 * consumption order; the Kafka sink sends them in that order from one sending thread, and the idempotent producer
 * ({@code enable.idempotence=true}) keeps the order within a partition, retries included. Records of one key are in
 * one partition of {@code provisioning.assignments} and go to one partition of the output topic (same key). A record of
 * a job that is parked or being resolved queues behind that job's parked records, which are handed to the emitters one
 * after the other, in arrival order, each holding a room of {@code max-in-flight} ({@link JobWaits}); a job's entry
 * goes only after its last parked record was handed on, so a later record taken directly cannot overtake it.</li>
 * <li><b>At-least-once.</b> Acks come out of order; the {@code throttled} commit strategy commits only below the oldest
 * record not yet acked, so a crash re-reads every record whose output is not on Kafka.</li>
 * <li><b>The stream never fails.</b> {@code acquire} never fails, {@link #take} catches everything (a record it cannot
 * decode, or anything else it cannot take, is nacked to the dead-letter topic with the reason), and {@code process} and
 * {@code giveUp} never fail (a failed send nacks the record to the dead-letter topic).</li>
 * <li><b>Memory.</b> At most {@code max-in-flight} records in process, plus the parked ones (at most
 * {@code mapper.max-waiting-records}: while that many are parked the stream waits, {@link JobWaits#roomToPark}).</li>
 * <li><b>No burst.</b> Every send of the mapper holds a room of {@code max-in-flight}: records taken from Kafka, and
 * parked records processed or given up when their job's configuration arrives, its wait ends or it is deleted (up to
 * {@code max-waiting-records} at once, {@link JobWaits}). So at most {@code max-in-flight} sends are in flight, within
 * the sinks' {@code max-inflight-messages} ({@link #checkInFlight}), and no send fails on a full emitter buffer (a
 * never-configured record's Failure would be lost while the record is dead-lettered).</li>
 * </ol>
 */
@ApplicationScoped
public class AssignmentConsumer {

    public static final String CHANNEL = "assignments";
    /** Reported as {@code reportedBy} on the mapper's results. */
    public static final String REPORTER = "mapper-service";
    private static final Logger LOG = Logger.getLogger(AssignmentConsumer.class);
    /** SmallRye Kafka's default {@code max-inflight-messages} of an outgoing channel. */
    private static final long DEFAULT_SINK_IN_FLIGHT = 1024;

    private final JobCatalog catalog;
    private final MutinyEmitter<String> operations;
    private final MutinyEmitter<String> results;
    private final MeterRegistry registry;
    private final JobWaits waits;
    private final AdmissionLimit inFlight;
    private final DeadLetterTally deadLetters;

    public AssignmentConsumer(JobCatalog catalog, @Channel("operations") MutinyEmitter<String> operations,
            @Channel("results") MutinyEmitter<String> results, MapperConfig config, MeterRegistry registry) {
        checkInFlight(config.maxInFlight(), ConfigProvider.getConfig());
        this.catalog = catalog;
        this.operations = operations;
        this.results = results;
        this.registry = registry;
        this.inFlight = new AdmissionLimit(config.maxInFlight());
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
        Gauge.builder("provisioning.mapper.records.in.flight", inFlight, AdmissionLimit::used)
                .description("assignment records taken from Kafka whose operation or result is not acked yet")
                .register(registry);
    }

    /**
     * Completes once the record is taken (see the class comment), not once its output is acked; never fails. Waits
     * first while the job waits are full ({@code mapper.max-waiting-records}), then for a room of {@code max-in-flight}.
     */
    @Incoming(CHANNEL)
    public Uni<Void> onAssignment(Message<String> message) {
        return waits.roomToPark().chain(inFlight::acquire).invoke(() -> take(message));
    }

    /**
     * The most records that were in flight at once since the previous call (for tests and diagnostics).
     *
     * @see AdmissionLimit#takePeak()
     */
    public int takePeakInFlight() {
        return inFlight.takePeak();
    }

    /**
     * Decodes the record and hands it to the job waits, which process it now (known job) or park it; the room is
     * given back when that is done (acked or nacked; at once for a parked record, whose room the waits do not need).
     * Runs on the thread that delivered the record or, when the record waited for room, on the thread that released
     * it; never throws.
     */
    private void take(Message<String> message) {
        Uni<Void> done;
        try {
            AssignmentEvent event = EventChecks.assignment(message.getPayload());
            done = waits.admit(event, message);
        } catch (RuntimeException e) {
            LOG.warnf("malformed assignment record (%s) sent to the dead-letter topic: %s", where(message),
                    e.getMessage());
            done = Uni.createFrom().completionStage(() -> message.nack(e));
        }
        // process and giveUp never fail; a nack that fails leaves the record unacked (redelivered after a restart)
        done.onTermination().invoke(inFlight::release).subscribe().with(ignored -> {
        }, failure -> LOG.errorf(failure, "assignment record %s could not be nacked", where(message)));
    }

    /**
     * Refuses to start when {@code mapper.max-in-flight} exceeds an output channel's {@code max-inflight-messages}
     * (SmallRye's default 1024; 0 or less is unbounded): the emitter would then buffer, and past its 128 messages fail
     * the send, which dead-letters a good record.
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
            registry.counter("provisioning.mapper.operations", PROVISIONING_JOB, op.jobId(), "kind", op.kind().name())
                    .increment();
            return operations.sendMessage(MessageTraces.continuing(keyed(op.key(), Json.write(op)), trace));
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
        registry.counter("provisioning.mapper.results", PROVISIONING_JOB, result.jobId(), "status",
                result.status().name(), "reason", Objects.requireNonNullElse(result.errorCode(), "Unspecified"))
                .increment();
        return results.sendMessage(MessageTraces.continuing(keyed(result.key(), Json.write(result)), trace));
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
