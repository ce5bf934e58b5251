package dev.provisioning.writer.provisioning;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
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
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.config.WriterMeters;
import dev.provisioning.writer.escrow.CredentialHolds;
import dev.provisioning.writer.escrow.EscrowSchedule;
import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.persistence.EscrowStore;
import dev.provisioning.writer.persistence.MicroBatcher;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.scim.client.TenantTarget;
import dev.provisioning.writer.throughput.TenantHealth;

/**
 * Turns one operation into its result(s), at most once per operation: an operation already carried out (found in
 * {@code processed_operation}) gets its stored result again and sends nothing to Druva.
 *
 * <p>
 * Every operation has a result within a bounded time; none keeps its cycle open while it waits to be retried:
 * <ul>
 * <li>A transient failure that outlived the in-request retries ({@code writer.retry.*}, minutes) escrows the object
 * (table {@code escrow}, {@link EscrowState#ESCROWED}) and yields at once a Failure result whose {@code retryAt} says
 * when the writer retries it, on Entra's schedule ({@link EscrowSchedule}). Scheduled retries that fail again are not
 * reported again; the retry that ends it (success, a permanent failure, the end of the schedule) yields one more
 * result, a follow-up ({@code retryOf} the first, id {@link ProvisioningResult#followUpIdOf}).</li>
 * <li>While the job's token is rejected (401, {@link CredentialHolds}), its operations are held without being sent
 * ({@link EscrowState#HELD}): each request answered 401 is a Failure {@code InvalidCredentials} (the first, and any
 * already in flight when it came), the operations held without a request are Skipped with the same code (a few
 * failures for the digest, not one per object); they are sent when the token changes or the job is started again, and
 * their outcome is a follow-up.</li>
 * <li>While the job's tenant answers nothing ({@link TenantHealth}), operations are escrowed at once without being
 * sent, except a probe now and then.</li>
 * <li>A later operation for a waiting object supersedes the waiting one (reported Skipped); an older one never
 * supersedes a newer one.</li>
 * <li>An unexpected failure of the writer itself (database down, ...) is retried with a bounded backoff (Mutiny's),
 * then escrowed, and if even that fails a Failure result {@code WriterUnavailable} is emitted.</li>
 * </ul>
 * Operations that only wait for room in their tenant's lane are {@linkplain #defer deferred}
 * ({@link EscrowState#DEFERRED}): no result, not a failure. Must be called on a Vert.x context of its own (one per
 * operation), where its database calls complete.
 */
@ApplicationScoped
public class OperationProcessor {

    private static final Logger LOG = Logger.getLogger(OperationProcessor.class);
    static final String REPORTED_BY = "scim-writer";
    /** The error code of an operation the writer itself could not carry out (its database was unreachable). */
    public static final String WRITER_UNAVAILABLE = "WriterUnavailable";

    private final DecryptedTokens tokens;
    private final UserProvisioner users;
    private final GroupProvisioner groups;
    private final WriterStore store;
    private final EscrowStore escrows;
    private final EscrowSchedule schedule;
    private final CredentialHolds holds;
    private final TenantHealth health;
    private final WriterConfig config;
    private final MeterRegistry registry;
    private final ResultJson json;
    /** {@link WriterMeters#RESULTS} by job, action and status: looked up once, not per result (issue 13, W4). */
    private final Map<ResultKey, Counter> resultCounters = new ConcurrentHashMap<>();

    /** The tags of a result's counter. */
    private record ResultKey(String jobId, ProvisioningAction action, ProvisioningStatus status) {
    }

    public OperationProcessor(SecretCipher cipher, UserProvisioner users, GroupProvisioner groups, WriterStore store,
            EscrowStore escrows, EscrowSchedule schedule, CredentialHolds holds, TenantHealth health,
            WriterConfig config, MeterRegistry registry, ResultJson json) {
        this.tokens = new DecryptedTokens(cipher);
        this.json = json;
        this.users = users;
        this.groups = groups;
        this.store = store;
        this.escrows = escrows;
        this.schedule = schedule;
        this.holds = holds;
        this.health = health;
        this.config = config;
        this.registry = registry;
    }

