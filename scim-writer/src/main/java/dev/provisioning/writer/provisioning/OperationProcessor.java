package dev.provisioning.writer.provisioning;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

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
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.escrow.EscrowSchedule;
import dev.provisioning.writer.escrow.EscrowStore;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.target.TenantTarget;

/**
 * Turns one operation into its result(s), at most once per operation: an operation already carried out (found in
 * {@code processed_operation}) gets its stored result again and sends nothing to Druva.
 *
 * <p>
 * Failures: a transient target failure that outlived the in-request retries escrows the object (table
 * {@code escrow}); no result is emitted until a scheduled retry succeeds or the object is dropped. A later operation
 * for an escrowed object supersedes the escrowed one (reported Skipped). An unexpected failure of the writer itself
 * (database down, ...) is retried with a bounded backoff, then escrowed, and if even that fails a Failure result is
 * emitted: nothing is dead-lettered but malformed records, and nothing is lost silently. Must be called on a Vert.x
 * context of its own ({@link KeySequencer}).
 */
@ApplicationScoped
public class OperationProcessor {

    private static final Logger LOG = Logger.getLogger(OperationProcessor.class);
    static final String REPORTED_BY = "scim-writer";
    /** The error code of an operation the writer itself could not carry out (its database was unreachable). */
    public static final String WRITER_UNAVAILABLE = "WriterUnavailable";

    private final JobDirectory jobs;
    private final SecretCipher cipher;
    private final UserProvisioner users;
    private final GroupProvisioner groups;
    private final WriterStore store;
    private final EscrowStore escrows;
    private final EscrowSchedule schedule;
    private final WriterConfig config;
    private final MeterRegistry registry;

    public OperationProcessor(JobDirectory jobs, SecretCipher cipher, UserProvisioner users, GroupProvisioner groups,
            WriterStore store, EscrowStore escrows, WriterConfig config, MeterRegistry registry) {
        this.jobs = jobs;
        this.cipher = cipher;
        this.users = users;
        this.groups = groups;
        this.store = store;
        this.escrows = escrows;
        this.schedule = new EscrowSchedule(config.escrow().schedule(), config.escrow().thenEvery(),
                config.escrow().giveUpAfter());
        this.config = config;
        this.registry = registry;
    }

    /**
     * The results to publish for the operation, in order (none while it is escrowed). Never fails for a
     * well-formed operation.
     *
     * @param given the job configuration to use (provision on demand), or null to take it from
     *        {@code provisioning.jobs}
     * @param escrowRetry whether this is a republished escrowed operation
     */
    public Uni<List<ProvisioningResult>> process(ScimOperation op, JobConfig given, boolean escrowRetry) {
        return withInfrastructureRetry(op, () -> attempt(op, given, escrowRetry), 1)
                .onFailure().recoverWithUni(failure -> lastResort(op, failure));
    }

    private Uni<List<ProvisioningResult>> attempt(ScimOperation op, JobConfig given, boolean escrowRetry) {
        String resultId = resultIdOf(op);
        String escrowId = Escrowed.idOf(op.jobId(), op.objectType().name(), op.objectId());
        return store.processedResult(resultId).flatMap(done -> {
            if (done.isPresent()) {
                LOG.infof("operation %s for job %s, object %s was already carried out: re-emitting its result",
                        op.operationId(), op.jobId(), op.objectId());
                return Uni.createFrom().item(List.of(EventChecks.result(done.get())));
            }
            return escrows.find(escrowId).flatMap(escrowed -> {
                boolean sameOp = escrowed.isPresent() && escrowed.get().operationId().equals(op.operationId());
                if (escrowRetry && !sameOp) {
                    LOG.infof("escrow retry of operation %s for job %s, object %s is obsolete (done or superseded)",
                            op.operationId(), op.jobId(), op.objectId());
                    return Uni.createFrom().item(List.<ProvisioningResult>of());
                }
                List<ProvisioningResult> out = new ArrayList<>();
                Uni<Void> before = Uni.createFrom().voidItem();
                if (escrowed.isPresent() && !sameOp) {
                    before = supersede(escrowed.get(), op).invoke(out::add).replaceWithVoid();
                }
                Optional<Escrowed> previous = sameOp ? escrowed : Optional.empty();
                long started = System.nanoTime();
                return before.chain(() -> carryOut(op, given)).flatMap(outcome -> {
                    Duration took = Duration.ofNanos(System.nanoTime() - started);
                    if (isTransient(outcome)) {
                        return escrow(op, previous, outcome, took).map(dropped -> {
                            dropped.ifPresent(out::add);
                            return out;
                        });
                    }
                    ProvisioningResult result = result(op, outcome, took);
                    return finish(op, result).chain(() -> previous.isPresent()
                            ? escrows.delete(escrowId, op.operationId())
                            : Uni.createFrom().voidItem())
                            .invoke(() -> {
                                if (previous.isPresent()) {
                                    LOG.infof("escrowed operation %s for job %s, object %s succeeded on retry %d",
                                            op.operationId(), op.jobId(), op.objectId(),
                                            previous.get().retries() + 1);
                                }
                            })
                            .map(ignored -> {
                                out.add(result);
                                return out;
                            });
                });
            });
        });
    }

