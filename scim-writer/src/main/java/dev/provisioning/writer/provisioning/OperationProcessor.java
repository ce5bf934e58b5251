package dev.provisioning.writer.provisioning;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.target.TenantTarget;

/**
 * Turns one operation into exactly one result, at most once per operation: an operation already carried out (found in
 * {@code processed_operation}) gets its stored result again and sends nothing to Druva. Must be called on a Vert.x
 * context (the Kafka consumer's), where Hibernate Reactive runs.
 */
@ApplicationScoped
public class OperationProcessor {

    private static final Logger LOG = Logger.getLogger(OperationProcessor.class);
    static final String REPORTED_BY = "scim-writer";

    private final JobDirectory jobs;
    private final SecretCipher cipher;
    private final UserProvisioner users;
    private final WriterStore store;
    private final WriterConfig config;
    private final MeterRegistry registry;

    public OperationProcessor(JobDirectory jobs, SecretCipher cipher, UserProvisioner users, WriterStore store,
            WriterConfig config, MeterRegistry registry) {
        this.jobs = jobs;
        this.cipher = cipher;
        this.users = users;
        this.store = store;
        this.config = config;
        this.registry = registry;
    }

    /** The result of the operation; the id map and {@code processed_operation} are written before it completes. */
    public Uni<ProvisioningResult> process(ScimOperation op) {
        String resultId = ProvisioningResult.idOf(op.jobId(), op.objectId(), op.cycleId(), op.operationId());
        return store.processedResult(resultId).flatMap(done -> {
            if (done.isPresent()) {
                LOG.infof("operation %s for job %s, object %s was already carried out: re-emitting its result",
                        op.operationId(), op.jobId(), op.objectId());
                return Uni.createFrom().item(EventChecks.result(done.get()));
            }
            long started = System.nanoTime();
            return carryOut(op)
                    .map(outcome -> result(op, resultId, outcome, Duration.ofNanos(System.nanoTime() - started)))
                    .call(result -> store.markProcessed(resultId, op.jobId(), op.operationId(), Json.write(result)))
                    .invoke(result -> registry.counter("scim.writer.results", "job", op.jobId(), "action",
                            result.action().name(), "status", result.status().name()).increment());
        });
    }

    private Uni<Outcome> carryOut(ScimOperation op) {
        return awaitJob(op.jobId()).flatMap(job -> {
            if (job.isEmpty()) {
                return Uni.createFrom().item(Outcome.failure(actionOf(op), null, ErrorCodes.JOB_CONFIGURATION,
                        "the configuration of job " + op.jobId() + " was not received within "
                                + config.jobWaitTimeout().toSeconds() + " s",
                        null));
            }
            TenantTarget target;
            try {
                target = targetOf(job.get());
            } catch (IllegalArgumentException e) {
                return Uni.createFrom().item(Outcome.failure(actionOf(op), null, ErrorCodes.JOB_CONFIGURATION,
                        e.getMessage(), null));
            }
            if (op.objectType() != ObjectType.USER) {
                return Uni.createFrom().item(Outcome.skipped(ProvisioningAction.Other, null, null,
                        "groups are not provisioned by this version of the scim-writer"));
            }
            return switch (op.kind()) {
                case UPSERT -> users.upsert(op, target);
                case DISABLE -> users.disable(op, target);
                case DELETE -> users.delete(op, target);
            };
        });
    }

    private TenantTarget targetOf(JobConfig job) {
        if (job.tenantUrl() == null || job.tenantUrl().isBlank()) {
            throw new IllegalArgumentException("job " + job.jobId() + " has no tenant URL");
        }
        if (job.secretToken() == null) {
            throw new IllegalArgumentException("job " + job.jobId() + " has no secret token");
        }
        // the message of a decryption failure names the key ids, never the token
        String token = cipher.decrypt(job.secretToken());
        return new TenantTarget(job.jobId(), job.tenantUrl(), token, job.patchDialect(), job.actions());
    }

    /**
     * Waits for the job's configuration, bounded by {@code writer.job-wait-timeout}, and comes back to the caller's
     * Vert.x context (the directory completes on the jobs consumer's thread, the timeout on Mutiny's).
     */
    private Uni<Optional<JobConfig>> awaitJob(String jobId) {
        Optional<JobConfig> known = jobs.find(jobId);
        if (known.isPresent()) {
            return Uni.createFrom().item(known);
        }
        Context context = Vertx.currentContext();
        Uni<Optional<JobConfig>> waiting = Uni.createFrom().completionStage(() -> jobs.await(jobId))
                .map(Optional::of)
                .ifNoItem().after(config.jobWaitTimeout()).recoverWithItem(Optional.empty());
        return context == null ? waiting : waiting.emitOn(task -> context.runOnContext(ignored -> task.run()));
    }

    private static ProvisioningAction actionOf(ScimOperation op) {
        return switch (op.kind()) {
            case UPSERT -> ProvisioningAction.Other;
            case DISABLE -> ProvisioningAction.Disable;
            case DELETE -> ProvisioningAction.Delete;
        };
    }

    private static ProvisioningResult result(ScimOperation op, String resultId, Outcome outcome, Duration took) {
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION, resultId, op.jobId(), op.cycleId(),
                op.operationId(), op.objectType(), op.objectId(), outcome.targetId(), op.displayName(),
                outcome.action(), outcome.status(), outcome.errorCode(), outcome.reason(), outcome.httpStatus(),
                outcome.attempts(), took.toMillis(), outcome.modified(), REPORTED_BY, Instant.now());
    }
}