    /** What an operation found waiting for its object, and whether its outcome is a follow-up of a result. */
    private record Waiting(Optional<Escrowed> row, boolean followUp) {

        static final Waiting NONE = new Waiting(Optional.empty(), false);
    }

    /**
     * The results to publish for the operation, in order. Never fails for a well-formed operation.
     *
     * @param job the job's configuration (from {@code provisioning.jobs}, or the one a provision on demand names)
     * @param retry whether this is an operation republished from the {@code escrow} table (header {@code escrow-retry})
     */
    public Uni<List<ProvisioningResult>> process(ScimOperation op, JobConfig job, boolean retry) {
        return withInfrastructureRetry(op, Uni.createFrom().deferred(() -> attempt(op, job, retry)))
                .onFailure().recoverWithUni(failure -> lastResort(op, failure));
    }

    /**
     * Moves an operation out of memory: it waits, durably, in the {@code escrow} table ({@link EscrowState#DEFERRED})
     * until its tenant's lane has room, without a result (a republished escrowed or held operation keeps its state and
     * is simply due again). Returns the results to publish: usually none; a Skipped result for an operation this one
     * supersedes, or for this one when a newer operation already waits.
     *
     * @param operationJson the operation's record as received (its value on {@code provisioning.operations}): stored
     *        as it is and republished as it is, not written again from {@code op}
     * @param tenant the tenant whose lane releases it
     * @param partition the partition of {@code provisioning.operations} the operation's key goes to: the replica that
     *        holds it releases the operation; null when not known (it is then released through Kafka)
     */
    public Uni<List<ProvisioningResult>> defer(ScimOperation op, String operationJson, String tenant,
            boolean retry, Integer partition) {
        return withInfrastructureRetry(op,
                Uni.createFrom().deferred(() -> deferOnce(op, operationJson, tenant, retry, partition)));
    }

    private Uni<List<ProvisioningResult>> attempt(ScimOperation op, JobConfig job, boolean retry) {
        String escrowId = escrowIdOf(op);
        WriterStore.ObjectKey object = objectOf(op, job);
        if (retry) {
            // a deferred operation's result is its own (read here); a follow-up's id comes from the escrow row: its
            // recorded result is read afterwards, when there is one
            return store.lookup(resultIdOf(op), escrowId, object).flatMap(known -> {
                Optional<Escrowed> found = known.escrow();
                if (found.isEmpty() || !found.get().operationId().equals(op.operationId())) {
                    LOG.infof("escrow retry of operation %s for job %s, object %s is obsolete (done or superseded)",
                            op.operationId(), op.jobId(), op.objectId());
                    return Uni.createFrom().item(List.<ProvisioningResult>of());
                }
                Escrowed row = found.get();
                if (!row.reported()) {
                    // carried out (or superseded) before a restart that came before its row was removed: the result
                    // recorded then is the one, emitted again (the id map keeps no copy of it)
                    return known.processed().isPresent()
                            ? escrows.delete(escrowId, op.operationId())
                                    .replaceWith(List.of(EventChecks.result(known.processed().get())))
                            : carry(op, job, new Waiting(found, false), true, known.entry());
                }
                // its follow-up may be recorded already (a restart between recording it and removing the row)
                return store.processedResult(ProvisioningResult.followUpIdOf(row.resultId())).flatMap(done -> done
                        .isPresent()
                                ? escrows.delete(escrowId, op.operationId())
                                        .replaceWith(List.of(EventChecks.result(done.get())))
                                : carry(op, job, new Waiting(found, true), false, known.entry()));
            });
        }
        // one round trip: the operation's recorded result, its object's waiting row and id-map entry
        return store.lookup(resultIdOf(op), escrowId, object).flatMap(known -> {
            Optional<String> done = known.processed();
            if (done.isPresent()) {
                LOG.infof("operation %s for job %s, object %s was already carried out: re-emitting its result",
                        op.operationId(), op.jobId(), op.objectId());
                return Uni.createFrom().item(List.of(EventChecks.result(done.get())));
            }
            Optional<Escrowed> found = known.escrow();
            if (found.isEmpty()) {
                return carry(op, job, Waiting.NONE, true, known.entry());
            }
            Escrowed row = found.get();
            if (row.operationId().equals(op.operationId())) {
                // deferred and delivered again, or its first result was never recorded: a first attempt
                return carry(op, job, new Waiting(found, false), true, known.entry());
            }
            if (isOlder(op, row)) {
                return obsolete(op, row).map(List::of);
            }
            // superseding writes processed_operation and escrow only: the id-map entry read above still holds
            return supersede(row, op).flatMap(skipped -> carry(op, job, Waiting.NONE, true, known.entry())
                    .map(results -> prepend(skipped, results)));
        });
    }