    /** Records the result as the operation's (a redelivery re-emits it) and counts it. */
    private Uni<Void> finish(ScimOperation op, ProvisioningResult result) {
        return store.markProcessed(result.resultId(), op.jobId(), op.operationId(), Json.write(result))
                .invoke(() -> registry.counter("scim.writer.results", "job", op.jobId(), "action",
                        result.action().name(), "status", result.status().name()).increment());
    }

    /** A later operation replaced an escrowed one: the escrowed one is reported Skipped and forgotten. */
    private Uni<ProvisioningResult> supersede(Escrowed escrowed, ScimOperation by) {
        ScimOperation old = EventChecks.operation(escrowed.operationJson());
        LOG.infof("escrowed operation %s for job %s, object %s is superseded by operation %s", old.operationId(),
                old.jobId(), old.objectId(), by.operationId());
        ProvisioningResult skipped = result(old, Outcome.skipped(ProvisioningAction.Other, null,
                escrowed.lastErrorCode(), "superseded by a later change (operation " + by.operationId()
                        + ") before a retry succeeded; last error: " + escrowed.lastError()),
                Duration.ZERO);
        return escrows.delete(escrowed.id(), old.operationId()).chain(() -> finish(old, skipped))
                .replaceWith(skipped);
    }

    /**
     * Escrows the object, or drops it when its schedule is over.
     *
     * @return the Failure result to publish when dropped
     */
    private Uni<Optional<ProvisioningResult>> escrow(ScimOperation op, Optional<Escrowed> previous, Outcome outcome,
            Duration took) {
        Instant now = Instant.now();
        Instant firstFailed = previous.map(Escrowed::firstFailedAt).orElse(now);
        int retries = previous.map(e -> e.retries() + 1).orElse(0);
        Optional<Instant> next = schedule.next(firstFailed, retries, now);
        String escrowId = Escrowed.idOf(op.jobId(), op.objectType().name(), op.objectId());
        if (next.isEmpty()) {
            LOG.warnf("operation %s for job %s, object %s dropped from escrow after %d retries since %s: %s",
                    op.operationId(), op.jobId(), op.objectId(), retries, firstFailed, outcome.reason());
            Outcome dropped = new Outcome(outcome.action(), ProvisioningStatus.Failure, outcome.targetId(),
                    outcome.errorCode(), outcome.reason() + "; dropped from escrow after " + retries
                            + " scheduled retries since " + firstFailed,
                    outcome.httpStatus(), outcome.attempts(), List.of());
            ProvisioningResult result = result(op, dropped, took);
            return finish(op, result).chain(() -> escrows.delete(escrowId, op.operationId()))
                    .replaceWith(Optional.of(result));
        }
        LOG.warnf("operation %s for job %s, object %s escrowed (retry %d at %s): %s", op.operationId(), op.jobId(),
                op.objectId(), retries + 1, next.get(), outcome.reason());
        registry.counter("scim.writer.escrow.entries", "job", op.jobId()).increment();
        return escrows.save(new Escrowed(escrowId, op.jobId(), op.objectId(), op.operationId(), Json.write(op),
                retries, firstFailed, next.get(), outcome.errorCode(), outcome.reason()))
                .replaceWith(Optional.empty());
    }

    private static boolean isTransient(Outcome outcome) {
        return outcome.status() == ProvisioningStatus.Failure
                && (ErrorCodes.TARGET_UNAVAILABLE.equals(outcome.errorCode())
                        || ErrorCodes.TOO_MANY_REQUESTS.equals(outcome.errorCode()));
    }

