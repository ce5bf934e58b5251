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
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.cycle.ProvisionOnDemand;
import dev.provisioning.detector.messaging.JobPublisher;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.CycleRow;
import dev.provisioning.detector.persistence.JobRepository;
import dev.provisioning.detector.persistence.JobRow;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.persistence.StagedDeletionRepository;
import dev.provisioning.detector.safety.HeldDeletions;
import dev.provisioning.detector.safety.Quarantine;
import dev.provisioning.detector.source.graph.GraphMirrorRepository;
import dev.provisioning.detector.writer.WriterClient;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
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

/**
 * Creates, changes and reads jobs. Every change is published on {@code provisioning.jobs} before it is stored, so the
 * other services never act on a job the topic does not know; at start-up every job is published again, which repairs
 * a publish that was interrupted.
 */
@ApplicationScoped
public class JobService {

    private static final Logger LOG = Logger.getLogger(JobService.class);

    private final JobRepository jobs;
    private final CycleRepository cycles;
    private final ProvisioningLogRepository log;
    private final JobPublisher publisher;
    private final SecretCipher cipher;
    private final SnapshotRepository snapshots;
    private final GraphMirrorRepository graphMirror;
    private final StagedDeletionRepository staged;
    private final Quarantine quarantine;
    private final HeldDeletions held;
    private final WriterClient writer;
    private final ProvisionOnDemand onDemand;

    public JobService(JobRepository jobs, CycleRepository cycles, ProvisioningLogRepository log, JobPublisher publisher,
            SecretCipher cipher, SnapshotRepository snapshots, StagedDeletionRepository staged, Quarantine quarantine,
            HeldDeletions held, WriterClient writer, ProvisionOnDemand onDemand, GraphMirrorRepository graphMirror) {
        this.graphMirror = graphMirror;
        this.snapshots = snapshots;
        this.staged = staged;
        this.quarantine = quarantine;
        this.held = held;
        this.writer = writer;
        this.onDemand = onDemand;
        this.jobs = jobs;
        this.cycles = cycles;
        this.log = log;
        this.publisher = publisher;
        this.cipher = cipher;
    }

    void republishAll(@Observes StartupEvent event) {
        jobs.list()
                .onItem().transformToMulti(all -> Multi.createFrom().iterable(all))
                .onItem().transformToUniAndConcatenate(row -> publisher.publish(EventChecks.job(row.config())))
                .collect().asList()
                .subscribe().with(published -> LOG.infof("published %d job configurations", published.size()),
                        failure -> LOG.errorf("could not republish job configurations: %s", failure.toString()));
    }

    public Uni<JobView> create(JobRequest request) {
        List<FieldError> errors = JobValidator.validate(request, true);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        String id = UUID.randomUUID().toString();
        JobConfig config = toConfig(id, request, cipher.encrypt(request.secretToken()), graphSource(request, null), 1);
        errors = mappingErrors(config);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        int threshold = request.deletionThreshold() == null ? 0 : request.deletionThreshold();
        JobRow row = JobRow.created(id, config.name(), config.state().name(), Json.write(config),
                config.state() == JobState.ACTIVE ? now : null, threshold, now);
        return publisher.publish(config).chain(() -> jobs.insert(row)).map(ignored -> JobView.of(config, threshold));
    }