    /** @param entry the object's id-map entry, read just before (the provisioners do not read it again) */
    private Uni<List<ProvisioningResult>> carry(ScimOperation op, JobConfig job, Waiting waiting,
            boolean bulkMatch, Optional<WriterStore.Entry> entry) {
        long started = System.nanoTime();
        TenantTarget target;
        try {
            target = targetOf(job);
        } catch (IllegalArgumentException e) {
            return complete(op, waiting, Outcome.failure(actionOf(op), null, ErrorCodes.JOB_CONFIGURATION,
                    e.getMessage(), null), Duration.ZERO);
        }
        if (holds.isHeld(job)) {
            return hold(op, job, waiting, false, null);
        }
        Instant now = Instant.now();
        if (!health.admits(target.tenant(), now)) {
            Instant since = health.downSince(target.tenant()).orElse(now);
            return escrow(op, waiting, Outcome.failure(actionOf(op), null, ErrorCodes.TARGET_UNAVAILABLE,
                    "not sent: the Druva tenant " + job.tenantUrl() + " has answered no request since " + since,
                    null), Duration.ZERO, target.tenant(), true);
        }
        return carryOut(op, target, bulkMatch, entry).flatMap(outcome -> {
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            if (outcome.status() == ProvisioningStatus.Failure
                    && ErrorCodes.INVALID_CREDENTIALS.equals(outcome.errorCode())) {
                boolean first = holds.hold(job);
                if (first) {
                    LOG.warnf("job %s: Druva rejected the job's token (401): its operations are held, not sent, until "
                            + "the token changes or the job is started again", op.jobId());
                }
                return changeAlone(outcome).chain(() -> hold(op, job, waiting, first, outcome));
            }
            if (isTransient(outcome)) {
                if (health.exhausted(target.tenant(), Instant.now())) {
                    LOG.warnf("the Druva tenant %s answers no request: its operations are escrowed without being sent "
                            + "until a probe gets an answer", job.tenantUrl());
                }
                return changeAlone(outcome).chain(() -> escrow(op, waiting, outcome, took, target.tenant(), false));
            }
            return complete(op, waiting, outcome, took);
        });
    }

    /**
     * The id-map change of an outcome whose operation records no final result now (held, escrowed): written alone.
     * The provisioners end only successes and skips with a change, which are final; this keeps a change from being
     * dropped should one ever end another outcome.
     */
    private Uni<Void> changeAlone(Outcome outcome) {
        return outcome.idMapChange() == null ? Uni.createFrom().voidItem() : store.write(outcome.idMapChange());
    }

    /**
     * The operation's outcome is final: its result (a follow-up when it waited with a result) recorded in one statement
     * with the id-map change the outcome ends with, then the row removed.
     */
    private Uni<List<ProvisioningResult>> complete(ScimOperation op, Waiting waiting, Outcome outcome,
            Duration took) {
        ProvisioningResult result = waiting.followUp()
                ? result(op, outcome, took, ProvisioningResult.followUpIdOf(waiting.row().get().resultId()), null,
                        waiting.row().get().resultId())
                : result(op, outcome, took, resultIdOf(op), null, null);
        if (waiting.followUp()) {
            Escrowed row = waiting.row().get();
            LOG.infof("operation %s for job %s, object %s waiting since %s (%s) ended: %s %s", op.operationId(),
                    op.jobId(), op.objectId(), row.firstFailedAt(), row.state(), outcome.action(), outcome.status());
        }
        return finish(op, result, outcome.idMapChange())
                .chain(() -> waiting.row().isPresent()
                        ? escrows.delete(escrowIdOf(op), op.operationId())
                        : Uni.createFrom().voidItem())
                .replaceWith(List.of(result));
    }

