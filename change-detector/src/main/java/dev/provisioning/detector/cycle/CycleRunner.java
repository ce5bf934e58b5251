package dev.provisioning.detector.cycle;

import static dev.provisioning.detector.safety.CycleEnding.answered;
import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

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
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.detector.safety.CycleEnding;
import dev.provisioning.detector.safety.HeldDeletions;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectorySource;
import dev.provisioning.detector.source.DirectorySources;
import dev.provisioning.detector.source.SourceException;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.mapping.CompiledJob;
import dev.provisioning.mapping.MappingEngine;
import dev.provisioning.telemetry.Plural;

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
 * passed. A cycle whose claim was taken over stops before its next event and before it moves the snapshot.
 *
 * <p>
 * A cycle whose job is deleted stops before its next event too: at once when it runs on the replica that deleted the
 * job ({@link RunningCycles#stop}), at its next heartbeat on another replica. Nothing is recorded for it (the job's
 * rows are gone); one line says where it stopped.
 *
 * <p>
 * A cycle running when the detector stops ({@link RunningCycles#stopAll}) stops before its next event as well, and
 * hands its job back: recorded FAILED as interrupted, its claim released, so that the next start or another replica
 * runs the job's cycle at once rather than after the lease; one line says where it stopped. A cycle that emitted all
 * its events records its end instead ({@link CycleScheduler} waits for both, within its grace).
 *
 * <p>
 * Before anything is sent, the read is checked: a read with no users for a job that manages users fails the cycle
 * ({@link DeletionGuard#emptyRead}), and the disables and deletes that trip the job's deletion threshold are held
 * ({@link DeletionGuard#split}). What the read found wrong with single objects goes to the provisioning log: dangling
 * references as Warning entries, objects the source could not settle as Failure entries.
 *
 * <p>
 * The snapshot comes from the {@link SnapshotCache} (the one this replica's last cycle of the job left, while nobody
 * else wrote the snapshot since; else loaded), and goes back to it once moved. With the snapshot the cycle stores the
 * version of the directory file it looked at just before its read ({@link SourceWatch#version}), so that the watch
 * can tell a change made since from its first look.
 *
 * <p>
 * The database may fail or never answer. Each database call of a cycle counts as failed when unanswered for
 * {@link CycleEnding#CALL_WAIT} ({@link CycleEnding#answered}), so a stuck statement fails the cycle instead of holding its claim for ever.
 * Before its events are sent, a failure fails the cycle (recorded FAILED; the next cycle repeats its work). Once they
 * are on Kafka the cycle is first recorded EMITTED, so that its results complete it whatever follows; then each step
 * (held deletions superseded, source problems logged, snapshot moved, source position stored, next cycle scheduled)
 * is retried while the database fails ({@link CycleEnding#retried}: {@value CycleEnding#END_ATTEMPTS} attempts, backoff), and a cycle whose
 * results all came in before the mark is finished here ({@link CycleEnding#finishIfComplete}). When a step still fails, the
 * cycle stays EMITTED (not FAILED, not counted toward quarantine) and the job's next cycle starts once the claim
 * lapses, repeating what was not recorded.
 *
 * <p>
 * A read of the directory file that fails while the file changes under it (a writer that writes it in place is
 * half-way) is torn, not invalid: the cycle is recorded FAILED with that reason and the file is read again after
 * {@link #READ_AGAIN_AFTER}, without the job counting a failed cycle.
 */
@ApplicationScoped
public class CycleRunner {

    /** Who reports the entries the detector writes in the log itself. */
    public static final String REPORTER = "change-detector";
    /** Warning and failure entries of one read logged at most (all are counted). */
    static final int MAX_PROBLEMS_LOGGED = 1000;
    /** When a cycle whose directory file changed while it was read reads it again. */
    static final Duration READ_AGAIN_AFTER = Duration.ofSeconds(2);
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
    private final RunningCycles running;
    private final SnapshotCache cache;
    private final ManagedObjectsCache managedCache;
    private final PlanMemos planMemos;
    private final CycleEnding ending;

    public CycleRunner(JobStore jobs, CycleRepository cycles, SnapshotRepository snapshots,
            ProvisioningLogRepository log, DirectorySources sources, AssignmentPublisher publisher,
            DetectorConfig config, QuarantineSchedule quarantineSchedule, MeterRegistry registry, HeldDeletions held,
            RunningCycles running, SnapshotCache cache, ManagedObjectsCache managedCache, CycleEnding ending,
            PlanMemos planMemos) {
        this.ending = ending;
        this.cache = cache;
        this.planMemos = planMemos;
        this.managedCache = managedCache;
        this.held = held;
        this.running = running;
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
     * The detector stops ({@link RunningCycles#stopAll}): a cycle that has not emitted all its events stops before its
     * next one and hands the job back (its claim released, {@link ProvisioningJob#cycleInterrupted}); one that has goes
     * on to its end.
     */
    static final class DetectorStopping extends RuntimeException {

        DetectorStopping() {
            super("the detector stops", null, false, false);
        }
    }

    /** The cycle's job was deleted while the cycle ran: it stops, and nothing is recorded (the job's rows are gone). */
    static final class JobDeleted extends RuntimeException {

        JobDeleted(String jobId) {
            super("job " + jobId + " was deleted", null, false, false);
        }
    }

    /**
     * How far a cycle got: the events it planned to send (-1 until it knows) and those the broker acknowledged while it
     * ran (a stop cancels the sends in flight, at most {@code detector.emit-concurrency} - 1, which may still land).
     */
    private static final class Progress {

        volatile int planned = -1;
        final AtomicInteger sent = new AtomicInteger();
        /** The cycle is recorded EMITTED (every event on Kafka): its results complete it, it is never FAILED. */
        volatile boolean emitted;

        @Override
        public String toString() {
            return planned < 0
                    ? "stopped before it planned its events"
                    : "stopped after " + sent.get() + " of "
                            + planned + " events";
        }
    }

    /**
     * Runs a cycle for a job this replica has claimed, unless its previous cycle still holds it back
     * ({@link Cycle#holdsBackNext}). Never fails: errors are recorded on the cycle and the job.
     */
    public Uni<Void> runWhenPreviousFinished(ProvisioningJob job) {
        ProvisioningJob.Claim claim = job.claim().orElseThrow(() -> new IllegalStateException("job " + job.id()
                + " was not claimed"));
        return answered(cycles.latest(job.id(), 1)).chain(latest -> {
            if (latest.isEmpty() || !latest.get(0).holdsBackNext(Instant.now(), config.resultsWait())) {
                return run(job, claim);
            }
            return answered(jobs.update(job.id(), j -> {
                j.postponeCycle(claim, config.schedulerTick(), Instant.now());
                return j;
            })).replaceWithVoid();
        }).onFailure().recoverWithUni(e -> {
            LOG.errorf("job %s: the cycle could not start: %s", job.id(), e.toString());
            return Uni.createFrom().voidItem();
        });
    }

    /**
     * Releases the claim of a job claimed but not started, because the detector stops: the job stays due, and the next
     * start or another replica runs its cycle at once. Never fails: when the database does not take it, the claim
     * lapses after the lease.
     */
    public Uni<Void> handBack(ProvisioningJob job) {
        return release(job.id(), job.claim().orElseThrow(() -> new IllegalStateException("job " + job.id()
                + " was not claimed")), Uni.createFrom().voidItem());
    }

    /**
     * {@code first}, then the job's claim released ({@link ProvisioningJob#cycleInterrupted}); never fails: when the
     * database does not take it, the claim lapses after the lease.
     */
    private Uni<Void> release(String jobId, ProvisioningJob.Claim claim, Uni<Void> first) {
        return first.chain(() -> answered(jobs.update(jobId, j -> {
            j.cycleInterrupted(claim);
            return j;
        }))).replaceWithVoid().onFailure().recoverWithUni(e -> {
            LOG.infof("job %s: could not be handed back (%s): its claim lapses after %s", jobId, e.toString(),
                    config.cycleLease());
            return Uni.createFrom().voidItem();
        });
    }

    Uni<Void> run(ProvisioningJob job, ProvisioningJob.Claim claim) {
        JobConfig jobConfig = job.config();
        String cycleId = UUID.randomUUID().toString();
        boolean full = claim.full();
        Timer.Sample timer = Timer.start(registry);
        LOG.infof("job %s: starting %s cycle %s", job.id(), full ? "full" : "incremental", cycleId);
        RunningCycles.Stop stop = new RunningCycles.Stop();
        Progress progress = new Progress();
        Cancellable heartbeat = heartbeat(job.id(), claim, stop);
        DirectorySource[] source = new DirectorySource[1];
        String[] sourceVersion = new String[1];
        ManagedObjectsCache.Taken[] taken = new ManagedObjectsCache.Taken[1];
        return Uni.createFrom().deferred(() -> {
            // before the cycle's first write: a deletion committed from now on stops it before its next event
            running.register(job.id(), stop);
            return checkStop(stop).chain(() -> answered(cycles.abandonRunning(job.id())));
        })
                .chain(() -> answered(cycles.start(cycleId, job.id(), full)))
                .chain(() -> Uni.createFrom().deferred(() -> {
                    // looked at before the read: a change made during the read shows as another version later
                    sourceVersion[0] = SourceWatch.version(sources.fileVersion(jobConfig));
                    source[0] = sources.forJob(jobConfig);
                    return source[0].load();
                }))
                .call(directory -> checkStop(stop))
                .chain(directory -> answered(cache.take(job.id()))
                        .chain(basis -> answered(managedCache.take(job.id())).chain(managedNow -> {
                            taken[0] = managedNow;
                            Map<String, ObjectType> managed = managedNow.objects();
                            Snapshot snapshot = basis.snapshot();
                            // off the event loop: a 100,000-user plan takes seconds, and the loop serves other jobs
                            return answered(held.pending(job)).chain(holding -> {
                                PlanMemo memo = planMemos.take(job.id());
                                return offEventLoop(() -> {
                                    // the users Druva holds for the job that its source listed before (counted only when
                                    // the read has none: the check needs them then only)
                                    long managedUsers = directory.users().isEmpty()
                                            ? managed.entrySet().stream()
                                                    .filter(m -> m.getValue() == ObjectType.USER
                                                            && snapshot.users().containsKey(m.getKey()))
                                                    .count()
                                            : 0;
                                    DeletionGuard.emptyRead(directory.users().size(), managedUsers)
                                            .ifPresent(reason -> {
                                                throw new SourceException("job " + job.id() + ": " + reason);
                                            });
                                    CyclePlanner.Planning planning = CyclePlanner.plan(memo, job.id(), cycleId, full,
                                            jobConfig.scope(), directory, snapshot, basis.generation(), managedNow,
                                            Instant.now());
                                    CyclePlan planned = planning.plan();
                                    LOG.debugf("job %s: cycle %s planned %s", job.id(), cycleId,
                                            planning.incremental()
                                                    ? "what changed since the last plan"
                                                    : "every object");
                                    return waitingGroups(holding, planned, guard(job, planned, managed),
                                            planning.memo());
                                });
                            }).chain(guarded -> {
                                CyclePlan plan = guarded.plan();
                                DeletionGuard.Parts<CyclePlan.Planned> split = guarded.split();
                                if (guarded.groupsWaiting() > 0) {
                                    LOG.infof("job %s: cycle %s: %s wait while deletions are held, so that a held "
                                            + "deletion removes nobody from a group: sent once deletes are allowed "
                                            + "or the job is restarted", job.id(), cycleId,
                                            Plural.of(guarded.groupsWaiting(), "group change"));
                                }
                                progress.planned = split.emit().size();
                                return checkStop(stop)
                                        .chain(() -> answered(hold(job, cycleId, split)))
                                        .chain(() -> emit(split.emit(), stop, progress))
                                        // the events are on Kafka: from here on every step is retried, and the cycle is
                                        // EMITTED before anything else, so that its results complete it whatever follows
                                        .chain(() -> ending.retried(job.id(), cycleId, "marking it emitted",
                                                () -> cycles.emitted(cycleId, plan.planned().size(),
                                                        directory.danglingReferences())))
                                        .invoke(() -> progress.emitted = true)
                                        .chain(() -> ending.retried(job.id(), cycleId,
                                                "releasing superseded held deletions",
                                                () -> held.supersede(job.id(), split.emit().stream()
                                                        .map(CyclePlan.Planned::objectId).toList())))
                                        .chain(() -> ending.retried(job.id(), cycleId, "logging the source's problems",
                                                () -> logProblems(job.id(), cycleId, directory)))
                                        // a stop of the detector lets it end (a few statements, within the grace)
                                        .chain(() -> checkTakenOver(stop))
                                        .chain(() -> ending.retried(job.id(), cycleId, "moving the snapshot",
                                                () -> moveSnapshot(job.id(), basis, plan, sourceVersion[0],
                                                        split.held().isEmpty() && !job.quarantined()
                                                                && guarded.groupsWaiting() == 0
                                                                        ? guarded.memo()
                                                                        : null)))
                                        .chain(() -> ending.retried(job.id(), cycleId, "storing the source's position",
                                                () -> source[0].commit()))
                                        .chain(() -> ending.retried(job.id(), cycleId, "scheduling the next cycle",
                                                () -> jobs.update(job.id(),
                                                        j -> j.cycleEmitted(claim, Instant.now(), quarantineSchedule))))
                                        .chain(() -> ending.retried(job.id(), cycleId, "finishing it",
                                                () -> ending.finishIfComplete(job.id(), cycleId)))
                                        .invoke(() -> {
                                            timer.stop(
                                                    registry.timer(DetectorMeters.CYCLE_EMIT_DURATION, PROVISIONING_JOB,
                                                            job.id()));
                                            LOG.infof("job %s: cycle %s emitted %s%s%s", job.id(), cycleId,
                                                    Plural.of(split.emit().size(), "event"),
                                                    split.held().isEmpty()
                                                            ? ""
                                                            : ", held " + Plural.of(split.held().size(), "deletion"),
                                                    directory.problems().isEmpty()
                                                            ? ""
                                                            : ", " + Plural.of(directory.problems().size(), "object")
                                                                    + " logged with source problems");
                                        });
                            });
                        })))
                .replaceWithVoid()
                .onFailure().recoverWithUni(failure -> failed(job.id(), claim, cycleId, failure, progress,
                        changedDuringRead(failure, progress, jobConfig, sourceVersion[0])))
                .onTermination().invoke(() -> {
                    if (taken[0] != null) {
                        managedCache.keep(job.id(), taken[0]);
                    }
                    heartbeat.cancel();
                    running.unregister(job.id(), stop);
                });
    }

    /**
     * Moves the job's snapshot by the plan's changes and records the source version the cycle read (when either is
     * new), and gives the snapshot back to the cache, with the memo of the plan when there is one (the next
     * incremental cycle plans from it: {@link PlanMemo}).
     *
     * @param memo the memo of the cycle's plan, or null to keep none (the cycle held deletions or left group changes
     *        waiting, or the job is
     *        quarantined: the next cycle walks every object)
     */
    private Uni<Void> moveSnapshot(String jobId, SnapshotCache.Basis basis, CyclePlan plan, String sourceVersion,
            PlanMemo memo) {
        boolean changes = !plan.snapshotRemovals().isEmpty()
                || plan.snapshotUpserts().values().stream().anyMatch(upserts -> !upserts.isEmpty());
        if (!changes && Objects.equals(sourceVersion, basis.sourceVersion())) {
            planMemos.keep(jobId, memo, cache.keep(jobId, basis));
            return Uni.createFrom().voidItem();
        }
        return snapshots.apply(jobId, plan.snapshotUpserts(), plan.snapshotNames(), plan.snapshotRemovals(),
                sourceVersion).invoke(moved -> planMemos.keep(jobId, memo, cache.keep(jobId, basis, moved, plan)))
                .replaceWithVoid();
    }

    /**
     * Records a failed cycle on the cycle and the job, unless the job was deleted meanwhile (its deletion stopped the
     * cycle, or a write of the cycle found the job's rows gone): then there is nothing to record, and one INFO line
     * says where the cycle stopped.
     */
    private Uni<Void> failed(String jobId, ProvisioningJob.Claim claim, String cycleId, Throwable failure,
            Progress progress, boolean changedDuringRead) {
        Uni<Boolean> deleted = failure instanceof JobDeleted
                ? Uni.createFrom().item(true)
                : answered(jobs.find(jobId)).map(Optional::isEmpty).onFailure().recoverWithItem(false);
        return deleted.chain(gone -> {
            if (gone) {
                LOG.infof("job %s: deleted during cycle %s, %s", jobId, cycleId, progress);
                return Uni.createFrom().voidItem();
            }
            if (progress.emitted) {
                return endNotRecorded(jobId, cycleId, failure);
            }
            if (failure instanceof DetectorStopping) {
                return handBack(jobId, claim, cycleId, progress);
            }
            if (changedDuringRead) {
                return readAgainSoon(jobId, claim, cycleId, failure);
            }
            return recordFailure(jobId, claim, cycleId, failure);
        });
    }

    /**
     * A step after the cycle was recorded EMITTED failed for good ({@value CycleEnding#END_ATTEMPTS} attempts, or a failure that
     * is not the database's): the cycle stays EMITTED, and its results complete it (and finish it, with its
     * follow-up); the claim is not released, so the job's next cycle starts once the lease has passed, and repeats what
     * this one did not record (a snapshot not moved means the same changes again). Not a failed cycle: its events went
     * out, so it neither counts toward quarantine nor is shown FAILED.
     */
    private Uni<Void> endNotRecorded(String jobId, String cycleId, Throwable failure) {
        if (failure instanceof ClaimLost) {
            LOG.warnf("job %s: cycle %s emitted its events, then its claim was taken over: it stays EMITTED, and the "
                    + "new owner's cycle repeats what this one did not record", jobId, cycleId);
            return Uni.createFrom().voidItem();
        }
        LOG.errorf("job %s: cycle %s emitted its events, but its end could not be recorded: %s. Its results complete "
                + "it; the next cycle starts once its claim lapses (%s) and repeats what was not recorded", jobId,
                cycleId, failure.toString(), config.cycleLease());
        return Uni.createFrom().voidItem();
    }

    /**
     * The detector stops and the cycle had not emitted all its events ({@link DetectorStopping}): the cycle is recorded
     * FAILED as {@link CycleRepository#INTERRUPTED} (not a failed cycle of the job: no {@code lastError}, not counted
     * toward quarantine) and its claim released, so that the next start, or another replica, runs the job's cycle at
     * once, repeating this one's work (its snapshot did not move; the events it sent are sent again, and applied
     * idempotently downstream). When the database does not take that, the claim lapses after the lease, as after a
     * crash.
     */
    private Uni<Void> handBack(String jobId, ProvisioningJob.Claim claim, String cycleId, Progress progress) {
        LOG.infof("job %s: cycle %s %s, as the detector stops: handed back (its claim released), the next start or "
                + "another replica runs it at once", jobId, cycleId, progress);
        return release(jobId, claim, answered(cycles.failed(cycleId, CycleRepository.INTERRUPTED)));
    }

    /**
     * Whether the cycle failed on its read of the directory file (before it planned anything) while the file's version
     * ({@link SourceWatch#version}: size, modification time, file) moved from the one looked at just before the read: a
     * writer that writes the file in place was half-way through it, so what was read is torn, not invalid.
     */
    private boolean changedDuringRead(Throwable failure, Progress progress, JobConfig jobConfig,
            String versionBeforeRead) {
        return failure instanceof SourceException && progress.planned < 0 && versionBeforeRead != null
                && !versionBeforeRead.equals(SourceWatch.version(sources.fileVersion(jobConfig)));
    }

    /**
     * The directory file changed while the cycle read it ({@link #changedDuringRead}): the cycle is recorded FAILED
     * with why, and the job reads the file again after {@link #READ_AGAIN_AFTER}; not a failed cycle of the
     * job (no {@code lastError}, not counted toward quarantine nor in {@code provisioning.detector.cycles.failed}).
     */
    private Uni<Void> readAgainSoon(String jobId, ProvisioningJob.Claim claim, String cycleId, Throwable failure) {
        String error = "the directory file changed while it was read (a writer was writing it); read again: "
                + failure.getMessage();
        LOG.warnf("job %s: cycle %s: %s", jobId, cycleId, error);
        return answered(cycles.failed(cycleId, error)).chain(() -> answered(jobs.update(jobId, j -> {
            j.postponeCycle(claim, READ_AGAIN_AFTER, Instant.now());
            return j;
        }))).replaceWithVoid().onFailure().recoverWithUni(e -> {
            // the claim lapses after the lease and the cycle is tried again
            LOG.errorf("job %s: cycle %s: its end could not be recorded: %s", jobId, cycleId, e);
            return Uni.createFrom().voidItem();
        });
    }

    private Uni<Void> recordFailure(String jobId, ProvisioningJob.Claim claim, String cycleId, Throwable failure) {
        String error = failure instanceof SourceException || failure instanceof ClaimLost
                ? failure.getMessage()
                : "cycle failed: " + failure;
        LOG.errorf("job %s: cycle %s failed: %s", jobId, cycleId, error);
        registry.counter(DetectorMeters.CYCLES_FAILED, PROVISIONING_JOB, jobId).increment();
        return answered(cycles.failed(cycleId, error)).chain(() -> answered(jobs.update(jobId,
                j -> j.cycleFailed(claim, cycleId, error, config.sourceErrorRetry(),
                        config.quarantineAfterFailedCycles(), Instant.now(), quarantineSchedule))))
                .replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    // the claim lapses after the lease and the cycle is tried again
                    LOG.errorf("job %s: cycle %s: its failure could not be recorded: %s", jobId, cycleId, e);
                    return Uni.createFrom().voidItem();
                });
    }

    /**
     * Renews the claim every third of the lease while the cycle runs; a renewal that finds the claim gone stops the
     * cycle, as {@link JobDeleted} when the job is gone (deleted through another replica), else as {@link ClaimLost}.
     * Timers, not threads.
     */
    private Cancellable heartbeat(String jobId, ProvisioningJob.Claim claim, RunningCycles.Stop stop) {
        Duration every = config.cycleLease().dividedBy(3);
        return Multi.createFrom().ticks().every(every)
                .onItem().transformToUniAndConcatenate(tick -> answered(jobs.renewClaim(jobId, claim.token()))
                        .onFailure().recoverWithItem(true)
                        .chain(renewed -> renewed
                                ? Uni.createFrom().<RuntimeException>nullItem()
                                : answered(jobs.find(jobId)).<RuntimeException>map(found -> found.isEmpty()
                                        ? new JobDeleted(jobId)
                                        : new ClaimLost(jobId))
                                        // looked at again at the next tick
                                        .onFailure().recoverWithNull()))
                .subscribe().with(reason -> {
                    if (reason != null && stop.set(reason) && reason instanceof ClaimLost) {
                        LOG.warnf("job %s: the cycle's claim was taken over by another replica", jobId);
                    }
                }, failure -> LOG.warnf("job %s: the cycle's heartbeat stopped: %s", jobId, failure));
    }

    private static Uni<Void> checkStop(RunningCycles.Stop stop) {
        RuntimeException reason = stop.reason();
        return reason == null ? Uni.createFrom().voidItem() : Uni.createFrom().failure(reason);
    }

    /**
     * As {@link #checkStop}, except that the detector's stop lets the cycle go on: a cycle that emitted all its events
     * records its end.
     */
    private static Uni<Void> checkTakenOver(RunningCycles.Stop stop) {
        return stop.reason() instanceof DetectorStopping ? Uni.createFrom().voidItem() : checkStop(stop);
    }

    /**
     * A cycle's plan and the deletion guard's split of it.
     *
     * @param groupsWaiting how many group changes the plan leaves for a later cycle ({@link #waitingGroups})
     */
    private record Guarded(CyclePlan plan, DeletionGuard.Parts<CyclePlan.Planned> split, PlanMemo memo,
            int groupsWaiting) {
    }

    /**
     * While the job holds deletions (this cycle holds some, or an earlier cycle's still wait for the administrator: a
     * Start lifts the quarantine but not the hold), its group changes wait too: a group's event carries its members as
     * the source has them now, without the users whose disable or delete is held, so sending it would remove those
     * users from the group in Druva, a part of the very deletion the threshold holds (Entra's accidental-deletions
     * prevention: "users aren't disabled or deleted in an application unexpectedly"). The groups are left out of the
     * plan and of the snapshot's move, so the first cycle after deletes are allowed, or after a restart, sends them.
     */
    static Guarded waitingGroups(boolean heldBefore, CyclePlan plan, DeletionGuard.Parts<CyclePlan.Planned> split,
            PlanMemo memo) {
        Set<String> groups = heldBefore || !split.held().isEmpty()
                ? split.emit().stream().filter(p -> p.objectType() == ObjectType.GROUP)
                        .map(CyclePlan.Planned::objectId).collect(Collectors.toSet())
                : Set.of();
        if (groups.isEmpty()) {
            return new Guarded(plan, split, memo, 0);
        }
        return new Guarded(plan.without(groups), new DeletionGuard.Parts<>(split.emit().stream()
                .filter(p -> !groups.contains(p.objectId())).toList(), split.held(), split.reason()), memo,
                groups.size());
    }

    /**
     * Runs CPU-bound work on a worker thread and gives its result back on the caller's Vert.x context (or the worker,
     * off a context), so the event loop, which serves every job's database answers, Kafka acks and requests, is not
     * held while one large job plans (issue 13's 100,000-user cycle held it about 3 s: Vert.x's blocked-thread
     * warning).
     */
    static <T> Uni<T> offEventLoop(Supplier<T> work) {
        Context context = Vertx.currentContext();
        Uni<T> onWorker = Uni.createFrom().item(work).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
        return context == null ? onWorker : onWorker.emitOn(command -> context.runOnContext(ignored -> command.run()));
    }

    /**
     * Applies the job's deletion threshold to the plan: the mapping engine says which events disable or delete an
     * object the job manages in Druva (only those objects' events are built here, and dropped at once).
     */
    private static DeletionGuard.Parts<CyclePlan.Planned> guard(ProvisioningJob job, CyclePlan plan,
            Map<String, ObjectType> managed) {
        if (job.deletionThreshold().off() || plan.planned().isEmpty()) {
            return DeletionGuard.Parts.all(plan.planned());
        }
        CompiledJob engine = MappingEngine.compile(job.config());
        return DeletionGuard.split(plan.planned(), job.deletionThreshold(), managed.keySet(),
                CyclePlan.Planned::objectId, planned -> engine.evaluate(planned.event().get()));
    }

    private Uni<Void> hold(ProvisioningJob job, String cycleId, DeletionGuard.Parts<CyclePlan.Planned> split) {
        return split.held().isEmpty()
                ? Uni.createFrom().voidItem()
                : held.hold(job.id(), cycleId, split.held().stream().map(planned -> planned.event().get()).toList(),
                        split.reason().orElseThrow());
    }

    /**
     * Sends the planned objects' events, at most {@code detector.emit-concurrency} at once, each built as it is sent
     * (so at most that many exist at once); each is sent only if the cycle was not asked to stop, so at most that many
     * are sent after the ask. Each acked event counts in {@link DetectorMeters#EVENTS_EMITTED} at once (its counter
     * looked up once per cycle and change kind, not per event).
     */
    private Uni<Void> emit(List<CyclePlan.Planned> planned, RunningCycles.Stop stop, Progress progress) {
        if (planned.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Map<ChangeKind, Counter> emitted = new ConcurrentHashMap<>();
        return Multi.createFrom().iterable(planned)
                .onItem().transformToUni(item -> checkStop(stop).chain(() -> {
                    AssignmentEvent event = item.event().get();
                    return publisher.send(event).invoke(() -> {
                        progress.sent.incrementAndGet();
                        emitted.computeIfAbsent(event.change(), change -> emittedCounter(event.jobId(), change))
                                .increment();
                    });
                }))
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
            boolean warning = p.kind().warning();
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

    private Counter emittedCounter(String jobId, ChangeKind change) {
        return registry.counter(DetectorMeters.EVENTS_EMITTED, PROVISIONING_JOB, jobId, "change", change.name());
    }
}