    public Uni<Optional<JobView>> update(String id, JobRequest request) {
        List<FieldError> errors = JobValidator.validate(request, false);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<JobView>empty());
            }
            JobRow row = found.get();
            JobConfig old = EventChecks.job(row.config());
            boolean tokenChanged = request.secretToken() != null && !request.secretToken().isBlank();
            EncryptedSecret token = tokenChanged ? cipher.encrypt(request.secretToken()) : old.secretToken();
            JobConfig requested = toConfig(id, request, token, graphSource(request, old), old.revision() + 1);
            // a quarantined job stays quarantined while provisioning is on: only Start, Restart or a success lift it
            JobConfig config = requested.state() == JobState.ACTIVE && row.quarantined()
                    ? Quarantine.withState(requested, JobState.QUARANTINED)
                    : requested;
            int threshold = request.deletionThreshold() == null ? row.deletionThreshold() : request.deletionThreshold();
            List<FieldError> mappingErrors = mappingErrors(config);
            if (!mappingErrors.isEmpty()) {
                return Uni.createFrom().failure(new InvalidJobException(mappingErrors));
            }
            boolean full = !config.userMappings().equals(old.userMappings())
                    || !config.userScopingFilters().equals(old.userScopingFilters()) || config.scope() != old.scope();
            return publisher.publish(config)
                    .chain(() -> jobs.updateConfig(id, config.name(), config.state().name(), Json.write(config),
                            config.revision(), full, threshold, tokenChanged))
                    .chain(() -> config.state() == JobState.ACTIVE && old.state() == JobState.PAUSED
                            ? jobs.start(id)
                            : Uni.createFrom().item(true))
                    .map(ignored -> Optional.of(JobView.of(config, threshold)));
        });
    }

    public Uni<Optional<JobView>> find(String id) {
        return jobs.find(id).map(row -> row.map(JobService::view));
    }

    private static JobView view(JobRow r) {
        return JobView.of(EventChecks.job(r.config()), r.deletionThreshold());
    }

    public Uni<List<JobView>> list() {
        return jobs.list().map(rows -> rows.stream().map(JobService::view).toList());
    }

    /** Turns provisioning on (Entra's Start): lifts a quarantine, and the next cycle runs now. */
    public Uni<Optional<JobView>> start(String id) {
        return changeState(id, JobState.ACTIVE).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(found)
                : quarantine.lift(id, "the job was started").chain(() -> jobs.start(id)).chain(() -> find(id)));
    }

    /** Turns provisioning off; the running cycle finishes. A quarantine stays until Start or Restart. */
    public Uni<Optional<JobView>> pause(String id) {
        return changeState(id, JobState.PAUSED);
    }

    private Uni<Optional<JobView>> changeState(String id, JobState state) {
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<JobView>empty());
            }
            JobRow row = found.get();
            JobConfig old = EventChecks.job(row.config());
            JobState effective = state == JobState.ACTIVE && row.quarantined() ? JobState.QUARANTINED : state;
            if (old.state() == effective) {
                return Uni.createFrom().item(Optional.of(view(row)));
            }
            JobConfig config = Quarantine.withState(old, effective);
            return publisher.publish(config)
                    .chain(() -> jobs.updateState(id, effective.name(), Json.write(config), config.revision(),
                            row.revision()))
                    .chain(done -> done
                            ? Uni.createFrom().item(Optional.of(JobView.of(config, row.deletionThreshold())))
                            : changeState(id, state));
        });
    }

    /**
     * Deletes a job: its tombstone goes to {@code provisioning.jobs} first (the other services forget it), then its
     * rows (cycles, snapshot, held deletions, managed objects and provisioning log).
     *
     * @return false when there is no such job
     */
    public Uni<Boolean> delete(String id) {
        return jobs.find(id).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(false)
                : publisher.tombstone(id)
                        .chain(() -> jobs.delete(id))
                        .chain(() -> log.deleteJob(id))
                        .invoke(() -> LOG.infof("job %s: deleted", id))
                        .replaceWith(true));
    }

    /**
     * Entra's Restart: Full or Watermark forget the snapshot so the next cycle is a full one; every restart discards
     * held deletions, lifts a quarantine and runs the next cycle now. Escrows are owned by the scim-writer and are not
     * reset by this version (reported in {@code notApplied}).
     */
    public Uni<Optional<RestartView>> restart(String id, RestartRequest request) {
        List<RestartRequest.Scope> scopes = RestartRequest.parse(request);
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<RestartView>empty());
            }
            JobRow row = found.get();
            String restartId = UUID.randomUUID().toString();
            boolean forget = scopes.contains(RestartRequest.Scope.Full)
                    || scopes.contains(RestartRequest.Scope.Watermark);
            List<String> notApplied = new java.util.concurrent.CopyOnWriteArrayList<>();
            Uni<Void> escrowsReset = !scopes.contains(RestartRequest.Scope.Escrows)
                    ? Uni.createFrom().voidItem()
                    : writer.discardEscrows(id)
                            .invoke(n -> LOG.infof("job %s: restart discarded %d escrowed objects", id, n.discarded()))
                            .replaceWithVoid()
                            .onFailure().recoverWithItem(e -> {
                                notApplied.add("Escrows: " + e.getMessage() + "; restart again to retry");
                                return null;
                            });
            Uni<Void> cleared = forget
                    ? snapshots.clear(id).chain(() -> graphMirror.forget(id))
                    : Uni.createFrom().voidItem();
            return escrowsReset.chain(() -> cleared)
                    .chain(() -> held.discard(row, restartId))
                    .chain(discarded -> quarantine.lift(id, "the job was restarted")
                            .chain(() -> changeState(id, JobState.ACTIVE))
                            .chain(() -> jobs.restart(id))
                            .chain(() -> find(id))
                            .map(job -> {
                                LOG.infof("job %s: restarted with reset scope %s", id, scopes);
                                return Optional.of(new RestartView(job.orElseThrow(),
                                        scopes.stream().map(Enum::name).toList(), discarded, List.copyOf(notApplied)));
                            }));
        });
    }

    /** Emits the deletions held by the threshold (Entra's "allow deletes"). */
    public Uni<Optional<HeldDeletions.Release>> allowDeletes(String id) {
        return jobs.find(id).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(Optional.<HeldDeletions.Release>empty())
                : held.allow(found.get()).map(Optional::of));
    }

    /** Tests the connection of a saved job, through the scim-writer. */
    public Uni<Optional<WriterClient.ConnectionTestResult>> testConnection(String id) {
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<WriterClient.ConnectionTestResult>empty());
            }
            JobConfig config = EventChecks.job(found.get().config());
            return writer.testConnection(config).map(Optional::of);
        });
    }

    /** Tests the connection of a configuration that is not saved: only its tenant URL and token are used. */
    public Uni<WriterClient.ConnectionTestResult> testConnection(JobRequest request) {
        List<FieldError> errors = JobValidator.validateConnection(request);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        return writer.testUnsavedConnection(request.tenantUrl().trim(), request.secretToken());
    }

    /** Provisions one user, or a group of at most five members, now. */
    public Uni<Optional<ProvisionOnDemand.Outcome>> provisionOnDemand(String id, String objectId) {
        return jobs.find(id).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(Optional.<ProvisionOnDemand.Outcome>empty())
                : onDemand.provision(EventChecks.job(found.get().config()), objectId).map(Optional::of));
    }

    public Uni<Optional<JobStatusView>> status(String id) {
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<JobStatusView>empty());
            }
            JobRow job = found.get();
            return cycles.latest(id, 10).chain(latest -> {
                List<Uni<JobStatusView.CycleView>> views = new ArrayList<>();
                for (CycleRow c : latest) {
                    views.add(log.counts(id, c.id()).map(counts -> view(c, counts)));
                }
                Uni<List<JobStatusView.CycleView>> all = views.isEmpty()
                        ? Uni.createFrom().item(List.of())
                        : Uni.join().all(views).andFailFast();
                // the writer owns escrow; a status read never waits long for it (null: not known right now)
                Uni<Long> escrowed = writer.escrowed(id).map(WriterClient.EscrowCount::escrowed)
                        .ifNoItem().after(java.time.Duration.ofSeconds(2)).recoverWithItem((Long) null)
                        .onFailure().recoverWithItem((Long) null);
                return all.chain(cycleViews -> staged.count(id).chain(heldCount -> escrowed.map(escrowedCount -> {
                    JobStatusView.CycleView current = cycleViews.isEmpty() ? null : cycleViews.get(0);
                    JobStatusView.CycleView lastCompleted = cycleViews.stream()
                            .filter(c -> c.status().equals("COMPLETED")).findFirst().orElse(null);
                    JobStatusView.CycleView lastSuccessful = cycleViews.stream()
                            .filter(c -> c.status().equals("COMPLETED") && c.summary().failed() == 0).findFirst()
                            .orElse(null);
                    JobStatusView.QuarantineView quarantined = job.quarantined()
                            ? new JobStatusView.QuarantineView(job.quarantineReason(), job.quarantineDetail(),
                                    job.quarantinedSince(), job.nextCycleAt())
                            : null;
                    return Optional.of(new JobStatusView(id, job.state(), job.lastError(), job.nextCycleAt(), current,
                            lastCompleted, cycleViews, quarantined, heldCount, lastSuccessful, escrowedCount));
                })));
            });
        });
    }

    public Uni<List<ProvisioningLogRepository.LogRecord>> logs(String id, String cycleId, String objectId,
            String action,
            String status, OffsetDateTime since, int limit) {
        return log.query(id, cycleId, objectId, action, status, since, limit);
    }

    private static JobStatusView.CycleView view(CycleRow c, Map<String, Long> counts) {
        long results = counts.values().stream().mapToLong(Long::longValue).sum();
        String status = switch (c.status()) {
            case "RUNNING" -> "RUNNING";
            case "FAILED" -> "FAILED";
            default -> results >= c.eventsEmitted() ? "COMPLETED" : "IN_PROGRESS";
        };
        int progress = c.eventsEmitted() == 0
                ? (status.equals("COMPLETED") ? 100 : 0)
                : (int) Math.min(100, results * 100 / c.eventsEmitted());
        return new JobStatusView.CycleView(c.id(), c.fullCycle(), status, c.startedAt(), c.emittedAt(),
                c.eventsEmitted(),
                results, progress, JobStatusView.Summary.of(counts), counts, c.error());
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
                r.cycleInterval() == null ? null : Duration.parse(r.cycleInterval()), revision, Instant.now());
    }

    /** The mapper's own validation of mappings and scoping filters, so nothing invalid reaches the pipeline. */
    private static List<FieldError> mappingErrors(JobConfig config) {
        return MappingEngine.validate(config).stream().map(e -> new FieldError(e.field(), e.message())).toList();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
