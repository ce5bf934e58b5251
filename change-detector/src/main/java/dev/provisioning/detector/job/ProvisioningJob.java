package dev.provisioning.detector.job;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;

/**
 * A provisioning job (Entra: the synchronization job of an enterprise application), and the one owner of everything
 * the detector keeps about it: the configuration (the {@link JobConfig} decoded once, when the job is loaded), its
 * state, the quarantine, the age of the secret token, the accidental deletions threshold and the schedule (next cycle,
 * whether it is a full one, the claim of the replica running it).
 *
 * <p>
 * Callers load the job, call one method and save it. Each method keeps the job's invariants and raises the
 * {@link JobEvent}s that say what changed; the store writes the row and those events (to an outbox) in one
 * transaction, and only then are they published. A method that changes nothing raises nothing and leaves
 * {@link #changed()} false, so a redelivered result is a read, not a write.
 *
 * <p>
 * Plain Java: time is passed in, nothing is read or sent from here. Claims are taken by the store (one statement,
 * {@code FOR UPDATE SKIP LOCKED}, so that replicas never run one job's cycle twice); the methods here release them.
 */
public final class ProvisioningJob {

    private final String id;
    private final Instant createdAt;
    private final long revision;
    private JobConfig config;
    private int deletionThreshold;
    private Instant tokenSetAt;
    private Instant tokenExpiryWarned;
    private Quarantine quarantine;
    private Instant quarantineLiftedAt;
    private Instant nextCycleAt;
    private boolean fullCycleRequested;
    private Instant cycleClaimedAt;
    private String lastError;

    private final List<JobEvent> stateEvents = new ArrayList<>();
    private boolean changed;
    private boolean configRevised;
    private boolean deleted;

    /**
     * What the store keeps of a job.
     *
     * @param revision the stored row's revision, raised by every save (optimistic locking); the configuration has a
     *        revision of its own, raised by every change to it
     * @param deletionThreshold disables + deletes allowed per cycle before they are held; 0 means off
     * @param tokenSetAt when the secret token was last set (Druva tokens last a year)
     * @param tokenExpiryWarned the {@code tokenSetAt} whose expiry was announced, else null
     * @param quarantine the quarantine, else null
     * @param quarantineLiftedAt when the last quarantine was lifted, else null
     * @param nextCycleAt when the next cycle is due; null for a job that was never started
     * @param fullCycleRequested whether the next cycle re-evaluates every object
     * @param cycleClaimedAt when a replica claimed the job to run its cycle, else null
     * @param lastError why the last cycle failed, else null
     */
    public record Stored(String id, JobConfig config, long revision, Instant createdAt, int deletionThreshold,
            Instant tokenSetAt, Instant tokenExpiryWarned, Quarantine quarantine, Instant quarantineLiftedAt,
            Instant nextCycleAt, boolean fullCycleRequested, Instant cycleClaimedAt, String lastError) {
    }

    private ProvisioningJob(Stored s) {
        this.id = s.id();
        this.config = s.config();
        this.revision = s.revision();
        this.createdAt = s.createdAt();
        this.deletionThreshold = s.deletionThreshold();
        this.tokenSetAt = s.tokenSetAt();
        this.tokenExpiryWarned = s.tokenExpiryWarned();
        this.quarantine = s.quarantine();
        this.quarantineLiftedAt = s.quarantineLiftedAt();
        this.nextCycleAt = s.nextCycleAt();
        this.fullCycleRequested = s.fullCycleRequested();
        this.cycleClaimedAt = s.cycleClaimedAt();
        this.lastError = s.lastError();
    }

    /** A job as the store read it. */
    public static ProvisioningJob restore(Stored stored) {
        if (!stored.id().equals(stored.config().jobId())) {
            throw new IllegalStateException("job " + stored.id() + ": its stored configuration names job "
                    + stored.config().jobId());
        }
        return new ProvisioningJob(stored);
    }

    /** What the store keeps of this job now. */
    public Stored stored() {
        return new Stored(id, config, revision, createdAt, deletionThreshold, tokenSetAt, tokenExpiryWarned, quarantine,
                quarantineLiftedAt, nextCycleAt, fullCycleRequested, cycleClaimedAt, lastError);
    }

