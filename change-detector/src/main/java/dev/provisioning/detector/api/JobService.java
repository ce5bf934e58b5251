package dev.provisioning.detector.api;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.cycle.ProvisionOnDemand;
import dev.provisioning.detector.cycle.RunningCycles;
import dev.provisioning.detector.cycle.SnapshotCache;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.job.DeletionThreshold;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.job.Quarantine;
import dev.provisioning.detector.persistence.AuditLog;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.persistence.StagedDeletionRepository;
import dev.provisioning.detector.persistence.UnreadableJob;
import dev.provisioning.detector.persistence.UnreadableJobException;
import dev.provisioning.detector.safety.HeldDeletions;
import dev.provisioning.detector.source.DirectorySources;
import dev.provisioning.detector.source.graph.GraphMirrorRepository;
import dev.provisioning.detector.writer.WriterClient;
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.GraphSource;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.events.job.SourceConfig;
import dev.provisioning.events.job.SourceType;
import dev.provisioning.mapping.MappingEngine;
import dev.provisioning.telemetry.Plural;

/**
 * Creates, changes and reads jobs. Every change loads the {@link ProvisioningJob}, calls one of its methods and saves
 * it ({@link JobStore#update}): the row and the events the job raised (its configuration for {@code provisioning.jobs},
 * job state events for the notifier) are stored in one transaction and published from the outbox afterwards, so the
 * other services never hear of a change that was not stored. Each change made through the API is recorded in the
 * {@link AuditLog} with its caller ({@code actor}), in the change's own transaction where the job's save has one.
 */
@ApplicationScoped
public class JobService {

    private static final Logger LOG = Logger.getLogger(JobService.class);
    /** The longest audit entry detail ({@code job_audit.detail}'s length). */
    private static final int AUDIT_DETAIL = 1000;

    private final JobStore jobs;
    private final CycleRepository cycles;
    private final ProvisioningLogRepository log;
    private final SecretCipher cipher;
    private final SnapshotRepository snapshots;
    private final GraphMirrorRepository graphMirror;
    private final StagedDeletionRepository staged;
    private final HeldDeletions held;
    private final WriterClient writer;
    private final ProvisionOnDemand onDemand;
    private final AuditLog audit;
    private final RunningCycles running;
    private final SnapshotCache snapshotCache;
    private final DirectorySources sources;
    private final boolean allowInsecureLoopback;
    private final Duration minCycleInterval;

    public JobService(JobStore jobs, CycleRepository cycles, ProvisioningLogRepository log, SecretCipher cipher,
            SnapshotRepository snapshots, StagedDeletionRepository staged, HeldDeletions held, WriterClient writer,
            ProvisionOnDemand onDemand, GraphMirrorRepository graphMirror, AuditLog audit, RunningCycles running,
            SnapshotCache snapshotCache, DirectorySources sources, DetectorConfig config) {
        this.snapshotCache = snapshotCache;
        this.audit = audit;
        this.sources = sources;
        this.running = running;
        this.allowInsecureLoopback = config.allowInsecureLoopback();
        this.minCycleInterval = config.minCycleInterval();
        this.graphMirror = graphMirror;
        this.snapshots = snapshots;
        this.staged = staged;
        this.held = held;
        this.writer = writer;
        this.onDemand = onDemand;
        this.jobs = jobs;
        this.cycles = cycles;
        this.log = log;
        this.cipher = cipher;
    }

    /** Creates a job; {@code actor} is recorded in the audit log. */
    public Uni<JobView> create(JobRequest request, String actor) {
        List<FieldError> errors = JobValidator.validate(request, true, allowInsecureLoopback, minCycleInterval);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        String id = UUID.randomUUID().toString();
        JobConfig config = toConfig(id, request, cipher.encrypt(request.secretToken()), graphSource(request, null),
                0);
        errors = mappingErrors(config);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        ProvisioningJob job = ProvisioningJob.create(config,
                DeletionThreshold.of(request.deletionThreshold(), request.deletionThresholdPercent()), Instant.now());
        JobView created = view(job);
        return jobs.insert(job).chain(() -> audit.record(id, actor, "create",
                AuditTrail.changed(null, created, AuditTrail.secretsIn(request)), null)).replaceWith(created);
    }

