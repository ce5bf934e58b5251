package dev.provisioning.detector.cycle;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.job.DeletionGuard;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.job.QuarantineSchedule;
import dev.provisioning.detector.messaging.AssignmentPublisher;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.safety.HeldDeletions;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectorySource;
import dev.provisioning.detector.source.DirectorySources;
import dev.provisioning.detector.source.SourceException;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.mapping.CompiledJob;
import dev.provisioning.mapping.MappingEngine;

/**
 * Runs one cycle of a claimed job: read the source, diff it against the snapshot, emit one event per changed object,
 * wait for the broker to acknowledge every event, and only then move the snapshot (the watermark) and schedule the
 * next cycle. A crash anywhere before the snapshot moves repeats the cycle; it never skips a change. The assignment
 * events are sent directly (they are the cycle's work, not the job's events); the job's own changes go through its
 * save.
 *
 * <p>
 * While it runs, the cycle renews its claim every third of {@code detector.cycle-lease} (a heartbeat): a replica that
 * dies mid-cycle stops renewing, and another replica (or this one, restarted) takes the cycle over once the lease has
 * passed. A cycle whose claim was taken over stops before it moves the snapshot.
 *
 * <p>
 * Before anything is sent, the read is checked: a read with no users for a job that manages users fails the cycle
 * ({@link DeletionGuard#emptyRead}), and the disables and deletes that trip the job's deletion threshold are held
 * ({@link DeletionGuard#split}). What the read found wrong with single objects goes to the provisioning log: dangling
 * references as Warning entries, objects the source could not settle as Failure entries.
 */
@ApplicationScoped
public class CycleRunner {

    /** Who reports the entries the detector writes in the log itself. */
    public static final String REPORTER = "change-detector";
    /** Warning and failure entries of one read logged at most (all are counted). */
    static final int MAX_PROBLEMS_LOGGED = 1000;
    private static final Logger LOG = Logger.getLogger(CycleRunner.class);

    private final JobStore jobs;
    private final CycleRepository cycles;
    private final SnapshotRepository snapshots;
    private final AssignmentPublisher publisher;
    private final DetectorConfig config;
    private final QuarantineSchedule quarantineSchedule;
    private final ProvisioningLogRepository log;
    private final DirectorySources sources;
    private final MeterRegistry registry;
    private final HeldDeletions held;

    public CycleRunner(JobStore jobs, CycleRepository cycles, SnapshotRepository snapshots,
            ProvisioningLogRepository log, DirectorySources sources, AssignmentPublisher publisher,
            DetectorConfig config, QuarantineSchedule quarantineSchedule, MeterRegistry registry, HeldDeletions held) {
        this.held = held;
        this.jobs = jobs;
        this.cycles = cycles;
        this.snapshots = snapshots;
        this.log = log;
        this.sources = sources;
        this.publisher = publisher;
        this.config = config;
        this.quarantineSchedule = quarantineSchedule;
        this.registry = registry;
    }

    /** The cycle's claim was taken over by another replica while it ran (this replica stalled past the lease). */
    static final class ClaimLost extends RuntimeException {

        ClaimLost(String jobId) {
            super("job " + jobId + ": another replica took the cycle over (this one did not renew its claim in time)",
                    null, false, false);
        }
    }

    /**
     * Runs a cycle for a job this replica has claimed, unless its previous cycle still holds it back
     * ({@link Cycle#holdsBackNext}). Never fails: errors are recorded on the cycle and the job.
     */
    public Uni<Void> runWhenPreviousFinished(ProvisioningJob job) {
        ProvisioningJob.Claim claim = job.claim().orElseThrow(() -> new IllegalStateException("job " + job.id()
                + " was not claimed"));
        return cycles.latest(job.id(), 1).chain(latest -> {
            if (latest.isEmpty() || !latest.get(0).holdsBackNext(Instant.now(), config.resultsWait())) {
                return run(job, claim);
            }
            return jobs.update(job.id(), j -> {
                j.postponeCycle(claim, config.schedulerTick(), Instant.now());
                return j;
            }).replaceWithVoid();
        }).onFailure().recoverWithUni(e -> {
            LOG.errorf("job %s: the cycle could not start: %s", job.id(), e.toString());
            return Uni.createFrom().voidItem();
        });
    }

