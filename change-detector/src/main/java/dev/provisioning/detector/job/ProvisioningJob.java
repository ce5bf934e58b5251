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
    private DeletionThreshold deletionThreshold;
    private Instant tokenSetAt;
    private Instant tokenExpiryWarned;
    private Quarantine quarantine;
    private Instant quarantineLiftedAt;
    private Instant nextCycleAt;
    private boolean fullCycleRequested;
    private Instant cycleClaimedAt;
    private String lastError;
    private long cycleRequests;
    private long fullCycleRequest;
    private String cycleClaim;
    private int failedCycles;

    private final List<JobEvent> stateEvents = new ArrayList<>();
    private boolean changed;
    private boolean configRevised;
    private boolean deleted;
    /** Whether this unit of work lifted a quarantine of unknown reason ({@link #liftUnknownQuarantine}). */
    private boolean unknownQuarantineLifted;

    /**
     * What the store keeps of a job.
     *
     * @param revision the stored row's revision, raised by every save (optimistic locking); the configuration has a
     *        revision of its own, raised by every change to it
     * @param deletionThreshold disables + deletes allowed per cycle (a count and a share) before they are held
     * @param tokenSetAt when the secret token was last set (Druva tokens last a year)
     * @param tokenExpiryWarned the {@code tokenSetAt} whose expiry was announced, else null
     * @param quarantine the quarantine, else null
     * @param quarantineLiftedAt when the last quarantine was lifted, else null
     * @param nextCycleAt when the next cycle is due; null for a job that was never started
     * @param fullCycleRequested whether the next cycle re-evaluates every object
     * @param cycleClaimedAt when the replica running the job's cycle claimed it or last renewed its claim (its
     *        heartbeat), else null
     * @param lastError why the last cycle failed, else null
     * @param cycleRequests how many times a cycle was asked for now (a configuration change, Start, Restart, a
     *        follow-up): a cycle that ends compares it with its {@link Claim} to know whether one came in meanwhile
     * @param fullCycleRequest the {@code cycleRequests} of the latest request for a full cycle
     * @param cycleClaim the claim of the replica running the job's cycle (a random token per claim), else null
     * @param failedCycles how many cycles in a row failed before their events were sent
     */
    public record Stored(String id, JobConfig config, long revision, Instant createdAt,
            DeletionThreshold deletionThreshold, Instant tokenSetAt, Instant tokenExpiryWarned, Quarantine quarantine,
            Instant quarantineLiftedAt, Instant nextCycleAt, boolean fullCycleRequested, Instant cycleClaimedAt,
            String lastError, long cycleRequests, long fullCycleRequest, String cycleClaim, int failedCycles) {
    }

    /**
     * The claim under which a replica runs one cycle of the job, as it was when the job was claimed: the cycle's end
     * ({@link #cycleEmitted}, {@link #cycleFailed}, {@link #postponeCycle}) is recorded only under the same claim, and
     * what was requested while it ran is kept.
     *
     * @param token the claim's token
     * @param cycleRequests the job's {@code cycleRequests} when it was claimed
     * @param full whether the cycle is a full one
     */
    public record Claim(String token, long cycleRequests, boolean full) {
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
        this.cycleRequests = s.cycleRequests();
        this.fullCycleRequest = s.fullCycleRequest();
        this.cycleClaim = s.cycleClaim();
        this.failedCycles = s.failedCycles();
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
                quarantineLiftedAt, nextCycleAt, fullCycleRequested, cycleClaimedAt, lastError, cycleRequests,
                fullCycleRequest, cycleClaim, failedCycles);
    }

    /**
     * A new job. Its first cycle is a full one, due now when provisioning is on; the token's age counts from now.
     *
     * @param config the configuration; its revision (1) and time are set here
     * @param deletionThreshold disables + deletes allowed per cycle before they are held ({@link
     *        DeletionThreshold#of} gives the defaults for what a request leaves out)
     */
    public static ProvisioningJob create(JobConfig config, DeletionThreshold deletionThreshold, Instant now) {
        ProvisioningJob job = new ProvisioningJob(new Stored(config.jobId(), config, 0, now, deletionThreshold, now,
                null, null, null, config.state() == JobState.ACTIVE ? now : null, true, null, null, 0, 0, null, 0));
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
     * @param thresholdCount the new deletion threshold (a count), or null to keep the current one
     * @param thresholdPercent the new deletion threshold share, or null to keep the current one
     * @param tokenChanged whether a new secret token was set (its age counts from now)
     */
    public void update(JobConfig requested, Integer thresholdCount, Integer thresholdPercent, boolean tokenChanged,
            Instant now) {
        JobConfig old = config;
        JobState state = requested.state() == JobState.ACTIVE && quarantine != null
                ? JobState.QUARANTINED
                : requested.state();
        revise(requested, state, now);
        this.deletionThreshold = deletionThreshold.with(thresholdCount, thresholdPercent);
        if (!requested.userMappings().equals(old.userMappings())
                || !requested.userScopingFilters().equals(old.userScopingFilters())
                || requested.scope() != old.scope()) {
            requestCycle(true, now);
        }
        if (tokenChanged) {
            tokenSetAt = now;
        }
        if (old.state() == JobState.PAUSED && state == JobState.ACTIVE) {
            requestCycle(false, now);
        }
    }

    /**
     * The administrator replaced the configuration of a job whose stored row could not be read (the store restored it
     * around the replacement: {@code JobStore.repair}): saved as {@link #update} saves a configuration, with the
     * secret token the repair carries (its age counts from now), and the next cycle is a full one, due now, since what
     * the unreadable configuration mapped and scoped is not known.
     *
     * @param requested the whole configuration the administrator sent; its revision and time are set here
     * @param thresholdCount the new deletion threshold (a count), or null to keep the row's
     * @param thresholdPercent the new deletion threshold share, or null to keep the row's
     */
    public void repair(JobConfig requested, Integer thresholdCount, Integer thresholdPercent, Instant now) {
        update(requested, thresholdCount, thresholdPercent, true, now);
        requestCycle(true, now);
    }

    /**
     * A cycle is asked for now (a full one when {@code full}). Counted, so that a cycle running meanwhile does not
     * clear the request when it ends: its end keeps what was asked while it ran.
     */
    private void requestCycle(boolean full, Instant now) {
        cycleRequests++;
        if (full) {
            fullCycleRequested = true;
            fullCycleRequest = cycleRequests;
        }
        if (nextCycleAt == null || nextCycleAt.isAfter(now)) {
            nextCycleAt = now;
        }
        changed = true;
    }

    /** Entra's Start (provisioning on): lifts a quarantine, and the next cycle runs now. */
    public void start(Instant now) {
        lift("the job was started", now);
        changeState(JobState.ACTIVE, now);
        failedCycles = 0;
        requestCycle(false, now);
    }

    /** Provisioning off: the running cycle finishes, no new one starts. A quarantine stays until Start or Restart. */
    public void pause(Instant now) {
        changeState(JobState.PAUSED, now);
    }

    /**
     * Entra's Restart: the held deletions were discarded (told to the administrator when there were any), the
     * quarantine is lifted, provisioning is on, and the next cycle runs now: a full one when the restart forgot the
     * watermark (reset scope Full or Watermark) or discarded held deletions (their objects must be judged again), else
     * an incremental one (reset scope Escrows or QuarantineState alone keeps the watermark, as Entra's).
     *
     * @param restartId identifies this restart (the event id of the discarded deletions)
     * @param discardedDeletions how many held deletions were discarded
     * @param watermarkForgotten whether the restart cleared the snapshot (Full or Watermark)
     */
    public void restart(String restartId, int discardedDeletions, boolean watermarkForgotten, Instant now) {
        if (discardedDeletions > 0) {
            tell(JobStateChange.DELETIONS_RELEASED, "restart/" + restartId, null,
                    discardedDeletions + " held disables and deletes were discarded by a restart of the job.",
                    discardedDeletions, null, now);
        }
        lift("the job was restarted", now);
        changeState(JobState.ACTIVE, now);
        lastError = null;
        failedCycles = 0;
        requestCycle(watermarkForgotten || discardedDeletions > 0, now);
    }

    /** The job is deleted: its tombstone goes to the other services. */
    public void delete() {
        deleted = true;
        changed = true;
    }

    /**
     * Whether a replica may claim the job to run its cycle now: provisioning is on (or the job is quarantined, whose
     * cycles follow the quarantine schedule), the cycle is due, and nobody holds a live claim. A claim lives while its
     * replica renews it (the heartbeat of a running cycle, every third of the lease); one not renewed for longer than
     * {@code lease} belongs to a replica that died, and is taken over, so a cycle interrupted by a crash resumes within
     * the lease (plus a scheduler tick) of the death, not at the next interval. {@code JobStore.claimDue} states the
     * same rule in SQL, atomically.
     */
    public boolean claimable(Instant now, Duration lease) {
        return (config.state() == JobState.ACTIVE || config.state() == JobState.QUARANTINED) && nextCycleAt != null
                && !nextCycleAt.isAfter(now)
                && (cycleClaimedAt == null || cycleClaimedAt.isBefore(now.minus(lease)));
    }

    /**
     * Claims the job for one cycle (the store does it in SQL; this is the same change, for the rule's tests).
     *
     * @param token the new claim's token
     */
    public Claim claim(String token, Instant now) {
        cycleClaim = token;
        cycleClaimedAt = now;
        changed = true;
        return claim().orElseThrow();
    }

    /** The claim of the cycle running now, if any. */
    public Optional<Claim> claim() {
        return cycleClaim == null
                ? Optional.empty()
                : Optional.of(new Claim(cycleClaim, cycleRequests, fullCycleRequested));
    }

    /** Whether {@code claim} is still the job's: another replica took it over when not. */
    private boolean holds(Claim claim) {
        return claim.token().equals(cycleClaim);
    }

    private void release() {
        cycleClaim = null;
        cycleClaimedAt = null;
        changed = true;
    }

    /**
     * The previous cycle is still waiting for results: release the claim without running a cycle, and look again
     * after {@code delay}. Nothing, under a claim that was taken over.
     */
    public void postponeCycle(Claim claim, Duration delay, Instant now) {
        if (!holds(claim)) {
            return;
        }
        release();
        nextCycleAt = now.plus(delay);
    }

    /**
     * The cycle stopped with the detector before it emitted all its events: release the claim and leave the cycle due,
     * so that the next start, or another replica, runs it at once instead of after the lease (it repeats what this one
     * did: the snapshot did not move). Nothing, under a claim that was taken over.
     */
    public void cycleInterrupted(Claim claim) {
        if (holds(claim)) {
            release();
        }
    }

    /**
     * The job's previous cycle finished (all its results are in). A next cycle that was postponed while it waited for
     * them ({@link #postponeCycle}: due at most {@code tick} from now) is due now, so that it starts when the previous
     * one completes instead of at a later scheduler tick; a next cycle due later (the job's interval) stays where it is.
     * Nothing for a job that is not on, is quarantined, or whose cycle is claimed.
     *
     * @param tick the scheduler's tick, the delay of a postponement
     * @return whether the job's next cycle is due now (the caller looks for due cycles at once)
     */
    public boolean previousCycleFinished(Duration tick, Instant now) {
        if (config.state() != JobState.ACTIVE || quarantine != null || nextCycleAt == null || cycleClaim != null) {
            return false;
        }
        if (nextCycleAt.isAfter(now.plus(tick))) {
            return false;
        }
        if (nextCycleAt.isAfter(now)) {
            nextCycleAt = now;
            changed = true;
        }
        return true;
    }

    /**
     * A cycle emitted its events and moved the watermark: release the claim and schedule the next cycle, after the
     * job's interval, or by the quarantine schedule while the job is quarantined. What was asked while the cycle ran
     * is kept: a full cycle requested by a configuration change stays requested, and a cycle asked for now (a
     * follow-up whose results came in before this) stays due now. A successful cycle ends a quarantine for failing
     * cycles ({@link QuarantineReason#EncounteredQuarantineException}), as Entra lifts one when the next cycle
     * succeeds.
     *
     * @return false when the claim was taken over (nothing is changed: the new owner's cycle decides)
     */
    public boolean cycleEmitted(Claim claim, Instant now, QuarantineSchedule schedule) {
        if (!holds(claim)) {
            return false;
        }
        release();
        lastError = null;
        failedCycles = 0;
        if (quarantine != null && quarantine.reason() == QuarantineReason.EncounteredQuarantineException) {
            lift("a cycle succeeded", now);
        }
        if (fullCycleRequested && fullCycleRequest <= claim.cycleRequests()) {
            fullCycleRequested = false;
        }
        if (cycleRequests == claim.cycleRequests()) {
            nextCycleAt = quarantine == null
                    ? now.plus(config.cycleInterval())
                    : schedule.nextRetry(quarantine.since(), now);
        }
        return true;
    }

    /**
     * A cycle failed before its events were sent: release the claim, keep the error for the status, and try again
     * after {@code retryIn}, doubled for each further failure in a row (at most the job's interval). After
     * {@code quarantineAfter} failed cycles in a row the job is quarantined
     * ({@link QuarantineReason#EncounteredQuarantineException}, told once) and its cycles follow the quarantine
     * schedule: a job whose cycles keep failing does not stay ACTIVE with only an error to show.
     *
     * @param quarantineAfter failed cycles in a row that quarantine the job; 0 never
     * @return false when the claim was taken over (nothing is changed)
     */
    public boolean cycleFailed(Claim claim, String cycleId, String error, Duration retryIn, int quarantineAfter,
            Instant now, QuarantineSchedule schedule) {
        if (!holds(claim)) {
            return false;
        }
        release();
        lastError = error;
        failedCycles++;
        if (quarantineAfter > 0 && failedCycles >= quarantineAfter && quarantine == null) {
            enter(QuarantineReason.EncounteredQuarantineException, failedCycles + " cycles in a row failed before "
                    + "sending anything; the last one: " + error + ". The job is quarantined and runs on the "
                    + "quarantine schedule; fix the cause, then start or restart it.", cycleId, failedCycles, null,
                    now, schedule);
        }
        if (cycleRequests == claim.cycleRequests()) {
            nextCycleAt = quarantine == null
                    ? now.plus(backoff(retryIn, failedCycles))
                    : schedule.nextRetry(quarantine.since(), now);
        }
        return true;
    }

    private Duration backoff(Duration retryIn, int failures) {
        Duration cap = retryIn.compareTo(config.cycleInterval()) > 0 ? retryIn : config.cycleInterval();
        Duration wait = retryIn.multipliedBy(1L << Math.min(failures - 1, 20));
        return wait.compareTo(cap) > 0 ? cap : wait;
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
        return finished.results().managedUsersChanged() && referencesChanged(provisionsGroups, now);
    }

    /**
     * The users Druva holds for the job changed outside a cycle (an escrowed create or delete whose retry succeeded):
     * the groups' members follow in a cycle that runs now, as after {@link #followUp}.
     *
     * @return whether a cycle was asked for
     */
    public boolean referencesChanged(boolean provisionsGroups, Instant now) {
        // also while a cycle runs: that cycle's end then keeps this request (it may have read the source before
        // these users had their Druva ids)
        return provisionsGroups && bringCycleForward(now);
    }

    /**
     * The job's directory file changed (a replica's watch saw another size, modification time or file, the same on two
     * looks in a row): the next cycle runs now instead of at the end of the interval, which stays the upper bound.
     * Only for a job that is on and not quarantined (a quarantined job's cycles stay slowed; a paused one runs none),
     * and whose next cycle is not already due: a change seen again (by another replica) then changes nothing and
     * writes nothing. A change seen while a cycle runs (it may have read the file before the change) makes the next
     * cycle run as soon as that one ends: cycles never overlap.
     *
     * @return whether the next cycle was brought forward (or asked for after the running one)
     */
    public boolean sourceChanged(Instant now) {
        return bringCycleForward(now);
    }

    /**
     * Asks for an incremental cycle now, unless the job is off or quarantined, or its next cycle is due and not running
     * yet (the next tick runs it). While a cycle runs, its end keeps the request ({@link #cycleEmitted}).
     */
    private boolean bringCycleForward(Instant now) {
        if (config.state() != JobState.ACTIVE || quarantine != null || nextCycleAt == null) {
            return false;
        }
        if (cycleClaim == null && !nextCycleAt.isAfter(now)) {
            return false;
        }
        requestCycle(false, now);
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
     * @param why which limit they tripped ({@link DeletionThreshold#tripped})
     * @param heldBefore one entry per object among them that an earlier cycle already held
     * @return the sentence for the administrator (the StagedDelete log records carry it)
     */
    public String holdDeletions(String cycleId, int held, String why, Collection<EarlierHold> heldBefore,
            Instant now, QuarantineSchedule schedule) {
        String reason = heldReason(why, heldBefore.size());
        Map<String, Long> untold = new TreeMap<>();
        for (EarlierHold earlier : heldBefore) {
            if (!surelyTold(earlier)) {
                untold.merge(earlier.cycleId(), 1L, Long::sum);
            }
        }
        untold.forEach((earlierCycle, count) -> tell(JobStateChange.DELETIONS_HELD, earlierCycle,
                QuarantineReason.DeletionThresholdExceeded.name(),
                heldReason(count + " disables and deletes of cycle " + earlierCycle + " exceeded the deletion "
                        + "threshold", 0),
                count, earlierCycle, now));
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

    private static String heldReason(String why, long heldBefore) {
        return why + (heldBefore == 0 ? "" : " (" + heldBefore + " of them were already held)")
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
        lifted(quarantine.key(), quarantine.reason().name(), why, now);
    }

    /**
     * The store repaired the job's row ({@code JobStore.repair}) and could not keep its quarantine, whose reason this
     * version does not know: it is lifted as Start or Restart lift one, and the administrator is told with the same
     * QUARANTINE_LIFTED notice, its reason as stored (the notifier, which may know it, forgets the quarantine, so a
     * later one for the same reason is emailed again): the state QUARANTINED becomes ACTIVE (PAUSED stays PAUSED), the
     * quarantine is cleared and its lift time set to {@code now}, and the next cycle is due within the job's own
     * interval. Told once: nothing happens when the row had no quarantine ({@code reasonCode} null, as the row of a
     * job whose unknown quarantine an earlier repair lifted), when the job holds its quarantine (its reason is one
     * this version knows, so the store kept it), or when this unit of work already lifted it.
     *
     * @param reasonCode the quarantine's reason as stored, or null when the row has none
     * @param key the quarantine's stored key (the occurrence its QUARANTINE_STARTED event named); null for a row
     *        without one, then {@code <reasonCode>/revision-<the row's revision>}
     * @return whether the quarantine was lifted (a QUARANTINE_LIFTED event raised)
     */
    public boolean liftUnknownQuarantine(String reasonCode, String key, Instant now) {
        if (reasonCode == null || quarantine != null || unknownQuarantineLifted) {
            return false;
        }
        unknownQuarantineLifted = true;
        lifted(key != null ? key : reasonCode + "/revision-" + revision, reasonCode,
                "the job's stored row was repaired, and this version does not know its quarantine reason", now);
        return true;
    }

    /** The quarantine ({@code key}, {@code reasonCode}) is lifted; the next cycle back to the job's own interval. */
    private void lifted(String key, String reasonCode, String why, Instant now) {
        tell(JobStateChange.QUARANTINE_LIFTED, key, reasonCode, "The quarantine was lifted: " + why + ".", 0, null,
                now);
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

    public DeletionThreshold deletionThreshold() {
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

    /** How many cycles in a row failed before sending anything. */
    public int failedCycles() {
        return failedCycles;
    }

    public Instant tokenSetAt() {
        return tokenSetAt;
    }
}
