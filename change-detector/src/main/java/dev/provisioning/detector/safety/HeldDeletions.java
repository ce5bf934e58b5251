package dev.provisioning.detector.safety;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
     * DELETIONS_HELD and quarantines the job. Called before the cycle's snapshot moves, so a crash repeats it: the next
     * cycle holds the same deletions again, and holding is idempotent across such a repeat.
     * <ul>
     * <li>Objects not held yet are logged in this cycle and announced by a DELETIONS_HELD of this cycle.</li>
     * <li>Objects already held stay with the cycle that first held them: they are not logged again, and that cycle's
     * DELETIONS_HELD is not published again once it surely was (see {@link #announced}). Otherwise the crash may have
     * come before it was published: it is published again, under the same event id, which the notifier dedupes
     * on.</li>
     * <li>The job is quarantined, unless it already is for the deletion threshold (no second QUARANTINE_STARTED).</li>
     * </ul>
     */
    public Uni<Void> hold(JobRow job, String cycleId, List<AssignmentEvent> held) {
        List<String> ids = held.stream().map(AssignmentEvent::objectId).toList();
        return staged.heldIn(job.id(), ids).chain(before -> {
            List<AssignmentEvent> fresh = held.stream().filter(e -> !before.containsKey(e.objectId())).toList();
            // objects held by earlier cycles whose hold may not have been announced, by that cycle
            Map<String, Long> unannounced = new TreeMap<>();
            for (AssignmentEvent e : held) {
                StagedDeletionRepository.Held first = before.get(e.objectId());
                if (first != null && !announced(job, first)) {
                    unannounced.merge(first.cycleId(), 1L, Long::sum);
                }
            }
            String reason = reason(job, held.size(), held.size() - fresh.size());
            if (fresh.isEmpty()) {
                LOG.warnf("job %s: cycle %s: %s (no deletion is newly held)", job.id(), cycleId, reason);
            } else {
                LOG.warnf("job %s: cycle %s: %s", job.id(), cycleId, reason);
            }
            Uni<Void> announcedAgain = Uni.createFrom().voidItem();
            for (Map.Entry<String, Long> earlier : unannounced.entrySet()) {
                announcedAgain = announcedAgain.chain(() -> announce(job, earlier.getKey(), earlier.getValue(),
                        reason(job, earlier.getValue(), 0)));
            }
            Uni<Void> again = announcedAgain;
            return Multi.createFrom().iterable(fresh)
                    .onItem().transformToUniAndMerge(e -> log.record(stagedResult(e, reason)))
                    .collect().asList()
                    .chain(() -> staged.hold(job.id(), cycleId, held))
                    .chain(() -> again)
                    .chain(() -> fresh.isEmpty()
                            ? Uni.createFrom().voidItem()
                            : announce(job, cycleId, fresh.size(), reason))
                    .chain(() -> quarantine.enter(job.id(), QuarantineRules.DELETION_THRESHOLD_EXCEEDED, reason,
                            cycleId, held.size()));
        });
    }

    /** DELETIONS_HELD for the deletions first held in {@code cycleId}: its id is stable for that cycle. */
    private Uni<Void> announce(JobRow job, String cycleId, long count, String reason) {
        return states.publish(JobStateEvents.of(job.id(), job.name(), JobStateChange.DELETIONS_HELD, cycleId,
                QuarantineRules.DELETION_THRESHOLD_EXCEEDED, reason, count, cycleId));
    }

    /**
     * Whether an earlier hold was announced for sure: the job went into quarantine for the deletion threshold after
     * it, and every hold announces its deletions before it quarantines the job. (When the job was already in that
     * quarantine before the earlier hold, this cannot tell, and the announcement is published again under its id.)
     */
    private static boolean announced(JobRow job, StagedDeletionRepository.Held earlier) {
        return QuarantineRules.DELETION_THRESHOLD_EXCEEDED.equals(job.quarantineReason())
                && job.quarantinedSince() != null && !job.quarantinedSince().isBefore(earlier.heldAt());
    }

    private static String reason(JobRow job, long held, long alreadyHeld) {
        return held + " disables and deletes in this cycle exceed the deletion threshold of " + job.deletionThreshold()
                + (alreadyHeld == 0 ? "" : " (" + alreadyHeld + " of them were already held)")
                + ": they are held until an administrator allows deletes or restarts the job.";
    }

    /**
     * Forgets held deletions that a cycle's newer events supersede (a user whose disable was held is assigned again,
     * or its removal now fits under the threshold and was sent): allowing deletes later must not act on stale state.
     */
    public Uni<Void> supersede(String jobId, List<AssignmentEvent> emitted) {
        if (emitted.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return staged.remove(jobId, emitted.stream().map(AssignmentEvent::objectId).toList()).invoke(removed -> {
            if (removed > 0) {
                LOG.infof("job %s: %d held deletions are superseded by this cycle's events and no longer held", jobId,
                        removed);
            }
        }).replaceWithVoid();
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