    Uni<Void> run(ProvisioningJob job, ProvisioningJob.Claim claim) {
        JobConfig jobConfig = job.config();
        String cycleId = UUID.randomUUID().toString();
        boolean full = claim.full();
        Timer.Sample timer = Timer.start(registry);
        LOG.infof("job %s: starting %s cycle %s", job.id(), full ? "full" : "incremental", cycleId);
        AtomicBoolean lost = new AtomicBoolean();
        Cancellable heartbeat = heartbeat(job.id(), claim, lost);
        DirectorySource[] source = new DirectorySource[1];
        return cycles.abandonRunning(job.id())
                .chain(() -> cycles.start(cycleId, job.id(), full))
                .chain(() -> Uni.createFrom().deferred(() -> {
                    source[0] = sources.forJob(jobConfig);
                    return source[0].load();
                }))
                .chain(directory -> snapshots.load(job.id())
                        .chain(snapshot -> log.managedObjects(job.id()).chain(managed -> {
                            // the users Druva holds for the job that its source listed before
                            long managedUsers = managed.entrySet().stream()
                                    .filter(m -> m.getValue() == ObjectType.USER
                                            && snapshot.users().containsKey(m.getKey()))
                                    .count();
                            DeletionGuard.emptyRead(directory.users().size(), managedUsers)
                                    .ifPresent(reason -> {
                                        throw new SourceException("job " + job.id() + ": " + reason);
                                    });
                            CyclePlan plan = CyclePlanner.plan(job.id(), cycleId, full, jobConfig.scope(), directory,
                                    snapshot, managed, Instant.now());
                            DeletionGuard.Split split = guard(job, plan, managed);
                            return checkClaim(job.id(), lost)
                                    .chain(() -> hold(job, cycleId, split))
                                    .chain(() -> emit(split.emit(), lost, job.id()))
                                    .chain(() -> held.supersede(job.id(), split.emit()))
                                    .chain(() -> logProblems(job.id(), cycleId, directory))
                                    .chain(() -> checkClaim(job.id(), lost))
                                    .chain(() -> snapshots.apply(job.id(), plan.snapshotUpserts(), plan.snapshotNames(),
                                            plan.snapshotRemovals()))
                                    .chain(() -> source[0].commit())
                                    .chain(() -> cycles.emitted(cycleId, plan.events().size(),
                                            directory.danglingReferences()))
                                    .chain(() -> jobs.update(job.id(),
                                            j -> j.cycleEmitted(claim, Instant.now(), quarantineSchedule)))
                                    .invoke(() -> {
                                        timer.stop(registry.timer(DetectorMeters.CYCLE_EMIT_DURATION, PROVISIONING_JOB,
                                                job.id()));
                                        LOG.infof("job %s: cycle %s emitted %d events%s%s", job.id(), cycleId,
                                                split.emit().size(),
                                                split.held().isEmpty()
                                                        ? ""
                                                        : ", held " + split.held().size() + " deletions",
                                                directory.problems().isEmpty()
                                                        ? ""
                                                        : ", " + directory.problems().size()
                                                                + " objects logged with source problems");
                                    });
                        })))
                .replaceWithVoid()
                .onFailure().recoverWithUni(failure -> failed(job.id(), claim, cycleId, failure))
                .onTermination().invoke(heartbeat::cancel);
    }

