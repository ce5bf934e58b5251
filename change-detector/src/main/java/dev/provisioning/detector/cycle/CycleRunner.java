package dev.provisioning.detector.cycle;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.job.DeletionGuard;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.job.QuarantineSchedule;
import dev.provisioning.detector.messaging.AssignmentPublisher;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.safety.HeldDeletions;
import dev.provisioning.detector.source.DirectorySource;
import dev.provisioning.detector.source.DirectorySources;
import dev.provisioning.detector.source.SourceException;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.mapping.CompiledJob;
import dev.provisioning.mapping.MappingEngine;

/**
 * Runs one cycle of a claimed job: read the source, diff it against the snapshot, emit one event per changed object,
 * wait for the broker to acknowledge every event, and only then move the snapshot (the watermark) and schedule the
 * next cycle. A crash anywhere before the snapshot moves repeats the cycle; it never skips a change. The assignment
 * events are sent directly (they are the cycle's work, not the job's events); the job's own changes go through its
 * save.
 */
@ApplicationScoped
public class CycleRunner {

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

    /**
     * Runs a cycle for a job this replica has claimed, unless its previous cycle still holds it back
     * ({@link dev.provisioning.detector.job.Cycle#holdsBackNext}). Never fails: errors are recorded on the cycle and
     * the job.
     */
    public Uni<Void> runWhenPreviousFinished(ProvisioningJob job) {
        return cycles.latest(job.id(), 1).chain(latest -> {
            if (latest.isEmpty() || !latest.get(0).holdsBackNext(Instant.now(), config.cycleLease())) {
                return run(job);
            }
            return jobs.update(job.id(), j -> {
                j.postponeCycle(config.schedulerTick(), Instant.now());
                return j;
            }).replaceWithVoid();
        });
    }

    Uni<Void> run(ProvisioningJob job) {
        JobConfig jobConfig = job.config();
        String cycleId = UUID.randomUUID().toString();
        boolean full = job.fullCycleRequested();
        Timer.Sample timer = Timer.start(registry);
        LOG.infof("job %s: starting %s cycle %s", job.id(), full ? "full" : "incremental", cycleId);
        DirectorySource[] source = new DirectorySource[1];
        return cycles.abandonRunning(job.id())
                .chain(() -> cycles.start(cycleId, job.id(), full))
                .chain(() -> blocking(() -> {
                    source[0] = sources.forJob(jobConfig);
                    return source[0].read();
                }))
                .chain(directory -> snapshots.load(job.id())
                        .chain(snapshot -> log.managedObjects(job.id()).chain(managed -> {
                            CyclePlan plan = CyclePlanner.plan(job.id(), cycleId, full, jobConfig.scope(), directory,
                                    snapshot, managed, Instant.now());
                            DeletionGuard.Split split = guard(job, plan, managed.keySet());
                            return hold(job, cycleId, split)
                                    .chain(() -> emit(split.emit()))
                                    .chain(() -> held.supersede(job.id(), split.emit()))
                                    .chain(() -> snapshots.apply(job.id(), plan.snapshotUpserts(),
                                            plan.snapshotRemovals()))
                                    .chain(() -> blocking(() -> {
                                        source[0].commit();
                                        return plan;
                                    }))
                                    .chain(() -> cycles.emitted(cycleId, plan.events().size()))
                                    .chain(() -> jobs.update(job.id(), j -> {
                                        j.cycleEmitted(Instant.now(), quarantineSchedule);
                                        return j;
                                    }))
                                    .invoke(() -> {
                                        timer.stop(registry.timer("provisioning.detector.cycle.emit.duration", "job",
                                                job.id()));
                                        LOG.infof("job %s: cycle %s emitted %d events%s", job.id(), cycleId,
                                                split.emit().size(), split.held().isEmpty()
                                                        ? ""
                                                        : ", held " + split.held().size() + " deletions");
                                    });
                        })))
                .replaceWithVoid()
                .onFailure().recoverWithUni(failure -> {
                    String error = failure instanceof SourceException
                            ? failure.getMessage()
                            : "cycle failed: " + failure;
                    LOG.errorf("job %s: cycle %s failed: %s", job.id(), cycleId, error);
                    registry.counter("provisioning.detector.cycles.failed", "job", job.id()).increment();
                    return cycles.failed(cycleId, error).chain(() -> jobs.update(job.id(), j -> {
                        j.cycleFailed(error, config.sourceErrorRetry(), Instant.now());
                        return j;
                    })).replaceWithVoid();
                });
    }

    /**
     * Applies the job's deletion threshold to the plan: with a threshold, the mapping engine says which events disable
     * or delete an object the job manages in Druva.
     */
    private static DeletionGuard.Split guard(ProvisioningJob job, CyclePlan plan, Set<String> managed) {
        if (job.deletionThreshold() <= 0 || plan.events().isEmpty()) {
            return new DeletionGuard.Split(plan.events(), List.of());
        }
        CompiledJob engine = MappingEngine.compile(job.config());
        return DeletionGuard.split(plan.events(), job.deletionThreshold(), managed, engine::evaluate);
    }

    private Uni<Void> hold(ProvisioningJob job, String cycleId, DeletionGuard.Split split) {
        return split.held().isEmpty() ? Uni.createFrom().voidItem() : held.hold(job.id(), cycleId, split.held());
    }

    private Uni<Void> emit(List<AssignmentEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(events)
                .onItem().transformToUni(event -> publisher.send(event).invoke(() -> countEmitted(event)))
                .merge(config.emitConcurrency())
                .collect().last().replaceWithVoid();
    }

    private void countEmitted(AssignmentEvent event) {
        registry.counter("provisioning.detector.events.emitted", "job", event.jobId(), "change", event.change().name())
                .increment();
    }

    /** Reading a source is blocking: keep it (and its commit) off the event loop. */
    private static <T> Uni<T> blocking(java.util.function.Supplier<T> work) {
        return Uni.createFrom().item(work).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

}