    /**
     * Changes a job. A new tenant URL (or Graph authority or Graph URL) must come with its secret: the stored one is
     * never sent to a new URL (400 naming {@code secretToken} or {@code source.graph.clientSecret}).
     *
     * <p>
     * A job whose stored row cannot be read ({@link UnreadableJobException}) is repaired in place by a request with
     * its whole configuration ({@link #repair}); one that leaves out a stored secret is refused with 409
     * ({@link WholeConfigurationRequired}).
     */
    public Uni<Optional<JobView>> update(String id, JobRequest request, String actor) {
        List<FieldError> errors = JobValidator.validate(request, false, allowInsecureLoopback, minCycleInterval);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        return change(id, request, actor).onFailure(UnreadableJobException.class)
                .recoverWithUni(e -> repair(id, request, actor, (UnreadableJobException) e));
    }

    /**
     * {@link #update} of a job whose row can be read: what the request leaves out keeps the job's current value
     * ({@link JobRequest#withCurrent}).
     */
    private Uni<Optional<JobView>> change(String id, JobRequest sent, String actor) {
        boolean tokenChanged = sent.secretToken() != null && !sent.secretToken().isBlank();
        EncryptedSecret newToken = tokenChanged ? cipher.encrypt(sent.secretToken()) : null;
        return jobs.update(id, (job, tx) -> {
            JobConfig old = job.config();
            JobRequest request = sent.withCurrent(old);
            if (notifiesNowhere(request)) {
                return Uni.createFrom().failure(new InvalidJobException(List.of(NOTIFICATION_EMAIL_REQUIRED)));
            }
            List<FieldError> secretErrors = secretsFollowUrls(old, request);
            if (!secretErrors.isEmpty()) {
                return Uni.createFrom().failure(new InvalidJobException(secretErrors));
            }
            JobConfig requested = toConfig(id, request, tokenChanged ? newToken : old.secretToken(),
                    graphSource(request, old), 0);
            List<FieldError> mappingErrors = mappingErrors(requested);
            if (!mappingErrors.isEmpty()) {
                return Uni.createFrom().failure(new InvalidJobException(mappingErrors));
            }
            JobView before = view(job);
            job.update(requested, request.deletionThreshold(), request.deletionThresholdPercent(), tokenChanged,
                    Instant.now());
            JobView after = view(job);
            List<String> changed = AuditTrail.changed(before, after, AuditTrail.secretsIn(request));
            return changed.isEmpty()
                    ? Uni.createFrom().item(after)
                    : audit.record(tx, id, actor, "update", changed, null).replaceWith(after);
        });
    }