    /**
     * A new job. Its first cycle is a full one, due now when provisioning is on; the token's age counts from now.
     *
     * @param config the configuration; its revision (1) and time are set here
     * @param deletionThreshold disables + deletes allowed per cycle before they are held; 0 means off
     */
    public static ProvisioningJob create(JobConfig config, int deletionThreshold, Instant now) {
        ProvisioningJob job = new ProvisioningJob(new Stored(config.jobId(), config, 0, now, deletionThreshold, now,
                null, null, null, config.state() == JobState.ACTIVE ? now : null, true, null, null));
        job.config = revised(config, config.state(), 1, now);
        job.configRevised = true;
        job.changed = true;
        return job;
    }

    /**
     * The administrator saved a new configuration. A quarantined job stays quarantined while provisioning is on (only
     * Start, Restart or a success lift it). A change to the mappings, scoping filters or scope makes the next cycle a
     * full one, due now, as Entra starts a new full cycle when they are edited; turning provisioning on runs the next
     * cycle now.
     *
     * @param requested the configuration as the administrator sent it; its revision and time are set here
     * @param deletionThreshold the new threshold, or null to keep the current one
     * @param tokenChanged whether a new secret token was set (its age counts from now)
     */
    public void update(JobConfig requested, Integer deletionThreshold, boolean tokenChanged, Instant now) {
        JobConfig old = config;
        JobState state = requested.state() == JobState.ACTIVE && quarantine != null
                ? JobState.QUARANTINED
                : requested.state();
        revise(requested, state, now);
        if (deletionThreshold != null) {
            this.deletionThreshold = deletionThreshold;
        }
        if (!requested.userMappings().equals(old.userMappings())
                || !requested.userScopingFilters().equals(old.userScopingFilters())
                || requested.scope() != old.scope()) {
            fullCycleRequested = true;
            nextCycleAt = now;
        }
        if (tokenChanged) {
            tokenSetAt = now;
        }
        if (old.state() == JobState.PAUSED && state == JobState.ACTIVE) {
            nextCycleAt = now;
        }
    }

    /** Entra's Start (provisioning on): lifts a quarantine, and the next cycle runs now. */
    public void start(Instant now) {
        lift("the job was started", now);
        changeState(JobState.ACTIVE, now);
        nextCycleAt = now;
        changed = true;
    }

    /** Provisioning off: the running cycle finishes, no new one starts. A quarantine stays until Start or Restart. */
    public void pause(Instant now) {
        changeState(JobState.PAUSED, now);
    }

    /**
     * Entra's Restart: the held deletions were discarded (told to the administrator when there were any), the
     * quarantine is lifted, provisioning is on, and the next cycle is a full one that runs now.
     *
     * @param restartId identifies this restart (the event id of the discarded deletions)
     * @param discardedDeletions how many held deletions were discarded
     */
    public void restart(String restartId, int discardedDeletions, Instant now) {
        if (discardedDeletions > 0) {
            tell(JobStateChange.DELETIONS_RELEASED, "restart/" + restartId, null,
                    discardedDeletions + " held disables and deletes were discarded by a restart of the job.",
                    discardedDeletions, null, now);
        }
        lift("the job was restarted", now);
        changeState(JobState.ACTIVE, now);
        fullCycleRequested = true;
        nextCycleAt = now;
        lastError = null;
        changed = true;
    }

    /** The job is deleted: its tombstone goes to the other services. */
    public void delete() {
        deleted = true;
        changed = true;
    }

    /**
     * The previous cycle is still waiting for results: release the claim without running a cycle, and look again
     * after {@code delay}.
     */
    public void postponeCycle(Duration delay, Instant now) {
        cycleClaimedAt = null;
        nextCycleAt = now.plus(delay);
        changed = true;
    }

    /**
     * A cycle emitted its events and moved the watermark: release the claim and schedule the next cycle, after the
     * job's interval, or by the quarantine schedule while the job is quarantined.
     */
    public void cycleEmitted(Instant now, QuarantineSchedule schedule) {
        cycleClaimedAt = null;
        fullCycleRequested = false;
        lastError = null;
        nextCycleAt = quarantine == null
                ? now.plus(config.cycleInterval())
                : schedule.nextRetry(quarantine.since(), now);
        changed = true;
    }

