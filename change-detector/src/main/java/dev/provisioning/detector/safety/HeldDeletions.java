package dev.provisioning.detector.safety;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.job.ProvisioningJob.EarlierHold;
import dev.provisioning.detector.job.QuarantineReason;
import dev.provisioning.detector.job.QuarantineSchedule;
import dev.provisioning.detector.messaging.AssignmentPublisher;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.StagedDeletionRepository;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.telemetry.Plural;

/**
 * Deletions held by the accidental-deletion threshold: holding them (StagedDelete/Skipped log records, and the job
 * tells DELETIONS_HELD and quarantines itself), releasing them when the administrator allows deletes (emitted in a
 * release cycle of their own, then the job tells DELETIONS_RELEASED and lifts its quarantine), and forgetting those a
 * later cycle supersedes. Restart discards them with the job's own save ({@code JobService.restart}).
 */
@ApplicationScoped
public class HeldDeletions {

    public static final String REPORTER = "change-detector";
    private static final Logger LOG = Logger.getLogger(HeldDeletions.class);

    private final JobStore jobs;
    private final StagedDeletionRepository staged;
    private final ProvisioningLogRepository log;
    private final CycleRepository cycles;
    private final AssignmentPublisher assignments;
    private final DetectorConfig config;
    private final QuarantineSchedule quarantineSchedule;
    private final CycleEnding ending;

    public HeldDeletions(JobStore jobs, StagedDeletionRepository staged, ProvisioningLogRepository log,
            CycleRepository cycles, AssignmentPublisher assignments, DetectorConfig config,
            QuarantineSchedule quarantineSchedule, CycleEnding ending) {
        this.ending = ending;
        this.jobs = jobs;
        this.staged = staged;
        this.log = log;
        this.cycles = cycles;
        this.assignments = assignments;
        this.config = config;
        this.quarantineSchedule = quarantineSchedule;
    }

    /**
     * Holds a cycle's disables and deletes, in one transaction with the job's save: the objects not held yet are logged
     * as StagedDelete/Skipped in this cycle, all are stored, and the job tells and quarantines itself
     * ({@link ProvisioningJob#holdDeletions}). Called before the cycle's snapshot moves, so a crash repeats it in the
     * next cycle, which holds the same deletions again: objects already held keep the cycle that first held them, are
     * not logged again, and are told again only when they may not have been.
     *
     * @param why which limit of the job's deletion threshold they tripped
     */
    public Uni<Void> hold(String jobId, String cycleId, List<AssignmentEvent> held, String why) {
        List<String> ids = held.stream().map(AssignmentEvent::objectId).toList();
        return jobs.update(jobId, (job, tx) -> staged.heldIn(tx, jobId, ids).chain(before -> {
            List<EarlierHold> earlier = held.stream().map(e -> before.get(e.objectId()))
                    .filter(java.util.Objects::nonNull).toList();
            String reason = job.holdDeletions(cycleId, held.size(), why, earlier, Instant.now(), quarantineSchedule);
            LOG.warnf("job %s: cycle %s: %s%s", jobId, cycleId, reason,
                    earlier.size() == held.size() ? " (no deletion is newly held)" : "");
            List<ProvisioningResult> fresh = held.stream().filter(e -> !before.containsKey(e.objectId()))
                    .map(e -> stagedResult(e, reason)).toList();
            return log.recordSkipped(tx, cycleId, fresh).chain(() -> staged.hold(tx, jobId, cycleId, held))
                    .replaceWith(reason);
        })).replaceWithVoid();
    }

    /**
     * Whether the job holds deletions from an earlier cycle (they wait for the administrator's allow-deletes or
     * restart); false at once, with no query, for a job whose deletion threshold is off.
     */
    public Uni<Boolean> pending(ProvisioningJob job) {
        return job.deletionThreshold().off()
                ? Uni.createFrom().item(false)
                : staged.any(job.id());
    }