    /**
     * Escrows the object, or ends it with a Failure when its schedule is over. The first failure yields a Failure
     * result with the retry time; a failing scheduled retry only moves the row on.
     *
     * @param tenant the tenant, whose recovery retries the row at once (null when unknown)
     * @param refused whether the operation was not sent because its tenant is down: it did not fail itself, so it is
     *        due again after a probe interval rather than on Entra's schedule
     */
    private Uni<List<ProvisioningResult>> escrow(ScimOperation op, Waiting waiting, Outcome outcome, Duration took,
            String tenant, boolean refused) {
        Instant now = Instant.now();
        Optional<Escrowed> previous = waiting.followUp() ? waiting.row() : Optional.empty();
        Instant firstFailed = previous.map(Escrowed::firstFailedAt).orElse(now);
        int done = previous.filter(e -> e.state() == EscrowState.ESCROWED).map(e -> e.retries() + 1).orElse(0);
        int retries = refused ? previous.map(Escrowed::retries).orElse(0) : done;
        Optional<Instant> next = refused
                ? Optional.of(now.plus(health.probeInterval()))
                        .filter(at -> !at.isAfter(firstFailed.plus(config.escrow().giveUpAfter())))
                : schedule.next(firstFailed, retries, now);
        if (next.isEmpty()) {
            LOG.warnf("operation %s for job %s, object %s dropped from escrow after %s since %s: %s",
                    op.operationId(), op.jobId(), op.objectId(), Plural.of(retries, "retry", "retries"), firstFailed,
                    outcome.reason());
            return complete(op, waiting, new Outcome(outcome.action(), ProvisioningStatus.Failure, outcome.targetId(),
                    outcome.errorCode(), outcome.reason() + "; dropped from escrow after " + retries
                            + " scheduled retries since " + firstFailed,
                    outcome.httpStatus(), outcome.attempts(), List.of()), took);
        }
        String resultId = previous.map(Escrowed::resultId).orElse(resultIdOf(op));
        Escrowed row = new Escrowed(escrowIdOf(op), op.jobId(), op.objectId(), op.operationId(), Json.write(op),
                retries, firstFailed, next.get(), outcome.errorCode(), outcome.reason(), EscrowState.ESCROWED,
                resultId, op.createdAt(), null, null, tenant, null);
        LOG.warnf("operation %s for job %s, object %s escrowed (scheduled retry %d at %s): %s", op.operationId(),
                op.jobId(), op.objectId(), retries + 1, next.get(), outcome.reason());
        if (previous.isPresent()) {
            return escrows.save(row).replaceWith(List.of());
        }
        registry.counter(WriterMeters.ESCROW_ENTRIES, PROVISIONING_JOB, op.jobId()).increment();
        ProvisioningResult result = result(op, new Outcome(outcome.action(), outcome.status(), outcome.targetId(),
                outcome.errorCode(), outcome.reason() + "; escrowed: the scim-writer retries it at " + next.get(),
                outcome.httpStatus(), outcome.attempts(), outcome.modified()), took, resultId, next.get(), null);
        // the row first: a restart before the result is recorded retries the operation as new, nothing is lost
        return escrows.save(row).chain(() -> finish(op, result)).replaceWith(List.of(result));
    }

