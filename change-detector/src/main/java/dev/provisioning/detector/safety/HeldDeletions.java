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
import dev.provisioning.detector.cycle.CyclePlanner;
import dev.provisioning.detector.messaging.AssignmentPublisher;
import dev.provisioning.detector.messaging.JobStatePublisher;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobRow;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.StagedDeletionRepository;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;

/**
 * Deletions held by the accidental-deletion threshold: holding them (StagedDelete/Skipped log records, DELETIONS_HELD,
 * quarantine), releasing them when the administrator allows deletes (emitted in a release cycle of their own, then
 * DELETIONS_RELEASED and the quarantine lifted), and discarding them on restart.
 */
@ApplicationScoped
public class HeldDeletions {

    public static final String REPORTER = "change-detector";
    private static final Logger LOG = Logger.getLogger(HeldDeletions.class);

    private final StagedDeletionRepository staged;
    private final ProvisioningLogRepository log;
    private final CycleRepository cycles;
    private final AssignmentPublisher assignments;
    private final JobStatePublisher states;
    private final Quarantine quarantine;
    private final DetectorConfig config;

    public HeldDeletions(StagedDeletionRepository staged, ProvisioningLogRepository log, CycleRepository cycles,
            AssignmentPublisher assignments, JobStatePublisher states, Quarantine quarantine, DetectorConfig config) {
        this.staged = staged;
        this.log = log;
        this.cycles = cycles;
        this.assignments = assignments;
        this.states = states;
        this.quarantine = quarantine;
        this.config = config;
    }

    /**
     * Holds a cycle's disables and deletes: stores them, logs each as StagedDelete/Skipped in the cycle, publishes
     * DELETIONS_HELD and quarantines the job. Called before the cycle's snapshot moves, so a crash repeats it.
     */
    public Uni<Void> hold(JobRow job, String cycleId, List<AssignmentEvent> held) {
        String reason = held.size() + " disables and deletes in this cycle exceed the deletion threshold of "
                + job.deletionThreshold()
                + ": they are held until an administrator allows deletes or restarts the job.";
        LOG.warnf("job %s: cycle %s: %s", job.id(), cycleId, reason);
        return staged.hold(job.id(), cycleId, held)
                .chain(() -> Multi.createFrom().iterable(held)
                        .onItem().transformToUniAndMerge(e -> log.record(stagedResult(e, reason)))
                        .collect().last())
                .chain(() -> states.publish(JobStateEvents.of(job.id(), job.name(), JobStateChange.DELETIONS_HELD,
                        cycleId, QuarantineRules.DELETION_THRESHOLD_EXCEEDED, reason, held.size(), cycleId)))
                .chain(() -> quarantine.enter(job.id(), QuarantineRules.DELETION_THRESHOLD_EXCEEDED, reason, cycleId,
                        held.size()));
    }

    /**
     * Emits the held events (allow deletes) in a new cycle, then forgets them, publishes DELETIONS_RELEASED and lifts
     * a deletion-threshold quarantine.
     *
     * @return the release: how many events and in which cycle (null when nothing was held)
     */
    public Uni<Release> allow(JobRow job) {
        return staged.held(job.id()).chain(held -> {
            if (held.isEmpty()) {
                return Uni.createFrom().item(new Release(0, null));
            }
            String cycleId = UUID.randomUUID().toString();
            Instant now = Instant.now();
            List<AssignmentEvent> events = new ArrayList<>();
            for (AssignmentEvent e : held) {
                events.add(new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, CyclePlanner.eventId(cycleId,
                        e.objectId()), e.jobId(), cycleId, false, e.objectType(), e.objectId(), e.change(),
                        e.attributes(), e.assignments(), e.members(), now));
            }
            return cycles.start(cycleId, job.id(), false)
                    .chain(() -> Multi.createFrom().iterable(events)
                            .onItem().transformToUni(assignments::send).merge(config.emitConcurrency())
                            .collect().last())
                    .chain(() -> cycles.emitted(cycleId, events.size()))
                    .chain(() -> staged.remove(job.id(), held.stream().map(AssignmentEvent::objectId).toList()))
                    .chain(() -> states.publish(JobStateEvents.of(job.id(), job.name(),
                            JobStateChange.DELETIONS_RELEASED, cycleId, null,
                            events.size() + " held disables and deletes were allowed by an administrator.",
                            events.size(), cycleId)))
                    .chain(() -> QuarantineRules.DELETION_THRESHOLD_EXCEEDED.equals(job.quarantineReason())
                            ? quarantine.lift(job.id(), "an administrator allowed the held deletions")
                            : Uni.createFrom().voidItem())
                    .invoke(() -> LOG.infof("job %s: %d held deletions released in cycle %s", job.id(),
                            events.size(), cycleId))
                    .replaceWith(new Release(events.size(), cycleId));
        });
    }

    /** Forgets the held events (restart); publishes DELETIONS_RELEASED when there were any. */
    public Uni<Integer> discard(JobRow job, String restartId) {
        return staged.count(job.id()).chain(count -> count == 0
                ? Uni.createFrom().item(0)
                : states.publish(JobStateEvents.of(job.id(), job.name(), JobStateChange.DELETIONS_RELEASED,
                        "restart/" + restartId, null,
                        count + " held disables and deletes were discarded by a restart of the job.", count, null))
                        .chain(() -> staged.discard(job.id())));
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
                QuarantineRules.DELETION_THRESHOLD_EXCEEDED, reason, null, 0, 0, List.of(), REPORTER, Instant.now());
    }
}