    /**
     * Forgets held deletions that a cycle's newer events supersede (a user whose disable was held is assigned again,
     * or its removal now fits under the threshold and was sent): allowing deletes later must not act on stale state.
     *
     * @param emitted the ids of the objects the cycle sent events for
     */
    public Uni<Void> supersede(String jobId, List<String> emitted) {
        if (emitted.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return staged.remove(jobId, emitted).invoke(removed -> {
            if (removed > 0) {
                LOG.infof("job %s: %s superseded by this cycle's events and no longer held", jobId,
                        Plural.of(removed, "held deletion is", "held deletions are"));
            }
        }).replaceWithVoid();
    }

    /**
     * Emits the held events (allow deletes) in a new cycle; then, in one transaction, forgets them and lets the job
     * tell DELETIONS_RELEASED and lift a deletion-threshold quarantine. Once the events are on Kafka, each step is
     * retried while the database fails ({@link CycleEnding#retried}), and the release cycle is finished here when its
     * results all came in before it was marked EMITTED; a step that still fails fails the call (the events went out:
     * allowing again sends them again, which Druva takes as the same change).
     *
     * @return the release: how many events and in which cycle (null when nothing was held)
     */
    public Uni<Release> allow(ProvisioningJob job) {
        return staged.held(job.id()).chain(held -> {
            if (held.isEmpty()) {
                return Uni.createFrom().item(new Release(0, null));
            }
            String cycleId = UUID.randomUUID().toString();
            Instant now = Instant.now();
            List<AssignmentEvent> events = new ArrayList<>();
            for (AssignmentEvent e : held) {
                events.add(new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, Cycle.eventId(cycleId, e.objectId()),
                        e.jobId(), cycleId, false, e.objectType(), e.objectId(), e.change(), e.attributes(),
                        e.assignments(), e.members(), now));
            }
            List<String> ids = held.stream().map(AssignmentEvent::objectId).toList();
            return CycleEnding.answered(cycles.start(cycleId, job.id(), false))
                    .chain(() -> Multi.createFrom().iterable(events)
                            .onItem().transformToUni(assignments::send).merge(config.emitConcurrency())
                            .collect().last())
                    // the events are on Kafka: from here on every step is retried, and the cycle is EMITTED first,
                    // so that its results complete it whatever follows (as a job's own cycle: CycleEnding)
                    .chain(() -> ending.retried(job.id(), cycleId, "marking the release emitted",
                            () -> cycles.emitted(cycleId, events.size())))
                    .chain(() -> ending.retried(job.id(), cycleId, "forgetting the released deletions",
                            () -> jobs.update(job.id(), (j, tx) -> staged.remove(tx, job.id(), ids).invoke(
                                    removed -> j.deletionsReleased(cycleId, events.size(), Instant.now())))))
                    .chain(() -> ending.retried(job.id(), cycleId, "finishing it",
                            () -> ending.finishIfComplete(job.id(), cycleId)))
                    .invoke(() -> LOG.infof("job %s: %s released in cycle %s", job.id(),
                            Plural.of(events.size(), "held deletion"), cycleId))
                    .replaceWith(new Release(events.size(), cycleId));
        });
    }

    /**
     * A release of held deletions.
     *
     * @param released how many events were emitted
     * @param cycleId the cycle they were emitted in (null when none were held)
     */
    public record Release(int released, String cycleId) {
    }

    private static ProvisioningResult stagedResult(AssignmentEvent e, String reason) {
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(e.jobId(), e.objectId(), e.cycleId(), e.eventId()), e.jobId(), e.cycleId(),
                e.eventId(), e.objectType() == null ? ObjectType.USER : e.objectType(), e.objectId(), null,
                e.displayName(), ProvisioningAction.StagedDelete, ProvisioningStatus.Skipped,
                QuarantineReason.DeletionThresholdExceeded.name(), reason, null, 0, 0, List.of(), REPORTER,
                Instant.now());
    }
}