    /**
     * {@code PUT /jobs/{id}} of a job whose stored row cannot be read: the whole configuration sent replaces the row's
     * in place ({@link JobStore#repair}), and so does the deletion threshold sent: the job keeps its id, its cycles,
     * snapshot, managed objects (the Druva ids they are linked to), held deletions and provisioning log, and the rest
     * of its row; its next cycle is a full one. A quarantine whose reason this version does not know is lifted, with
     * the QUARANTINE_LIFTED notice of any lift. Audited as {@code repair}, naming what could not be read. The stored
     * secrets are not used (they are in the unreadable row, and a stored secret never goes to a URL it was not saved
     * with): a request that leaves out the secret token, or the client secret of a Graph source, is refused with 409
     * naming them ({@link WholeConfigurationRequired}); so is one that leaves out either value of the deletion
     * threshold when the stored threshold cannot be read ({@code deletionThreshold}, {@code deletionThresholdPercent}).
     * Such a 409 names every field the repair needs and the request left out, and every field of the row that cannot
     * be read (a row may have several). A row with a fault outside what a request carries (field {@code row}: its
     * schedule, counts or claim) cannot be repaired this way (it stays unreadable: 409, {@link UnreadableJobMapper}),
     * as there is nothing sent to replace it with.
     */
    private Uni<Optional<JobView>> repair(String id, JobRequest request, String actor, UnreadableJobException e) {
        UnreadableJob unreadable = e.job();
        if (!unreadable.repairable()) {
            return Uni.createFrom().failure(e);
        }
        List<FieldError> missing = new ArrayList<>();
        String notKept = " to repair the job: the stored one is in the row that cannot be read and is not used";
        if (blank(request.secretToken())) {
            missing.add(new FieldError("secretToken", "is required" + notKept));
        }
        // a change may leave these out (the job's own are kept); a repair has no readable job to keep them from
        String whole = " to repair the job: its stored configuration cannot be read";
        if (request.name() == null) {
            missing.add(new FieldError("name", "is required" + whole));
        }
        if (request.tenantUrl() == null) {
            missing.add(new FieldError("tenantUrl", "is required" + whole));
        }
        if (request.source() == null) {
            missing.add(new FieldError("source", "is required" + whole));
        } else if (SourceType.MICROSOFT_GRAPH.name().equalsIgnoreCase(request.source().type())
                && request.source().graph() != null && blank(request.source().graph().clientSecret())) {
            missing.add(new FieldError("source.graph.clientSecret", "is required" + notKept));
        }
        if (unreadable.has(UnreadableJob.DELETION_THRESHOLD)) {
            String unknown = " to repair the job: the stored deletion threshold cannot be read";
            if (request.deletionThreshold() == null) {
                missing.add(new FieldError("deletionThreshold", "is required" + unknown));
            }
            if (request.deletionThresholdPercent() == null) {
                missing.add(new FieldError("deletionThresholdPercent", "is required" + unknown));
            }
        }
        if (!missing.isEmpty()) {
            return Uni.createFrom().failure(new WholeConfigurationRequired(unreadable, missing));
        }
        if (request.provisioningStatus() == null) {
            // the status is not configuration: a repair keeps the row's (Off when its state cannot be read either)
            return repairAs(id, withStatus(request, JobView.provisioningStatus(unreadable.state())), actor);
        }
        return repairAs(id, request, actor);
    }

    private static JobRequest withStatus(JobRequest r, String status) {
        return new JobRequest(r.name(), r.tenantUrl(), r.secretToken(), r.notificationEmail(), r.notifyOnFailure(),
                status, r.scope(), r.skipNotEffectivelyEntitled(), r.patchDialect(), r.actions(),
                r.skipOutOfScopeDeletions(), r.userMappings(), r.userScopingFilters(), r.source(), r.cycleInterval(),
                r.deletionThreshold(), r.deletionThresholdPercent());
    }