    /**
     * Retries an unexpected failure (not a target answer: those are outcomes) with a bounded exponential backoff on
     * the caller's Vert.x context. Carrying an operation out again is safe: creates are guarded by the id map, the
     * match and 409.
     */
    private <T> Uni<T> withInfrastructureRetry(ScimOperation op, Supplier<Uni<T>> work, int attempt) {
        Uni<T> uni;
        try {
            uni = work.get();
        } catch (RuntimeException e) {
            uni = Uni.createFrom().failure(e);
        }
        return uni.onFailure().recoverWithUni(failure -> {
            if (attempt >= config.infrastructureRetry().maxAttempts()) {
                return Uni.createFrom().failure(failure);
            }
            long base = config.infrastructureRetry().baseDelay().toMillis();
            long delay = Math.min(config.infrastructureRetry().maxDelay().toMillis(),
                    base << Math.min(attempt - 1, 20));
            LOG.warnf("operation %s for job %s, object %s: the writer failed (%s); attempt %d/%d in %d ms",
                    op.operationId(), op.jobId(), op.objectId(), failure.toString(), attempt + 1,
                    config.infrastructureRetry().maxAttempts(), delay);
            Context context = Vertx.currentContext();
            Uni<Void> pause = Uni.createFrom().emitter(emitter -> {
                io.vertx.core.Vertx vertx = context == null ? null : context.owner();
                if (vertx == null) {
                    emitter.complete(null);
                } else {
                    vertx.setTimer(Math.max(1, delay),
                            id -> context.runOnContext(ignored -> emitter.complete(null)));
                }
            });
            return pause.chain(() -> withInfrastructureRetry(op, work, attempt + 1));
        });
    }

    /** The writer could not carry the operation out: escrow it, or at least report it. */
    private Uni<List<ProvisioningResult>> lastResort(ScimOperation op, Throwable failure) {
        LOG.errorf(failure, "operation %s for job %s, object %s could not be carried out by the writer",
                op.operationId(), op.jobId(), op.objectId());
        Outcome outcome = Outcome.failure(actionOf(op), null, WRITER_UNAVAILABLE,
                "the scim-writer could not carry the operation out: " + failure, null);
        return escrow(op, Optional.empty(), outcome, Duration.ZERO)
                .map(dropped -> dropped.map(List::of).orElse(List.of()))
                .onFailure().recoverWithItem(e -> {
                    LOG.errorf("operation %s for job %s, object %s could not be escrowed either (%s): reported as "
                            + "a failure", op.operationId(), op.jobId(), op.objectId(), e.toString());
                    return List.of(result(op, outcome, Duration.ZERO));
                });
    }

    private Uni<Outcome> carryOut(ScimOperation op, JobConfig given) {
        Uni<Optional<JobConfig>> job = given == null ? awaitJob(op.jobId()) : Uni.createFrom().item(Optional.of(given));
        return job.flatMap(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Outcome.failure(actionOf(op), null, ErrorCodes.JOB_CONFIGURATION,
                        "the configuration of job " + op.jobId() + " was not received within "
                                + config.jobWaitTimeout().toSeconds() + " s",
                        null));
            }
            TenantTarget target;
            try {
                target = targetOf(found.get());
            } catch (IllegalArgumentException e) {
                return Uni.createFrom().item(Outcome.failure(actionOf(op), null, ErrorCodes.JOB_CONFIGURATION,
                        e.getMessage(), null));
            }
            if (op.objectType() == ObjectType.GROUP) {
                return switch (op.kind()) {
                    case UPSERT -> groups.upsert(op, target);
                    case DISABLE, DELETE -> groups.delete(op, target);
                };
            }
            return switch (op.kind()) {
                case UPSERT -> users.upsert(op, target);
                case DISABLE -> users.disable(op, target);
                case DELETE -> users.delete(op, target);
            };
        });
    }

    /** The tenant of a job, with its token decrypted (never logged). */
    public TenantTarget targetOf(JobConfig job) {
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
            case DISABLE ->
                op.objectType() == ObjectType.GROUP ? ProvisioningAction.Delete : ProvisioningAction.Disable;
            case DELETE -> ProvisioningAction.Delete;
        };
    }

    static String resultIdOf(ScimOperation op) {
        return ProvisioningResult.idOf(op.jobId(), op.objectId(), op.cycleId(), op.operationId());
    }

    private static ProvisioningResult result(ScimOperation op, Outcome outcome, Duration took) {
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION, resultIdOf(op), op.jobId(), op.cycleId(),
                op.operationId(), op.objectType(), op.objectId(), outcome.targetId(), op.displayName(),
                outcome.action(), outcome.status(), outcome.errorCode(), outcome.reason(), outcome.httpStatus(),
                outcome.attempts(), took.toMillis(), outcome.modified(), REPORTED_BY, Instant.now());
    }
}