    /** A cycle failed: release the claim, keep the error for the status, and retry after {@code retryIn}. */
    public void cycleFailed(String error, Duration retryIn, Instant now) {
        cycleClaimedAt = null;
        lastError = error;
        nextCycleAt = now.plus(retryIn);
        changed = true;
    }

    /**
     * Entra's quarantine rules, applied after a result was recorded (also after a redelivered one: they are
     * idempotent).
     * <ul>
     * <li>{@code InvalidCredentials} (Druva answered 401): quarantine at once (TOKEN_REJECTED and
     * QUARANTINE_STARTED);</li>
     * <li>a failure: quarantine for TooManyFailures when the cycle's counts reach {@link QuarantineRules}, unless the
     * cycle started before the last quarantine was lifted (a late or redelivered failure of a cycle already
     * judged);</li>
     * <li>a success: lifts the quarantine when {@link Quarantine#liftedBy} says so (a successful retry).</li>
     * </ul>
     * A quarantine that is already in place for the same reason is not entered again: the administrator is told once
     * on entry, and again only when the reason changes.
     *
     * @param cycle the result's cycle with its counts, when it is known
     * @param schedule when a quarantined job's cycles run
     */
    public void afterResult(ProvisioningResult result, Optional<Cycle> cycle, Instant now,
            QuarantineSchedule schedule) {
        if (ErrorCodes.INVALID_CREDENTIALS.equals(result.errorCode())) {
            enter(QuarantineReason.InvalidCredentials, "Druva rejected the secret token (HTTP 401) for "
                    + result.objectId() + ": generate a new token in Druva, save it on the job, then start or restart "
                    + "it.", result.cycleId() + "/" + result.objectId(), 1, JobStateChange.TOKEN_REJECTED, now,
                    schedule);
        } else if (result.status() == ProvisioningStatus.Failure) {
            if (quarantine == null && cycle.isPresent() && judgedAfterLastLift(cycle.get())) {
                Cycle.Results counts = cycle.get().results();
                QuarantineRules.failureReason(counts.failed(), counts.operations())
                        .ifPresent(reason -> enter(QuarantineReason.TooManyFailures, reason, result.cycleId(),
                                counts.failed(), null, now, schedule));
            }
        } else if (result.status() == ProvisioningStatus.Success && quarantine != null
                && quarantine.liftedBy(result)) {
            lift("a retry succeeded (" + result.objectId() + ")", now);
        }
    }

    private boolean judgedAfterLastLift(Cycle cycle) {
        return quarantineLiftedAt == null || cycle.startedAt().isAfter(quarantineLiftedAt);
    }

    /**
     * Entra's "references" step: a finished cycle changed which users Druva holds for the job, so the job's groups may
     * have members to add or remove now that those users have Druva ids: the next cycle runs now. Only for a job that
     * is on, not quarantined (a quarantined job's cycles stay slowed), and provisions groups.
     *
     * @param provisionsGroups whether the job's snapshot holds groups
     * @return whether the next cycle was brought forward
     */
    public boolean followUp(Cycle finished, boolean provisionsGroups, Instant now) {
        if (!finished.results().managedUsersChanged() || !provisionsGroups || config.state() != JobState.ACTIVE
                || quarantine != null || nextCycleAt == null || !nextCycleAt.isAfter(now)) {
            return false;
        }
        nextCycleAt = now;
        changed = true;
        return true;
    }

    /**
     * An earlier cycle's hold of an object that this cycle holds again.
     *
     * @param cycleId the cycle that first held it
     * @param heldAt when
     */
    public record EarlierHold(String cycleId, Instant heldAt) {
    }

