package dev.provisioning.mapper.messaging;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import jakarta.enterprise.context.ApplicationScoped;

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
 * the reason; if the job is deleted it is dead-lettered at once. Acks may come out of order; the {@code throttled}
 * commit strategy commits only below the oldest record not yet acked.
 */
@ApplicationScoped
public class AssignmentConsumer {

    public static final String CHANNEL = "assignments";
    /** Reported as {@code reportedBy} on the mapper's results. */
    public static final String REPORTER = "mapper-service";
    private static final Logger LOG = Logger.getLogger(AssignmentConsumer.class);

    private final JobCatalog catalog;
    private final MutinyEmitter<String> operations;
    private final MutinyEmitter<String> results;
    private final MeterRegistry registry;
    private final JobWaits waits;

    public AssignmentConsumer(JobCatalog catalog, @Channel("operations") MutinyEmitter<String> operations,
            @Channel("results") MutinyEmitter<String> results, MapperConfig config, MeterRegistry registry) {
        this.catalog = catalog;
        this.operations = operations;
        this.results = results;
        this.registry = registry;
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
        }, config.jobWaitTimeout(), config.maxWaitingRecords(), Infrastructure.getDefaultWorkerPool(),
                Infrastructure.getDefaultExecutor());
        Gauge.builder("provisioning.mapper.waiting.records", waits, JobWaits::parked)
                .description("assignment records waiting for their job's configuration").register(registry);
    }

    @Incoming(CHANNEL)
    public Uni<Void> onAssignment(Message<String> message) {
        AssignmentEvent event;
        try {
            event = EventChecks.assignment(message.getPayload());
        } catch (RuntimeException e) {
            return Uni.createFrom().completionStage(message.nack(e));
        }
        return waits.admit(event, message);
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
        LOG.warnf("job %s, object %s: %s; the record goes to the dead-letter topic", event.jobId(), event.objectId(),
                reason);
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
