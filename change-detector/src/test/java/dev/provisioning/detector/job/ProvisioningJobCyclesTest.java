package dev.provisioning.detector.job;

import static dev.provisioning.detector.job.ProvisioningJobTest.DAILY;
import static dev.provisioning.detector.job.ProvisioningJobTest.INTERVAL;
import static dev.provisioning.detector.job.ProvisioningJobTest.OFF;
import static dev.provisioning.detector.job.ProvisioningJobTest.T0;
import static dev.provisioning.detector.job.ProvisioningJobTest.config;
import static dev.provisioning.detector.job.ProvisioningJobTest.saved;
import static dev.provisioning.detector.job.ProvisioningJobTest.states;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.ProvisioningScope;

/**
 * The provisioning job's rules for running its cycles (issue 12), in plain JUnit: what a cycle's end keeps of what was
 * asked while it ran, the claim a crashed replica leaves, and quarantine after failed cycles in a row.
 */
class ProvisioningJobCyclesTest {

    static final Duration LEASE = Duration.ofSeconds(30);
    static final Duration RETRY = Duration.ofMinutes(1);

    /** A job whose first cycle ran; it is claimed now for its next one at {@code at}. */
    static ProvisioningJob claimedAfterFirstCycle(Instant at) {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));
        job.cycleEmitted(job.claim("first", T0), T0.plusSeconds(1), DAILY);
        job = saved(job);
        job.claim("second", at);
        return saved(job);
    }

    @Test
    void aFullCycleRequestedByAConfigurationChangeWhileACycleRunsIsNotClearedByThatCyclesEnd() {
        Instant claimedAt = T0.plus(INTERVAL).plusSeconds(1);
        ProvisioningJob claimed = claimedAfterFirstCycle(claimedAt);
        ProvisioningJob.Claim claim = claimed.claim().orElseThrow();
        assertThat(claim.full()).as("an incremental cycle").isFalse();

        // while it reads the source, the administrator changes the scope: a full cycle is requested, now
        ProvisioningJob changed = saved(claimed);
        changed.update(new JobConfig(1, "job-1", "Druva", JobState.ACTIVE, "https://druva.test/scim",
                ProvisioningJobTest.TOKEN, null, false, ProvisioningScope.ALL, true, null, null, false, null, null,
                ProvisioningJobTest.SOURCE, INTERVAL, 0, null), null, null, false, claimedAt.plusSeconds(2));
        ProvisioningJob ending = saved(changed);

        // the incremental cycle ends: the full one stays requested, and due now
        assertThat(ending.cycleEmitted(claim, claimedAt.plusSeconds(5), DAILY)).isTrue();
        assertThat(ending.fullCycleRequested()).isTrue();
        assertThat(ending.nextCycleAt()).isBeforeOrEqualTo(claimedAt.plusSeconds(2));
        assertThat(ending.claim()).isEmpty();

        // the full cycle that follows clears it, and the next one is after the interval again
        ProvisioningJob next = saved(ending);
        ProvisioningJob.Claim full = next.claim("third", claimedAt.plusSeconds(6));
        assertThat(full.full()).isTrue();
        next = saved(next);
        next.cycleEmitted(full, claimedAt.plusSeconds(9), DAILY);
        assertThat(next.fullCycleRequested()).isFalse();
        assertThat(next.nextCycleAt()).isEqualTo(claimedAt.plusSeconds(9).plus(INTERVAL));
    }

    @Test
    void aFollowUpAskedForBetweenTheCycleEmittedAndItsScheduleBeingSavedIsNotLost() {
        Instant claimedAt = T0.plus(INTERVAL).plusSeconds(1);
        ProvisioningJob claimed = claimedAfterFirstCycle(claimedAt);
        ProvisioningJob.Claim claim = claimed.claim().orElseThrow();
        Cycle completed = new Cycle("c2", "job-1", false, Cycle.Stage.EMITTED, claimedAt, claimedAt.plusSeconds(3), 2,
                new Cycle.Results(2, 2, 0, true), null, null, 0);

        // the cycle's events are on Kafka and its last result completes it before the runner saves the schedule:
        // the results consumer asks for the references cycle on the job that is still claimed (due in the past)
        ProvisioningJob resulted = saved(claimed);
        assertThat(resulted.followUp(completed, true, claimedAt.plusSeconds(4))).isTrue();
        ProvisioningJob ending = saved(resulted);

        // then the runner records the end of the cycle: the follow-up stays due now
        ending.cycleEmitted(claim, claimedAt.plusSeconds(5), DAILY);
        assertThat(ending.nextCycleAt()).isBeforeOrEqualTo(claimedAt.plusSeconds(4));
        assertThat(ending.claimable(claimedAt.plusSeconds(6), LEASE)).isTrue();

        // without anything asked meanwhile, the next cycle is after the interval
        ProvisioningJob quiet = claimedAfterFirstCycle(claimedAt);
        quiet.cycleEmitted(quiet.claim().orElseThrow(), claimedAt.plusSeconds(5), DAILY);
        assertThat(quiet.nextCycleAt()).isEqualTo(claimedAt.plusSeconds(5).plus(INTERVAL));
    }

    @Test
    void aClaimIsTakenOverOnlyOnceItsHeartbeatStoppedForTheLeaseSoACrashedCycleResumesWithinAMinute() {
        Instant claimedAt = T0.plus(INTERVAL).plusSeconds(1);
        ProvisioningJob claimed = claimedAfterFirstCycle(claimedAt);

        // the running cycle renews its claim every third of the lease: never claimable while it does
        assertThat(claimed.claimable(claimedAt.plus(LEASE).minusSeconds(1), LEASE)).isFalse();
        // its replica died right after claiming (no renewal): the claim is taken over after the lease, not at the
        // next interval, and well within a minute of the death
        Instant takeover = claimedAt.plus(LEASE).plusMillis(1);
        assertThat(claimed.claimable(takeover, LEASE)).isTrue();
        assertThat(Duration.between(claimedAt, takeover)).isLessThan(Duration.ofMinutes(1));

        // the new owner's cycle runs; the old claim ends nothing (a stalled replica that wakes up changes nothing)
        ProvisioningJob.Claim stale = claimed.claim().orElseThrow();
        ProvisioningJob takenOver = saved(claimed);
        ProvisioningJob.Claim fresh = takenOver.claim("after-crash", takeover);
        ProvisioningJob stalled = saved(takenOver);
        assertThat(stalled.cycleEmitted(stale, takeover.plusSeconds(1), DAILY)).isFalse();
        assertThat(stalled.changed()).isFalse();
        assertThat(stalled.cycleEmitted(fresh, takeover.plusSeconds(2), DAILY)).isTrue();

        // a paused job, or one that is not due, is never claimed
        ProvisioningJob paused = saved(ProvisioningJob.create(config(JobState.PAUSED), OFF, T0));
        assertThat(paused.claimable(T0.plus(Duration.ofDays(1)), LEASE)).isFalse();
        ProvisioningJob notDue = saved(stalled);
        assertThat(notDue.claimable(takeover.plusSeconds(3), LEASE)).isFalse();
    }

    @Test
    void cyclesThatKeepFailingQuarantineTheJobWithAReasonToldOnceAndASuccessfulCycleLiftsIt() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));
        Instant at = T0;
        for (int i = 1; i <= 2; i++) {
            job.cycleFailed(job.claim("c" + i, at), "c" + i, "directory file d.json does not exist", RETRY, 3,
                    at.plusSeconds(1), DAILY);
            job = saved(job);
            assertThat(job.state()).isEqualTo(JobState.ACTIVE);
            assertThat(job.lastError()).contains("does not exist");
            // tried again after the retry delay, doubled for each failure in a row
            assertThat(job.nextCycleAt()).isEqualTo(at.plusSeconds(1).plus(RETRY.multipliedBy(1L << (i - 1))));
            at = job.nextCycleAt();
        }

        job.cycleFailed(job.claim("c3", at), "c3", "directory file d.json does not exist", RETRY, 3,
                at.plusSeconds(1), DAILY);

        assertThat(job.state()).isEqualTo(JobState.QUARANTINED);
        assertThat(job.quarantine()).hasValueSatisfying(q -> {
            assertThat(q.reason()).isEqualTo(QuarantineReason.EncounteredQuarantineException);
            assertThat(q.detail()).contains("3 cycles in a row failed", "does not exist");
        });
        assertThat(states(job)).extracting(JobStateEvent::change).containsExactly(JobStateChange.QUARANTINE_STARTED);
        assertThat(states(job).get(0).eventId())
                .isEqualTo("job-1/QUARANTINE_STARTED/EncounteredQuarantineException/c3");
        // cycles follow the quarantine schedule
        assertThat(job.nextCycleAt()).isEqualTo(at.plusSeconds(1).plus(Duration.ofDays(1)));

        // a fourth failure tells nobody again
        ProvisioningJob again = saved(job);
        again.cycleFailed(again.claim("c4", job.nextCycleAt()), "c4", "still missing", RETRY, 3,
                job.nextCycleAt().plusSeconds(1), DAILY);
        assertThat(states(again)).isEmpty();
        assertThat(again.quarantined()).isTrue();

        // the next cycle that succeeds lifts it
        ProvisioningJob fixed = saved(again);
        Instant later = again.nextCycleAt();
        fixed.cycleEmitted(fixed.claim("c5", later), later.plusSeconds(1), DAILY);
        assertThat(fixed.quarantined()).isFalse();
        assertThat(fixed.state()).isEqualTo(JobState.ACTIVE);
        assertThat(fixed.failedCycles()).isZero();
        assertThat(states(fixed)).extracting(JobStateEvent::change).containsExactly(JobStateChange.QUARANTINE_LIFTED);
        assertThat(fixed.nextCycleAt()).isEqualTo(later.plusSeconds(1).plus(INTERVAL));
    }

    @Test
    void aSuccessfulCycleBetweenFailuresStartsTheCountAgain() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));
        job.cycleFailed(job.claim("c1", T0), "c1", "x", RETRY, 2, T0.plusSeconds(1), DAILY);
        job = saved(job);
        job.cycleEmitted(job.claim("c2", T0.plusSeconds(61)), T0.plusSeconds(62), DAILY);
        job = saved(job);
        job.cycleFailed(job.claim("c3", T0.plus(INTERVAL)), "c3", "x", RETRY, 2, T0.plus(INTERVAL).plusSeconds(1),
                DAILY);

        assertThat(job.quarantined()).isFalse();
        assertThat(job.failedCycles()).isEqualTo(1);
    }

    /** A job whose first cycle ended at T0 + 1 s: its next one is due an interval later. */
    static ProvisioningJob afterFirstCycle(JobState state) {
        ProvisioningJob job = saved(ProvisioningJob.create(config(state), OFF, T0));
        job.cycleEmitted(job.claim("first", T0), T0.plusSeconds(1), DAILY);
        return saved(job);
    }

    @Test
    void aChangedDirectoryFileBringsTheNextCycleForwardOnceAndTheIntervalStaysTheUpperBound() {
        ProvisioningJob job = afterFirstCycle(JobState.ACTIVE);
        Instant seen = T0.plusSeconds(10);
        assertThat(job.nextCycleAt()).as("due after the interval").isAfter(seen);

        assertThat(job.sourceChanged(seen)).isTrue();
        assertThat(job.changed()).isTrue();
        assertThat(job.nextCycleAt()).isEqualTo(seen);
        assertThat(job.fullCycleRequested()).as("an incremental cycle").isFalse();
        assertThat(job.claimable(seen, LEASE)).isTrue();
        assertThat(job.events()).as("nothing to tell").isEmpty();

        // the same change seen again (another replica's watch) before the cycle starts: nothing, nothing written
        ProvisioningJob again = saved(job);
        assertThat(again.sourceChanged(seen.plusMillis(400))).isFalse();
        assertThat(again.changed()).isFalse();
        assertThat(again.nextCycleAt()).isEqualTo(seen);

        // that cycle ends: the next one is an interval later again
        ProvisioningJob.Claim claim = again.claim("second", seen.plusMillis(500));
        ProvisioningJob ending = saved(again);
        ending.cycleEmitted(claim, seen.plusSeconds(2), DAILY);
        assertThat(ending.nextCycleAt()).isEqualTo(seen.plusSeconds(2).plus(INTERVAL));
    }

    @Test
    void aChangeSeenWhileACycleRunsMakesTheNextCycleRunAsSoonAsItEnds() {
        Instant claimedAt = T0.plus(INTERVAL).plusSeconds(1);
        ProvisioningJob claimed = claimedAfterFirstCycle(claimedAt);
        ProvisioningJob.Claim claim = claimed.claim().orElseThrow();

        // the running cycle may have read the file before the change: the change is kept for after it
        assertThat(claimed.sourceChanged(claimedAt.plusSeconds(1))).isTrue();
        assertThat(claimed.claimable(claimedAt.plusSeconds(1), LEASE)).as("cycles never overlap").isFalse();
        ProvisioningJob ending = saved(claimed);
        assertThat(ending.cycleEmitted(claim, claimedAt.plusSeconds(3), DAILY)).isTrue();
        assertThat(ending.nextCycleAt()).isBeforeOrEqualTo(claimedAt.plusSeconds(3));
        assertThat(ending.claimable(claimedAt.plusSeconds(3), LEASE)).isTrue();
        assertThat(ending.fullCycleRequested()).isFalse();
    }

    @Test
    void aChangedFileDoesNotBringForwardTheCycleOfAPausedOrQuarantinedJobNorOneAlreadyDue() {
        Instant seen = T0.plusSeconds(10);

        ProvisioningJob paused = afterFirstCycle(JobState.ACTIVE);
        paused.pause(T0.plusSeconds(2));
        paused = saved(paused);
        Instant pausedNext = paused.nextCycleAt();
        assertThat(paused.sourceChanged(seen)).isFalse();
        assertThat(paused.changed()).isFalse();
        assertThat(paused.nextCycleAt()).isEqualTo(pausedNext);
        assertThat(paused.claimable(seen, LEASE)).isFalse();

        // a quarantined job's cycles stay on the quarantine schedule
        ProvisioningJob quarantined = ProvisioningJobTest.quarantinedForFailures();
        Instant retry = quarantined.nextCycleAt();
        assertThat(retry).isAfter(seen);
        assertThat(quarantined.sourceChanged(seen)).isFalse();
        assertThat(quarantined.changed()).isFalse();
        assertThat(quarantined.nextCycleAt()).isEqualTo(retry);

        // due now and not running: the next tick runs it, nothing to write
        ProvisioningJob due = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));
        assertThat(due.sourceChanged(T0.plusSeconds(1))).isFalse();
        assertThat(due.changed()).isFalse();
        assertThat(due.nextCycleAt()).isEqualTo(T0);

        // a job that was never started has no schedule to bring forward
        ProvisioningJob neverStarted = saved(ProvisioningJob.create(config(JobState.PAUSED), OFF, T0));
        assertThat(neverStarted.sourceChanged(seen)).isFalse();
        assertThat(neverStarted.nextCycleAt()).isNull();
    }

    /**
     * A cycle claimed while the previous one waits for its results is postponed by one scheduler tick; when the
     * previous one finishes, that cycle is due at once. A next cycle due after the job's interval is not moved, and a
     * paused job's is not either.
     */
    @Test
    void aCyclePostponedForThePreviousOnesResultsIsDueWhenThePreviousFinishes() {
        Duration tick = Duration.ofSeconds(1);
        ProvisioningJob job = afterFirstCycle(JobState.ACTIVE);
        Instant seen = T0.plusSeconds(10);
        job.sourceChanged(seen);
        ProvisioningJob claimed = saved(job);
        ProvisioningJob.Claim claim = claimed.claim("second", seen.plusMillis(100));
        ProvisioningJob postponed = saved(claimed);
        postponed.postponeCycle(claim, tick, seen.plusMillis(200));
        assertThat(postponed.nextCycleAt()).isEqualTo(seen.plusMillis(1200));

        ProvisioningJob finishing = saved(postponed);
        Instant finished = seen.plusMillis(500);
        assertThat(finishing.previousCycleFinished(tick, finished)).isTrue();
        assertThat(finishing.changed()).isTrue();
        assertThat(finishing.nextCycleAt()).isEqualTo(finished);
        assertThat(finishing.claimable(finished, LEASE)).isTrue();

        // due after the interval: left where it is
        ProvisioningJob quiet = afterFirstCycle(JobState.ACTIVE);
        Instant next = quiet.nextCycleAt();
        assertThat(quiet.previousCycleFinished(tick, T0.plusSeconds(10))).isFalse();
        assertThat(quiet.changed()).isFalse();
        assertThat(quiet.nextCycleAt()).isEqualTo(next);

        // a paused job runs no cycle
        ProvisioningJob paused = afterFirstCycle(JobState.PAUSED);
        assertThat(paused.previousCycleFinished(tick, paused.nextCycleAt() == null ? T0 : paused.nextCycleAt()))
                .isFalse();
    }
}