    /**
     * A cycle's disables and deletes exceeded the deletion threshold and are held (Entra's StagedDelete): the
     * administrator is told (DELETIONS_HELD) and the job is quarantined for DeletionThresholdExceeded. A cycle holds
     * before its watermark moves, so a crash makes the next cycle hold the same objects again; such a repeat tells
     * nobody twice:
     * <ul>
     * <li>objects not held before are told by a DELETIONS_HELD of this cycle;</li>
     * <li>objects held before stay with the cycle that first held them; that cycle's DELETIONS_HELD is told again
     * (under its own id, which the notifier dedupes on) unless it surely was told: the job went into this quarantine
     * after that hold, and every hold tells before it quarantines.</li>
     * </ul>
     *
     * @param held how many disables and deletes this cycle holds
     * @param heldBefore one entry per object among them that an earlier cycle already held
     * @return the sentence for the administrator (the StagedDelete log records carry it)
     */
    public String holdDeletions(String cycleId, int held, Collection<EarlierHold> heldBefore, Instant now,
            QuarantineSchedule schedule) {
        String reason = heldReason(held, heldBefore.size());
        Map<String, Long> untold = new TreeMap<>();
        for (EarlierHold earlier : heldBefore) {
            if (!surelyTold(earlier)) {
                untold.merge(earlier.cycleId(), 1L, Long::sum);
            }
        }
        untold.forEach((earlierCycle, count) -> tell(JobStateChange.DELETIONS_HELD, earlierCycle,
                QuarantineReason.DeletionThresholdExceeded.name(), heldReason(count, 0), count, earlierCycle, now));
        int fresh = held - heldBefore.size();
        if (fresh > 0) {
            tell(JobStateChange.DELETIONS_HELD, cycleId, QuarantineReason.DeletionThresholdExceeded.name(), reason,
                    fresh, cycleId, now);
        }
        enter(QuarantineReason.DeletionThresholdExceeded, reason, cycleId, held, null, now, schedule);
        return reason;
    }

    private boolean surelyTold(EarlierHold earlier) {
        return quarantine != null && quarantine.reason() == QuarantineReason.DeletionThresholdExceeded
                && !quarantine.since().isBefore(earlier.heldAt());
    }

    private String heldReason(long held, long heldBefore) {
        return held + " disables and deletes in this cycle exceed the deletion threshold of " + deletionThreshold
                + (heldBefore == 0 ? "" : " (" + heldBefore + " of them were already held)")
                + ": they are held until an administrator allows deletes or restarts the job.";
    }

    /**
     * The administrator allowed the held deletions, which were emitted in the release cycle {@code cycleId}: told
     * (DELETIONS_RELEASED), and a DeletionThresholdExceeded quarantine is lifted.
     */
    public void deletionsReleased(String cycleId, int released, Instant now) {
        tell(JobStateChange.DELETIONS_RELEASED, cycleId, null,
                released + " held disables and deletes were allowed by an administrator.", released, cycleId, now);
        if (quarantine != null && quarantine.reason() == QuarantineReason.DeletionThresholdExceeded) {
            lift("an administrator allowed the held deletions", now);
        }
    }

    /**
     * Tells the administrator once per token (TOKEN_EXPIRING) when the secret token expires within {@code warning}.
     *
     * @param lifetime how long a token is valid after it is set (Druva: 365 days)
     * @return whether it was told now
     */
    public boolean warnTokenExpiry(Duration lifetime, Duration warning, Instant now) {
        if (tokenSetAt == null || tokenSetAt.equals(tokenExpiryWarned)
                || !tokenSetAt.isBefore(now.minus(lifetime).plus(warning))) {
            return false;
        }
        tell(JobStateChange.TOKEN_EXPIRING, String.valueOf(tokenSetAt.toEpochMilli()), "TokenExpiring",
                "The Druva secret token of this job was set on " + LocalDate.ofInstant(tokenSetAt, ZoneOffset.UTC)
                        + " and expires around " + LocalDate.ofInstant(tokenSetAt.plus(lifetime), ZoneOffset.UTC)
                        + ": generate a new token in Druva and save it on the job.",
                0, null, now);
        tokenExpiryWarned = tokenSetAt;
        return true;
    }

    /**
     * Quarantines the job for {@code reason}, unless it already is for that reason: the state becomes QUARANTINED
     * (a paused job stays paused) and the next cycle waits for the quarantine schedule.
     *
     * @param occurrence what identifies this occurrence within the reason: the events' ids end in
     *        {@code <reason>/<occurrence>}
     * @param also another change to tell first (TOKEN_REJECTED), or null
     */
    private void enter(QuarantineReason reason, String detail, String occurrence, long count, JobStateChange also,
            Instant now, QuarantineSchedule schedule) {
        if (quarantine != null && quarantine.reason() == reason) {
            return;
        }
        String key = reason.name() + "/" + occurrence;
        String cycleId = occurrence.contains("/") ? occurrence.substring(0, occurrence.indexOf('/')) : occurrence;
        if (also != null) {
            tell(also, key, reason.name(), detail, count, cycleId, now);
        }
        tell(JobStateChange.QUARANTINE_STARTED, key, reason.name(), detail, count, cycleId, now);
        changeState(config.state() == JobState.PAUSED ? JobState.PAUSED : JobState.QUARANTINED, now);
        quarantine = new Quarantine(reason, detail, now, key);
        Instant retry = schedule.nextRetry(now, now);
        if (nextCycleAt == null || nextCycleAt.isBefore(retry)) {
            nextCycleAt = retry;
        }
        changed = true;
    }