    /** {@link #repair} once the request holds what the repair needs. */
    private Uni<Optional<JobView>> repairAs(String id, JobRequest request, String actor) {
        if (notifiesNowhere(request)) {
            return Uni.createFrom().failure(new InvalidJobException(List.of(NOTIFICATION_EMAIL_REQUIRED)));
        }
        EncryptedSecret token = cipher.encrypt(request.secretToken());
        GraphSource graph = graphSource(request, null);
        List<FieldError> mappingErrors = mappingErrors(toConfig(id, request, token, graph, 0));
        if (!mappingErrors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(mappingErrors));
        }
        return jobs.repair(id, revision -> toConfig(id, request, token, graph, revision), request.deletionThreshold(),
                request.deletionThresholdPercent(), (job, was, tx) -> {
                    job.repair(job.config(), request.deletionThreshold(), request.deletionThresholdPercent(),
                            Instant.now());
                    JobView after = view(job);
                    String detail = "its stored row could not be read (" + was.describeFaults()
                            + "): replaced in place by the whole configuration sent; its snapshot, managed objects and "
                            + "provisioning log are kept"
                            + (was.has(UnreadableJob.QUARANTINE_REASON)
                                    ? "; its quarantine, whose reason this version does not know, was lifted"
                                    : "")
                            + "; the next cycle is a full one";
                    return audit.record(tx, id, actor, "repair",
                            AuditTrail.changed(null, after, AuditTrail.secretsIn(request)),
                            detail.length() <= AUDIT_DETAIL ? detail : detail.substring(0, AUDIT_DETAIL))
                            .replaceWith(after);
                }).onFailure(JobStore.RowReadable.class).recoverWithUni(() -> change(id, request, actor));
    }

    private static final FieldError NOTIFICATION_EMAIL_REQUIRED = new FieldError("notificationEmail",
            "is required when notifyOnFailure is true");

    /** notifyOnFailure without an address, once an update's absent members are the job's ({@link JobValidator}). */
    private static boolean notifiesNowhere(JobRequest request) {
        return Boolean.TRUE.equals(request.notifyOnFailure()) && blank(request.notificationEmail());
    }

    /** A URL a stored secret goes to may change only with the secret sent again. */
    private static List<FieldError> secretsFollowUrls(JobConfig old, JobRequest request) {
        List<FieldError> errors = new ArrayList<>(JobValidator.secretFollowsUrl("secretToken", "tenantUrl",
                old.tenantUrl(), request.tenantUrl(), request.secretToken()));
        GraphSource oldGraph = old.source() == null ? null : old.source().graph();
        GraphSourceRequest graph = request.source() == null ? null : request.source().graph();
        if (graph != null && SourceType.MICROSOFT_GRAPH.name().equalsIgnoreCase(request.source().type())) {
            String secretField = "source.graph.clientSecret";
            errors.addAll(JobValidator.secretFollowsUrl(secretField, "source.graph.authorityUrl",
                    oldGraph == null ? null : oldGraph.authorityUrl(),
                    blank(graph.authorityUrl()) ? GraphSource.DEFAULT_AUTHORITY : graph.authorityUrl(),
                    graph.clientSecret()));
            if (errors.stream().noneMatch(e -> e.field().equals(secretField))) {
                errors.addAll(JobValidator.secretFollowsUrl(secretField, "source.graph.graphUrl",
                        oldGraph == null ? null : oldGraph.graphUrl(),
                        blank(graph.graphUrl()) ? GraphSource.DEFAULT_GRAPH : graph.graphUrl(),
                        graph.clientSecret()));
            }
        }
        return errors;
    }

    /**
     * Records an action that changes the job (start, pause) with the fields it changed, in the save's transaction.
     */
    private Uni<Optional<JobView>> act(String id, String actor, String action,
            java.util.function.Consumer<ProvisioningJob> change) {
        return jobs.update(id, (job, tx) -> {
            JobView before = view(job);
            change.accept(job);
            JobView after = view(job);
            return audit.record(tx, id, actor, action, AuditTrail.changed(before, after, List.of()), null)
                    .replaceWith(after);
        });
    }

    /**
     * The job's audit log, newest first.
     *
     * @return empty when there is no such job and it left no entries (a deleted job's entries stay readable until
     *         the retention purges them)
     */
    public Uni<Optional<List<AuditLog.Entry>>> audit(String id, Long before, int limit) {
        return audit.list(id, before, limit).chain(entries -> !entries.isEmpty() || before != null
                ? Uni.createFrom().item(Optional.of(entries))
                : jobs.exists(id)
                        .map(exists -> exists ? Optional.of(entries) : Optional.<List<AuditLog.Entry>>empty()));
    }

    /**
     * Whether the job exists, whether its stored row can be read or not: its provisioning log and audit log stay
     * readable while it cannot.
     */
    public Uni<Boolean> exists(String id) {
        return jobs.exists(id);
    }

    public Uni<Optional<JobView>> find(String id) {
        return jobs.find(id).map(job -> job.map(JobService::view));
    }

    private static JobView view(ProvisioningJob job) {
        return JobView.of(job.config(), job.deletionThreshold());
    }

    /**
     * Every job, oldest first; a job whose stored row cannot be read is listed after them with its id, name, state and
     * problem ({@link JobView#of(UnreadableJob)}): one such row never keeps the others from being listed.
     */
    public Uni<List<JobView>> list() {
        return jobs.list().map(all -> {
            List<JobView> views = new ArrayList<>(all.readable().size() + all.unreadable().size());
            all.readable().forEach(job -> views.add(view(job)));
            all.unreadable().forEach(job -> views.add(JobView.of(job)));
            return views;
        });
    }

    /** Turns provisioning on (Entra's Start): lifts a quarantine, and the next cycle runs now. */
    public Uni<Optional<JobView>> start(String id, String actor) {
        return act(id, actor, "start", job -> job.start(Instant.now()));
    }

    /** Turns provisioning off; the running cycle finishes. A quarantine stays until Start or Restart. */
    public Uni<Optional<JobView>> pause(String id, String actor) {
        return act(id, actor, "pause", job -> job.pause(Instant.now()));
    }

    /**
     * Deletes a job: its row and, in the same transaction, its tombstone for {@code provisioning.jobs} (the other
     * services forget it); the database deletes its cycles, snapshot, held deletions and managed objects with it, then
     * its provisioning log is deleted. Once the deletion has committed (and its tombstone was published, which the save
     * waits for, 5 s at most), the job's cycle running on this replica stops before its next event
     * ({@link RunningCycles#stop}); one running on another replica stops at that replica's next heartbeat (at most a
     * third of {@code detector.cycle-lease} later), and this replica drops the snapshot it kept in memory for the job
     * ({@link SnapshotCache#forget}; another replica's is dropped once idle). Pausing, by contrast, lets the running
     * cycle finish (Entra's rule).
     *
     * A job whose stored row cannot be read ({@link UnreadableJobException}) is deleted all the same, its row and
     * tombstone as above ({@link JobStore#deleteUnreadable}), its audit entry naming what could not be read: the
     * operator's way out besides repairing the row.
     *
     * @return false when there is no such job
     */
    public Uni<Boolean> delete(String id, String actor) {
        return jobs.update(id, (job, tx) -> {
            job.delete();
            return audit.record(tx, id, actor, "delete", List.of(), null).replaceWith(true);
        }).map(Optional::isPresent).onFailure(UnreadableJobException.class).recoverWithUni(e -> {
            UnreadableJob unreadable = ((UnreadableJobException) e).job();
            return jobs.deleteUnreadable(id, tx -> audit.record(tx, id, actor, "delete", List.of(),
                    "its stored row could not be read: " + unreadable.describeFaults()));
        }).chain(deleted -> {
            if (!deleted) {
                return Uni.createFrom().item(false);
            }
            running.stop(id);
            snapshotCache.forget(id);
            sources.forget(id);
            return log.deleteJob(id).invoke(() -> LOG.infof("job %s: deleted", id)).replaceWith(true);
        });
    }

    /**
     * Entra's Restart: Full or Watermark forget the snapshot so the next cycle is a full one; every restart discards
     * held deletions (in the job's save; the next cycle is a full one then too), lifts a quarantine and runs the next
     * cycle now (incremental when nothing was forgotten or discarded). Escrows asks the scim-writer
     * to discard the job's escrowed objects; when it cannot be reached that is reported in {@code notApplied}.
     */
    public Uni<Optional<RestartView>> restart(String id, RestartRequest request, String actor) {
        List<RestartRequest.Scope> scopes = RestartRequest.parse(request);
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<RestartView>empty());
            }
            String restartId = UUID.randomUUID().toString();
            boolean forget = scopes.contains(RestartRequest.Scope.Full)
                    || scopes.contains(RestartRequest.Scope.Watermark);
            List<String> notApplied = new java.util.concurrent.CopyOnWriteArrayList<>();
            Uni<Void> escrowsReset = !scopes.contains(RestartRequest.Scope.Escrows)
                    ? Uni.createFrom().voidItem()
                    : writer.discardEscrows(id)
                            .invoke(n -> LOG.infof("job %s: restart discarded %s", id,
                                    Plural.of(n.discarded(), "escrowed object")))
                            .replaceWithVoid()
                            .onFailure().recoverWithItem(e -> {
                                notApplied.add("Escrows: " + e.getMessage() + "; restart again to retry");
                                return null;
                            });
            Uni<Void> cleared = forget
                    ? snapshots.clear(id).chain(() -> graphMirror.forget(id))
                    : Uni.createFrom().voidItem();
            return escrowsReset.chain(() -> cleared)
                    .chain(() -> jobs.update(id, (job, tx) -> staged.discard(tx, id).chain(discarded -> {
                        JobView before = view(job);
                        job.restart(restartId, discarded, forget, Instant.now());
                        RestartView restarted = new RestartView(view(job), scopes.stream().map(Enum::name).toList(),
                                discarded, List.copyOf(notApplied));
                        return audit.record(tx, id, actor, "restart",
                                AuditTrail.changed(before, restarted.job(), List.of()),
                                "resetScope " + restarted.resetScope() + ", "
                                        + Plural.of(discarded, "held deletion") + " discarded")
                                .replaceWith(restarted);
                    })))
                    .invoke(restarted -> LOG.infof("job %s: restarted with reset scope %s", id, scopes));
        });
    }

    /** Emits the deletions held by the threshold (Entra's "allow deletes"). */
    public Uni<Optional<HeldDeletions.Release>> allowDeletes(String id, String actor) {
        return jobs.find(id).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(Optional.<HeldDeletions.Release>empty())
                : held.allow(found.get()).call(release -> audit.record(id, actor, "allow-deletes", List.of(),
                        release.released() + " held deletions released"
                                + (release.cycleId() == null ? "" : " in cycle " + release.cycleId())))
                        .map(Optional::of));
    }

    /** Tests the connection of a saved job, through the scim-writer. */
    public Uni<Optional<WriterClient.ConnectionTestResult>> testConnection(String id) {
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<WriterClient.ConnectionTestResult>empty());
            }
            JobConfig config = found.get().config();
            return writer.testConnection(config).map(Optional::of);
        });
    }

    /** Tests the connection of a configuration that is not saved: only its tenant URL and token are used. */
    public Uni<WriterClient.ConnectionTestResult> testConnection(JobRequest request) {
        List<FieldError> errors = JobValidator.validateConnection(request, allowInsecureLoopback);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        return writer.testUnsavedConnection(request.tenantUrl().trim(), request.secretToken());
    }

    /** Provisions one user, or a group of at most five members, now; a bad object id is a 400 naming it. */
    public Uni<Optional<ProvisionOnDemand.Outcome>> provisionOnDemand(String id, String objectId) {
        return jobs.find(id).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(Optional.<ProvisionOnDemand.Outcome>empty())
                : onDemand.provision(found.get().config(), objectId).map(Optional::of)
                        .onFailure(ProvisionOnDemand.InvalidObjectException.class)
                        .transform(e -> InvalidJobException.request(List.of(new FieldError("objectId",
                                e.getMessage())))));
    }

    public Uni<Optional<JobStatusView>> status(String id) {
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<JobStatusView>empty());
            }
            ProvisioningJob job = found.get();
            return cycles.latest(id, 10).chain(latest -> {
                List<Uni<JobStatusView.CycleView>> views = new ArrayList<>();
                for (Cycle c : latest) {
                    views.add(log.counts(id, c.id()).map(counts -> view(c, counts)));
                }
                Uni<List<JobStatusView.CycleView>> all = views.isEmpty()
                        ? Uni.createFrom().item(List.of())
                        : Uni.join().all(views).andFailFast();
                // escrowed objects, from their results (the writer's Failure says when it retries)
                Uni<Long> escrowed = log.escrowedCount(id);
                // the writer's own count (escrowed and held); a status read never waits long for it
                Uni<Long> writerCount = writer.escrowed(id).map(WriterClient.EscrowCount::escrowed)
                        .ifNoItem().after(Duration.ofSeconds(2)).recoverWithItem((Long) null)
                        .onFailure().recoverWithItem((Long) null);
                return all.chain(cycleViews -> lastWithChanges(id, cycleViews).chain(withChanges -> staged.count(id)
                        .chain(heldCount -> escrowed.chain(escrowedCount -> staged
                                .list(id, JobStatusView.LIST_LIMIT)
                                .chain(heldList -> log.escrowed(id, JobStatusView.LIST_LIMIT)
                                        .chain(escrowedList -> writerCount.map(writerEscrows -> {
                                            JobStatusView.CycleView current = cycleViews.isEmpty()
                                                    ? null
                                                    : cycleViews.get(0);
                                            String completed = Cycle.Status.COMPLETED.name();
                                            JobStatusView.CycleView lastCompleted = cycleViews.stream()
                                                    .filter(c -> c.status().equals(completed)).findFirst().orElse(null);
                                            JobStatusView.CycleView lastSuccessful = cycleViews.stream()
                                                    .filter(c -> c.status().equals(completed)
                                                            && c.summary().failed() == 0)
                                                    .findFirst()
                                                    .orElse(null);
                                            Quarantine q = job.quarantine().orElse(null);
                                            JobStatusView.QuarantineView quarantined = q == null
                                                    ? null
                                                    : new JobStatusView.QuarantineView(q.reason().name(), q.detail(),
                                                            time(q.since()),
                                                            nextCycle(job));
                                            return Optional.of(new JobStatusView(id, job.state().name(),
                                                    job.lastError(),
                                                    nextCycle(job), current, lastCompleted, cycleViews,
                                                    quarantined, heldCount,
                                                    lastSuccessful, escrowedCount,
                                                    heldList.stream()
                                                            .map(h -> new JobStatusView.HeldObject(h.objectId(),
                                                                    h.objectType(),
                                                                    h.displayName(), h.change(), h.cycleId(),
                                                                    h.heldAt()))
                                                            .toList(),
                                                    escrowedList.stream()
                                                            .map(e -> new JobStatusView.EscrowedObject(e.objectId(),
                                                                    e.objectType(), e.displayName(), e.cycleId(),
                                                                    e.errorCode(), e.reason(),
                                                                    e.failedAt(), e.retryAt()))
                                                            .toList(),
                                                    job.failedCycles(), writerEscrows, withChanges));
                                        })))))));
            });
        });
    }

    /**
     * The status's {@code lastCycleWithChanges} ({@link CycleRepository#lastWithChanges}), or null: the view of the
     * recent cycles when it is one of them and was complete when they were read, else the cycle read with its counts.
     */
    private Uni<JobStatusView.CycleView> lastWithChanges(String id, List<JobStatusView.CycleView> recent) {
        String completed = Cycle.Status.COMPLETED.name();
        return cycles.lastWithChanges(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().<JobStatusView.CycleView>nullItem();
            }
            Cycle c = found.get();
            return recent.stream().filter(v -> v.cycleId().equals(c.id()) && v.status().equals(completed)).findFirst()
                    .map(v -> Uni.createFrom().item(v))
                    .orElseGet(() -> log.counts(id, c.id()).map(counts -> view(c, counts)));
        });
    }

    /** A page of the job's provisioning log ({@link ProvisioningLogRepository#query}). */
    public Uni<ProvisioningLogRepository.LogPage> logs(String id, String cycleId, String objectId, String action,
            String status, String errorCode, OffsetDateTime since, ProvisioningLogRepository.Position after,
            int limit) {
        return log.query(id, cycleId, objectId, action, status, errorCode, since, after, limit);
    }

    /** A cycle as the status shows it: its status and progress by the cycle's one rule, its counts from the log. */
    private static JobStatusView.CycleView view(Cycle c, Map<String, Long> counts) {
        return new JobStatusView.CycleView(c.id(), c.full(), c.status().name(), time(c.startedAt()),
                time(c.emittedAt()), c.eventsEmitted(), c.results().received(), c.progressPercent(),
                JobStatusView.Summary.of(counts), counts, c.error(), c.danglingReferences(), time(c.finishedAt()),
                c.finishedAt() == null ? null : Duration.between(c.startedAt(), c.finishedAt()).toMillis());
    }

    /**
     * When the job's next cycle is due, as its status shows it ({@code nextCycleAt}, and a quarantine's
     * {@code retryAt}): null while provisioning is off (PAUSED), as no cycle starts then; the time the job keeps (a
     * Start runs the next cycle now whatever it was) would read as a cycle about to run, or one overdue.
     */
    private static OffsetDateTime nextCycle(ProvisioningJob job) {
        return job.state() == JobState.PAUSED ? null : time(job.nextCycleAt());
    }

    private static OffsetDateTime time(Instant t) {
        return t == null ? null : OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    /** The Graph settings of a request, with the client secret encrypted (or kept from {@code old} when absent). */
    private GraphSource graphSource(JobRequest r, JobConfig old) {
        if (r.source() == null || r.source().graph() == null
                || !SourceType.MICROSOFT_GRAPH.name().equalsIgnoreCase(r.source().type())) {
            return null;
        }
        return r.source().graph().toGraphSource(cipher,
                old == null || old.source() == null ? null : old.source().graph());
    }

    /**
     * The configuration a request asks for; its time is the job's to set, and its revision too, from {@code revision}
     * (0 for a new job or a change; the row's revision for a repair, {@link JobStore#repair}).
     */
    private static JobConfig toConfig(String id, JobRequest r, EncryptedSecret token, GraphSource graph,
            long revision) {
        JobState state = "On".equalsIgnoreCase(r.provisioningStatus()) ? JobState.ACTIVE : JobState.PAUSED;
        return new JobConfig(JobConfig.SCHEMA_VERSION, id, r.name(), state, r.tenantUrl().trim(), token,
                blankToNull(r.notificationEmail()), Boolean.TRUE.equals(r.notifyOnFailure()),
                r.scope() == null
                        ? ProvisioningScope.ASSIGNED_ONLY
                        : ProvisioningScope.valueOf(r.scope().toUpperCase(Locale.ROOT)),
                r.skipNotEffectivelyEntitled() == null || r.skipNotEffectivelyEntitled(),
                r.patchDialect() == null
                        ? PatchDialect.ENTRA
                        : PatchDialect.valueOf(r.patchDialect().toUpperCase(Locale.ROOT)),
                r.actions(), Boolean.TRUE.equals(r.skipOutOfScopeDeletions()), r.userMappings(), r.userScopingFilters(),
                new SourceConfig(SourceType.valueOf(r.source().type().toUpperCase(Locale.ROOT)),
                        r.source().directoryFile(), graph),
                r.cycleInterval() == null ? null : Duration.parse(r.cycleInterval()), revision, null);
    }

    /** The mapper's own validation of mappings and scoping filters, so nothing invalid reaches the pipeline. */
    private static List<FieldError> mappingErrors(JobConfig config) {
        return MappingEngine.validate(config).stream().map(e -> new FieldError(e.field(), e.message())).toList();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