    private Uni<Void> failed(String jobId, ProvisioningJob.Claim claim, String cycleId, Throwable failure) {
        String error = failure instanceof SourceException || failure instanceof ClaimLost
                ? failure.getMessage()
                : "cycle failed: " + failure;
        LOG.errorf("job %s: cycle %s failed: %s", jobId, cycleId, error);
        registry.counter(DetectorMeters.CYCLES_FAILED, PROVISIONING_JOB, jobId).increment();
        return cycles.failed(cycleId, error).chain(() -> jobs.update(jobId,
                j -> j.cycleFailed(claim, cycleId, error, config.sourceErrorRetry(),
                        config.quarantineAfterFailedCycles(), Instant.now(), quarantineSchedule)))
                .replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    // the claim lapses after the lease and the cycle is tried again
                    LOG.errorf("job %s: cycle %s: its failure could not be recorded: %s", jobId, cycleId, e);
                    return Uni.createFrom().voidItem();
                });
    }

    /**
     * Renews the claim every third of the lease while the cycle runs; a renewal that finds the claim gone marks the
     * cycle lost. Timers, not threads.
     */
    private Cancellable heartbeat(String jobId, ProvisioningJob.Claim claim, AtomicBoolean lost) {
        Duration every = config.cycleLease().dividedBy(3);
        return Multi.createFrom().ticks().every(every)
                .onItem().transformToUniAndConcatenate(tick -> jobs.renewClaim(jobId, claim.token())
                        .onFailure().recoverWithItem(true))
                .subscribe().with(renewed -> {
                    if (!renewed && lost.compareAndSet(false, true)) {
                        LOG.warnf("job %s: the cycle's claim was taken over by another replica", jobId);
                    }
                }, failure -> LOG.warnf("job %s: the cycle's heartbeat stopped: %s", jobId, failure));
    }

    private static Uni<Void> checkClaim(String jobId, AtomicBoolean lost) {
        return lost.get() ? Uni.createFrom().failure(new ClaimLost(jobId)) : Uni.createFrom().voidItem();
    }

    /**
     * Applies the job's deletion threshold to the plan: the mapping engine says which events disable or delete an
     * object the job manages in Druva.
     */
    private static DeletionGuard.Split guard(ProvisioningJob job, CyclePlan plan, Map<String, ObjectType> managed) {
        if (job.deletionThreshold().off() || plan.events().isEmpty()) {
            return DeletionGuard.Split.all(plan.events());
        }
        CompiledJob engine = MappingEngine.compile(job.config());
        return DeletionGuard.split(plan.events(), job.deletionThreshold(), managed.keySet(), engine::evaluate);
    }

    private Uni<Void> hold(ProvisioningJob job, String cycleId, DeletionGuard.Split split) {
        return split.held().isEmpty()
                ? Uni.createFrom().voidItem()
                : held.hold(job.id(), cycleId, split.held(), split.reason().orElseThrow());
    }

    private Uni<Void> emit(List<AssignmentEvent> events, AtomicBoolean lost, String jobId) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(events)
                .onItem().transformToUni(event -> lost.get()
                        ? Uni.createFrom().<Void>failure(new ClaimLost(jobId))
                        : publisher.send(event).invoke(() -> countEmitted(event)))
                .merge(config.emitConcurrency())
                .collect().last().replaceWithVoid();
    }

    /** The read's problems with single objects, as log entries of this cycle (not results: not counted in it). */
    private Uni<Void> logProblems(String jobId, String cycleId, Directory directory) {
        if (directory.problems().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<ProvisioningResult> entries = new ArrayList<>();
        int n = 0;
        for (Directory.Problem p : directory.problems()) {
            if (n++ >= MAX_PROBLEMS_LOGGED) {
                break;
            }
            boolean warning = p.kind() == Directory.Problem.Kind.DanglingReference;
            String eventId = Cycle.eventId(cycleId, p.kind().name() + "/" + p.objectId() + "/" + n);
            entries.add(new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                    ProvisioningResult.idOf(jobId, p.objectId(), cycleId, eventId), jobId, cycleId, eventId,
                    p.objectType(), p.objectId(), null, null, ProvisioningAction.Other,
                    warning ? ProvisioningStatus.Warning : ProvisioningStatus.Failure, p.kind().name(), p.detail(),
                    null, 0, 0, List.of(), REPORTER, Instant.now()));
        }
        if (directory.problems().size() > MAX_PROBLEMS_LOGGED) {
            LOG.warnf("job %s: cycle %s: %d source problems, the first %d logged", jobId, cycleId,
                    directory.problems().size(), MAX_PROBLEMS_LOGGED);
        }
        return log.recordSourceProblems(cycleId, entries);
    }

    private void countEmitted(AssignmentEvent event) {
        registry.counter(DetectorMeters.EVENTS_EMITTED, PROVISIONING_JOB, event.jobId(), "change",
                event.change().name()).increment();
    }
}