    /** Lifts the quarantine, if any, and brings the next cycle back to the job's own interval. */
    private void lift(String why, Instant now) {
        if (quarantine == null) {
            return;
        }
        tell(JobStateChange.QUARANTINE_LIFTED, quarantine.key(), quarantine.reason().name(),
                "The quarantine was lifted: " + why + ".", 0, null, now);
        if (config.state() == JobState.QUARANTINED) {
            changeState(JobState.ACTIVE, now);
        }
        quarantine = null;
        quarantineLiftedAt = now;
        Instant soon = now.plus(config.cycleInterval());
        if (nextCycleAt == null || nextCycleAt.isAfter(soon)) {
            nextCycleAt = soon;
        }
        changed = true;
    }

    private void changeState(JobState state, Instant now) {
        if (config.state() != state) {
            revise(config, state, now);
        }
    }

    /** The configuration becomes {@code next} in {@code state}: one new revision per unit of work, told once. */
    private void revise(JobConfig next, JobState state, Instant now) {
        config = revised(next, state, configRevised ? config.revision() : config.revision() + 1, now);
        configRevised = true;
        changed = true;
    }

    private static JobConfig revised(JobConfig c, JobState state, long revision, Instant now) {
        return new JobConfig(c.schemaVersion(), c.jobId(), c.name(), state, c.tenantUrl(), c.secretToken(),
                c.notificationEmail(), c.notifyOnFailure(), c.scope(), c.skipNotEffectivelyEntitled(), c.patchDialect(),
                c.actions(), c.skipOutOfScopeDeletions(), c.userMappings(), c.userScopingFilters(), c.source(),
                c.cycleInterval(), revision, now);
    }

    /** A job state event whose id is stable for the occurrence: {@code <jobId>/<change>/<occurrence>}. */
    private void tell(JobStateChange change, String occurrence, String reasonCode, String reason, long count,
            String cycleId, Instant now) {
        stateEvents.add(new JobEvent.StateChanged(new JobStateEvent(JobStateEvent.SCHEMA_VERSION,
                id + "/" + change.name() + "/" + occurrence, id, config.name(), change, reasonCode, reason, count,
                cycleId, now)));
        changed = true;
    }

    /**
     * What this unit of work raised, in order: the job state events, then the configuration's new revision (once, the
     * last one), or the tombstone of a deleted job.
     */
    public List<JobEvent> events() {
        List<JobEvent> events = new ArrayList<>(stateEvents);
        if (deleted) {
            events.add(new JobEvent.Deleted(id));
        } else if (configRevised) {
            events.add(new JobEvent.ConfigurationChanged(config));
        }
        return List.copyOf(events);
    }

    /** Whether anything changed since the job was loaded (else saving it writes nothing). */
    public boolean changed() {
        return changed;
    }

    public boolean deleted() {
        return deleted;
    }

    public String id() {
        return id;
    }

    public JobConfig config() {
        return config;
    }

    public JobState state() {
        return config.state();
    }

    /** The stored row's revision, for the store's optimistic check. */
    public long revision() {
        return revision;
    }

    public int deletionThreshold() {
        return deletionThreshold;
    }

    public Optional<Quarantine> quarantine() {
        return Optional.ofNullable(quarantine);
    }

    public boolean quarantined() {
        return quarantine != null;
    }

    public Instant nextCycleAt() {
        return nextCycleAt;
    }

    public boolean fullCycleRequested() {
        return fullCycleRequested;
    }

    public String lastError() {
        return lastError;
    }

    public Instant tokenSetAt() {
        return tokenSetAt;
    }
}