    /**
     * Holds the operation without sending it while the job's token is rejected.
     *
     * @param first whether this operation's 401 set the hold (reported even when it retries an escrowed operation)
     * @param outcome the 401 outcome (the request went out: reported as a Failure with its status), or null when the
     *        operation was not sent (reported as Skipped)
     */
    private Uni<List<ProvisioningResult>> hold(ScimOperation op, JobConfig job, Waiting waiting, boolean first,
            Outcome outcome) {
        Instant now = Instant.now();
        Optional<Escrowed> previous = waiting.followUp() ? waiting.row() : Optional.empty();
        Instant firstFailed = previous.map(Escrowed::firstFailedAt).orElse(now);
        // an operation whose request went out before the hold (several in flight at once) was answered 401 too: its
        // record says so, as a Failure with the 401, not "not sent"
        boolean sent = outcome != null;
        String reason = "Druva rejected the token of job " + op.jobId() + " (401 InvalidCredentials): the operation is "
                + (sent ? "held, and sent again once" : "held, not sent, until")
                + " the job's token changes or the job is started again";
        // a retry that finds the token rejected reports it once more (the detector quarantines on it), as a follow-up
        boolean report = previous.isEmpty() || first;
        String resultId = previous.isEmpty()
                ? resultIdOf(op)
                : first ? ProvisioningResult.followUpIdOf(previous.get().resultId()) : previous.get().resultId();
        Escrowed row = new Escrowed(escrowIdOf(op), op.jobId(), op.objectId(), op.operationId(), Json.write(op),
                previous.map(Escrowed::retries).orElse(0), firstFailed,
                firstFailed.plus(config.escrow().giveUpAfter()), ErrorCodes.INVALID_CREDENTIALS, reason,
                EscrowState.HELD, resultId, op.createdAt(), CredentialHolds.fingerprint(job.secretToken()),
                job.revision(), null, null);
        registry.counter(WriterMeters.HELD_ENTRIES, PROVISIONING_JOB, op.jobId()).increment();
        if (!report) {
            return escrows.save(row).replaceWith(List.of());
        }
        ProvisioningAction action = outcome == null ? actionOf(op) : outcome.action();
        Outcome reported = sent
                ? new Outcome(action, ProvisioningStatus.Failure, null, ErrorCodes.INVALID_CREDENTIALS,
                        outcome.reason() + "; " + reason, outcome.httpStatus(), outcome.attempts(), List.of())
                : Outcome.skipped(action, null, ErrorCodes.INVALID_CREDENTIALS, reason);
        ProvisioningResult result = result(op, reported, Duration.ZERO, resultId, null,
                previous.map(Escrowed::resultId).orElse(null));
        return escrows.save(row).chain(() -> finish(op, result)).replaceWith(List.of(result));
    }

    private Uni<List<ProvisioningResult>> deferOnce(ScimOperation op, String operationJson, String tenant,
            boolean retry, Integer partition) {
        String escrowId = escrowIdOf(op);
        Instant now = Instant.now();
        Escrowed deferred = new Escrowed(escrowId, op.jobId(), op.objectId(), op.operationId(), operationJson, 0, now,
                now, null, null, EscrowState.DEFERRED, null, op.createdAt(), null, null, tenant, partition);
        // one round trip: the object's waiting row and the operation's recorded result
        return store.lookup(resultIdOf(op), escrowId, null).flatMap(known -> {
            Optional<Escrowed> found = known.escrow();
            if (retry || found.isPresent() && found.get().operationId().equals(op.operationId())) {
                if (found.isEmpty() || !found.get().operationId().equals(op.operationId())) {
                    return Uni.createFrom().item(List.<ProvisioningResult>of());
                }
                // waiting already: due again (deferred: when the tenant has room; escrowed or held: at once)
                Escrowed row = found.get();
                Escrowed again = new Escrowed(row.id(), row.jobId(), row.objectId(), row.operationId(),
                        row.operationJson(), row.retries(), row.firstFailedAt(), now, row.lastErrorCode(),
                        row.lastError(), row.state(), row.resultId(), row.operationCreatedAt(), row.heldToken(),
                        row.heldRevision(), tenant, partition != null ? partition : row.partition());
                return escrows.defer(again).replaceWith(List.<ProvisioningResult>of());
            }
            if (known.processed().isPresent()) {
                return Uni.createFrom().item(List.of(EventChecks.result(known.processed().get())));
            }
            if (found.isEmpty()) {
                return escrows.defer(deferred).replaceWith(List.<ProvisioningResult>of());
            }
            if (isOlder(op, found.get())) {
                return obsolete(op, found.get()).map(List::of);
            }
            return supersede(found.get(), op)
                    .flatMap(skipped -> escrows.defer(deferred).replaceWith(List.of(skipped)));
        });
    }

    /** Records the result as the operation's (a redelivery re-emits it) and counts it. */
    private Uni<Void> finish(ScimOperation op, ProvisioningResult result) {
        return finish(op, result, null);
    }

