package dev.provisioning.mapper.messaging;

import java.time.Instant;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.mapper.config.MapperConfig;
import dev.provisioning.mapper.engine.JobCatalog;
import dev.provisioning.mapper.engine.OperationPlanner;
import dev.provisioning.mapping.InvalidConfigurationException;

/**
 * Applies entitlement, scoping filters and mappings to each assignment event. Topic in: {@code provisioning.assignments}
 * (channel {@value #CHANNEL}); out: {@code provisioning.operations} or, when nothing is to be sent,
 * {@code provisioning.results}. Ack rule: the event is acked only after its operation or result is on Kafka; a record
 * that cannot be decoded is nacked to {@code provisioning.assignments.dlq} with the reason.
 */
@ApplicationScoped
public class AssignmentConsumer {

    public static final String CHANNEL = "assignments";
    private static final Logger LOG = Logger.getLogger(AssignmentConsumer.class);

    private final JobCatalog catalog;
    private final MutinyEmitter<String> operations;
    private final MutinyEmitter<String> results;
    private final MapperConfig config;
    private final MeterRegistry registry;

    public AssignmentConsumer(JobCatalog catalog, @Channel("operations") MutinyEmitter<String> operations,
            @Channel("results") MutinyEmitter<String> results, MapperConfig config, MeterRegistry registry) {
        this.catalog = catalog;
        this.operations = operations;
        this.results = results;
        this.config = config;
        this.registry = registry;
    }

    @Incoming(CHANNEL)
    public Uni<Void> onAssignment(String json) {
        AssignmentEvent event = EventChecks.assignment(json);
        return Uni.createFrom().completionStage(() -> catalog.await(event.jobId()))
                .ifNoItem().after(config.jobWaitTimeout()).failWith(TimeoutException::new)
                .onItemOrFailure().transformToUni((job, failure) -> {
                    if (failure != null) {
                        return emitResult(OperationPlanner.result(event, ProvisioningStatus.Failure,
                                ErrorCodes.JOB_CONFIGURATION, "the configuration of job " + event.jobId()
                                        + " was not received within " + config.jobWaitTimeout(),
                                Instant.now()));
                    }
                    return decide(event, job);
                });
    }

    private Uni<Void> decide(AssignmentEvent event, JobConfig job) {
        OperationPlanner.Outcome outcome;
        try {
            outcome = OperationPlanner.plan(event, catalog.compiled(job).evaluate(event), Instant.now());
        } catch (InvalidConfigurationException e) {
            LOG.errorf("job %s: configuration revision %d cannot be used: %s", job.jobId(), job.revision(), e.errors());
            return emitResult(OperationPlanner.result(event, ProvisioningStatus.Failure, ErrorCodes.JOB_CONFIGURATION,
                    "the job's mappings or scoping filters cannot be used: " + e.errors(), Instant.now()));
        }
        if (outcome.operation() != null) {
            ScimOperation op = outcome.operation();
            registry.counter("provisioning.mapper.operations", "job", op.jobId(), "kind", op.kind().name()).increment();
            return operations.sendMessage(keyed(op.key(), Json.write(op)));
        }
        return emitResult(outcome.result());
    }

    private Uni<Void> emitResult(ProvisioningResult result) {
        registry.counter("provisioning.mapper.skipped", "job", result.jobId(), "status", result.status().name(),
                "reason",
                String.valueOf(result.errorCode())).increment();
        return results.sendMessage(keyed(result.key(), Json.write(result)));
    }

    private static Message<String> keyed(String key, String json) {
        return Message.of(json).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build());
    }
}