    /**
     * Records the result as the operation's (a redelivery re-emits it) with the id-map change it ends with (null:
     * none), in one statement: a crash leaves both or neither, so a redelivery either re-emits the result or carries
     * the operation out again, as after a crash before the change. Counts the result.
     */
    private Uni<Void> finish(ScimOperation op, ProvisioningResult result, WriterStore.IdMapChange change) {
        return store.markProcessed(result.resultId(), op.jobId(), op.operationId(), json.of(result), change)
                .invoke(() -> resultCounters.computeIfAbsent(new ResultKey(op.jobId(), result.action(),
                        result.status()),
                        key -> registry.counter(WriterMeters.RESULTS, PROVISIONING_JOB, key.jobId(),
                                "action", key.action().name(), "status", key.status().name()))
                        .increment());
    }

    /**
     * A later operation replaced a waiting one: the waiting one is reported Skipped (a follow-up if it had a result)
     * and forgotten. The result is recorded before the row is removed, so a restart in between supersedes it again.
     */
    private Uni<ProvisioningResult> supersede(Escrowed waiting, ScimOperation by) {
        ScimOperation old = EventChecks.operation(waiting.operationJson());
        LOG.infof("waiting operation %s for job %s, object %s (%s) is superseded by operation %s", old.operationId(),
                old.jobId(), old.objectId(), waiting.state(), by.operationId());
        Outcome outcome = Outcome.skipped(ProvisioningAction.Other, null, waiting.lastErrorCode(),
                "superseded by a later change (operation " + by.operationId() + ") before it was carried out"
                        + (waiting.lastError() == null || waiting.lastError().isEmpty()
                                ? ""
                                : "; last error: " + waiting.lastError()));
        ProvisioningResult skipped = waiting.reported()
                ? result(old, outcome, Duration.ZERO, ProvisioningResult.followUpIdOf(waiting.resultId()), null,
                        waiting.resultId())
                : result(old, outcome, Duration.ZERO, resultIdOf(old), null, null);
        return finish(old, skipped).chain(() -> escrows.delete(waiting.id(), old.operationId())).replaceWith(skipped);
    }

    /** An operation older than the one waiting for its object (delivered again after a restart): Skipped. */
    private Uni<ProvisioningResult> obsolete(ScimOperation op, Escrowed newer) {
        LOG.infof("operation %s for job %s, object %s is older than operation %s waiting for the object: skipped",
                op.operationId(), op.jobId(), op.objectId(), newer.operationId());
        ProvisioningResult skipped = result(op, Outcome.skipped(ProvisioningAction.Other, null, null,
                "superseded by a later change (operation " + newer.operationId() + ") waiting for the object"),
                Duration.ZERO, resultIdOf(op), null, null);
        return finish(op, skipped).replaceWith(skipped);
    }

    private static boolean isOlder(ScimOperation op, Escrowed waiting) {
        return op.createdAt() != null && waiting.operationCreatedAt() != null
                && op.createdAt().isBefore(waiting.operationCreatedAt());
    }

    private static boolean isTransient(Outcome outcome) {
        return outcome.status() == ProvisioningStatus.Failure
                && (ErrorCodes.TARGET_UNAVAILABLE.equals(outcome.errorCode())
                        || ErrorCodes.TOO_MANY_REQUESTS.equals(outcome.errorCode()));
    }

    /**
     * Retries an unexpected failure (not a target answer: those are outcomes) with Mutiny's bounded exponential
     * backoff ({@code writer.infrastructure-retry.*}); each attempt starts on the caller's Vert.x context. Carrying an
     * operation out again is safe: creates are guarded by the id map, the match and 409. A row PostgreSQL refused on
     * its own ({@link MicroBatcher.RowRefused}) is not retried: it would be refused again.
     */
    private <T> Uni<T> withInfrastructureRetry(ScimOperation op, Uni<T> work) {
        Context context = Vertx.currentContext();
        Executor onContext = task -> context.runOnContext(ignored -> task.run());
        Uni<T> attempt = context == null ? work : work.runSubscriptionOn(onContext);
        int attempts = Math.max(1, config.infrastructureRetry().maxAttempts());
        return attempt
                .onFailure().invoke(failure -> LOG.warnf("operation %s for job %s, object %s: the writer failed (%s); "
                        + "retried up to %d attempts in all", op.operationId(), op.jobId(), op.objectId(),
                        failure.toString(), attempts))
                .onFailure(failure -> !(failure instanceof MicroBatcher.RowRefused)).retry()
                .withBackOff(config.infrastructureRetry().baseDelay(), config.infrastructureRetry().maxDelay())
                .atMost(attempts - 1L);
    }

    /** The writer could not carry the operation out: escrow it, or at least report it. */
    private Uni<List<ProvisioningResult>> lastResort(ScimOperation op, Throwable failure) {
        LOG.errorf(failure, "operation %s for job %s, object %s could not be carried out by the writer",
                op.operationId(), op.jobId(), op.objectId());
        Outcome outcome = Outcome.failure(actionOf(op), null, WRITER_UNAVAILABLE,
                "the scim-writer could not carry the operation out: " + failure, null);
        return escrow(op, Waiting.NONE, outcome, Duration.ZERO, null, false)
                .onFailure().recoverWithItem(e -> {
                    LOG.errorf("operation %s for job %s, object %s could not be escrowed either (%s): reported as "
                            + "a failure", op.operationId(), op.jobId(), op.objectId(), e.toString());
                    return List.of(result(op, outcome, Duration.ZERO, resultIdOf(op), null, null));
                });
    }

    private Uni<Outcome> carryOut(ScimOperation op, TenantTarget target, boolean bulkMatch,
            Optional<WriterStore.Entry> entry) {
        if (op.objectType() == ObjectType.GROUP) {
            return switch (op.kind()) {
                case UPSERT -> groups.upsert(op, target, entry);
                case DISABLE, DELETE -> groups.delete(op, target, entry);
            };
        }
        return switch (op.kind()) {
            case UPSERT -> users.upsert(op, target, bulkMatch, entry);
            case DISABLE -> users.disable(op, target, entry);
            case DELETE -> users.delete(op, target, entry);
        };
    }

    /**
     * The tenant of a job, with its token decrypted (never logged; decrypted once per job revision,
     * {@link DecryptedTokens}) and a fresh retry budget: one per operation.
     */
    public TenantTarget targetOf(JobConfig job) {
        if (job.tenantUrl() == null || job.tenantUrl().isBlank()) {
            throw new IllegalArgumentException("job " + job.jobId() + " has no tenant URL");
        }
        if (job.secretToken() == null) {
            throw new IllegalArgumentException("job " + job.jobId() + " has no secret token");
        }
        // the message of a decryption failure names the key ids, never the token
        String token = tokens.token(job);
        return new TenantTarget(job.jobId(), job.tenantUrl(), token, job.patchDialect(), job.actions());
    }

    /** Drops the job's decrypted token and its cached result counters from memory (the job was deleted). */
    public void forgetJob(String jobId) {
        tokens.forget(jobId);
        resultCounters.keySet().removeIf(key -> key.jobId().equals(jobId));
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

    /** The operation's object in the id map (keyed by the job's id, as the provisioners key it). */
    private static WriterStore.ObjectKey objectOf(ScimOperation op, JobConfig job) {
        return new WriterStore.ObjectKey(job.jobId(), op.objectType().name(), op.objectId());
    }

    private static String escrowIdOf(ScimOperation op) {
        return Escrowed.idOf(op.jobId(), op.objectType().name(), op.objectId());
    }

    private static List<ProvisioningResult> prepend(ProvisioningResult first, List<ProvisioningResult> rest) {
        List<ProvisioningResult> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    private static ProvisioningResult result(ScimOperation op, Outcome outcome, Duration took, String resultId,
            Instant retryAt, String retryOf) {
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION, resultId, op.jobId(), op.cycleId(),
                op.operationId(), op.objectType(), op.objectId(), outcome.targetId(), op.displayName(),
                outcome.action(), outcome.status(), outcome.errorCode(), outcome.reason(), outcome.httpStatus(),
                outcome.attempts(), took.toMillis(), outcome.modified(), REPORTED_BY, Instant.now(), retryAt, retryOf);
    }
}
