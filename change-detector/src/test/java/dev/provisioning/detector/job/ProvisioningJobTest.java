package dev.provisioning.detector.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.SourceConfig;

/**
 * The provisioning job's rules, each once, in plain JUnit: quarantine entry and lift, held deletions, the follow-up
 * cycle, the token expiry warning, the schedule and configuration revisions. Completeness is {@link CycleTest}'s, the
 * failure thresholds {@link QuarantineRulesTest}'s, the threshold split {@link DeletionGuardTest}'s.
 */
class ProvisioningJobTest {

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final Duration INTERVAL = Duration.ofMinutes(40);
    static final QuarantineSchedule DAILY = QuarantineSchedule.every(Duration.ofDays(1));
    static final DeletionThreshold OFF = new DeletionThreshold(0, 0);

    @Test
    void aRejectedTokenQuarantinesAtOnceAndIsToldOnce() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));

        job.afterResult(result("c1", "u1", ProvisioningStatus.Failure, ErrorCodes.INVALID_CREDENTIALS, T0), none(),
                T0.plusSeconds(1), DAILY);

        assertThat(job.state()).isEqualTo(JobState.QUARANTINED);
        assertThat(job.quarantine()).hasValueSatisfying(q -> {
            assertThat(q.reason()).isEqualTo(QuarantineReason.InvalidCredentials);
            assertThat(q.detail()).contains("401", "u1");
        });
        // cycles slow down to the quarantine schedule
        assertThat(job.nextCycleAt()).isEqualTo(T0.plusSeconds(1).plus(Duration.ofDays(1)));
        assertThat(states(job)).extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.TOKEN_REJECTED, JobStateChange.QUARANTINE_STARTED);
        assertThat(states(job)).extracting(JobStateEvent::eventId).containsExactly(
                "job-1/TOKEN_REJECTED/InvalidCredentials/c1/u1", "job-1/QUARANTINE_STARTED/InvalidCredentials/c1/u1");
        // the other services hear of the new state after the events, in one new revision
        assertThat(job.events().get(job.events().size() - 1))
                .isEqualTo(new JobEvent.ConfigurationChanged(job.config()));
        assertThat(job.config().revision()).isEqualTo(2);

        ProvisioningJob again = saved(job);
        again.afterResult(result("c1", "u2", ProvisioningStatus.Failure, ErrorCodes.INVALID_CREDENTIALS, T0), none(),
                T0.plusSeconds(2), DAILY);
        assertThat(again.changed()).isFalse();
        assertThat(again.events()).isEmpty();
    }

    @Test
    void failuresQuarantineWhenTheirCycleReachesTheThresholdsUnlessTheCycleWasJudgedBeforeTheLastLift() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));
        Cycle under = cycle("c1", T0, 5_000, 12_500);
        job.afterResult(result("c1", "u1", ProvisioningStatus.Failure, "EntryConflict", T0), Optional.of(under),
                T0.plusSeconds(1), DAILY);
        assertThat(job.changed()).isFalse();

        Cycle over = cycle("c1", T0, 5_001, 12_501);
        job.afterResult(result("c1", "u2", ProvisioningStatus.Failure, "EntryConflict", T0), Optional.of(over),
                T0.plusSeconds(2), DAILY);
        assertThat(job.quarantine()).hasValueSatisfying(q -> {
            assertThat(q.reason()).isEqualTo(QuarantineReason.TooManyFailures);
            assertThat(q.detail()).contains("5001 of 12501 operations");
        });
        assertThat(states(job)).singleElement().satisfies(started -> {
            assertThat(started.change()).isEqualTo(JobStateChange.QUARANTINE_STARTED);
            assertThat(started.count()).isEqualTo(5_001);
            assertThat(started.cycleId()).isEqualTo("c1");
        });

        // lifted by Start; a failure of the old cycle redelivered afterwards does not quarantine again
        ProvisioningJob lifted = saved(job);
        lifted.start(T0.plusSeconds(3));
        ProvisioningJob later = saved(lifted);
        later.afterResult(result("c1", "u2", ProvisioningStatus.Failure, "EntryConflict", T0), Optional.of(over),
                T0.plusSeconds(4), DAILY);
        assertThat(later.quarantined()).isFalse();
        assertThat(later.changed()).isFalse();
    }

    @Test
    void aSuccessOfALaterCycleLiftsTooManyFailuresButNotTheFailingCyclesOwnSuccesses() {
        ProvisioningJob job = quarantinedForFailures();

        job.afterResult(result("c1", "late", ProvisioningStatus.Success, null, T0.plusSeconds(10)), none(),
                T0.plusSeconds(10), DAILY);
        assertThat(job.quarantined()).isTrue();
        job.afterResult(result("c2", "before", ProvisioningStatus.Success, null, T0), none(), T0.plusSeconds(10),
                DAILY);
        assertThat(job.quarantined()).isTrue();
        assertThat(job.changed()).isFalse();

        job.afterResult(result("c2", "u1", ProvisioningStatus.Success, null, T0.plusSeconds(20)), none(),
                T0.plusSeconds(20), DAILY);

        assertThat(job.quarantined()).isFalse();
        assertThat(job.state()).isEqualTo(JobState.ACTIVE);
        assertThat(states(job)).singleElement().satisfies(lifted -> {
            assertThat(lifted.change()).isEqualTo(JobStateChange.QUARANTINE_LIFTED);
            assertThat(lifted.reasonCode()).isEqualTo("TooManyFailures");
            assertThat(lifted.reason()).contains("a retry succeeded (u1)");
            assertThat(lifted.eventId()).isEqualTo("job-1/QUARANTINE_LIFTED/TooManyFailures/c1");
        });
        // back to the job's own interval
        assertThat(job.nextCycleAt()).isEqualTo(T0.plusSeconds(20).plus(INTERVAL));
    }

    @Test
    void restartLiftsAnyQuarantineAndTellsTheDiscardedDeletions() {
        ProvisioningJob job = quarantinedForFailures();

        job.restart("r1", 3, false, T0.plusSeconds(30));

        assertThat(job.quarantined()).isFalse();
        assertThat(job.state()).isEqualTo(JobState.ACTIVE);
        // the discarded deletions' objects are judged again: a full cycle, though the watermark was kept
        assertThat(job.fullCycleRequested()).isTrue();
        assertThat(job.nextCycleAt()).isEqualTo(T0.plusSeconds(30));
        assertThat(states(job)).extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.DELETIONS_RELEASED, JobStateChange.QUARANTINE_LIFTED);
        assertThat(states(job).get(0).eventId()).isEqualTo("job-1/DELETIONS_RELEASED/restart/r1");
    }

    @Test
    void aRestartThatKeepsTheWatermarkAndDiscardsNothingRunsAnIncrementalCycleNow() {
        // a job whose first (full) cycle ran: no full cycle is pending
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));
        job.cycleEmitted(job.claim("first", T0), T0.plusSeconds(1), DAILY);
        job = saved(job);

        job.restart("r2", 0, false, T0.plusSeconds(30));

        assertThat(job.state()).isEqualTo(JobState.ACTIVE);
        assertThat(job.fullCycleRequested()).isFalse();
        assertThat(job.nextCycleAt()).isEqualTo(T0.plusSeconds(30));

        job.restart("r3", 0, true, T0.plusSeconds(40));
        assertThat(job.fullCycleRequested()).isTrue();
    }

    @Test
    void heldDeletionsQuarantineTheJobAndARepeatOfTheSameHoldTellsNobodyTwice() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), new DeletionThreshold(1, 0), T0));
        String reason = job.holdDeletions("c1", 3, tripped(3), List.of(), T0.plusSeconds(1), DAILY);

        assertThat(reason).startsWith("3 disables and deletes in this cycle exceed the deletion threshold of 1");
        assertThat(job.quarantine()).map(Quarantine::reason).hasValue(QuarantineReason.DeletionThresholdExceeded);
        assertThat(states(job)).extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.DELETIONS_HELD, JobStateChange.QUARANTINE_STARTED);
        assertThat(states(job).get(0).eventId()).isEqualTo("job-1/DELETIONS_HELD/c1");

        // the next cycle holds the same three again (a crash before the watermark moved): told already
        ProvisioningJob repeat = saved(job);
        List<ProvisioningJob.EarlierHold> heldInC1 = List.of(new ProvisioningJob.EarlierHold("c1", T0),
                new ProvisioningJob.EarlierHold("c1", T0), new ProvisioningJob.EarlierHold("c1", T0));
        repeat.holdDeletions("c2", 3, tripped(3), heldInC1, T0.plusSeconds(2), DAILY);
        assertThat(repeat.events()).isEmpty();

        // one more object held in a later cycle: only that one is told, under that cycle
        repeat.holdDeletions("c3", 4, tripped(4), heldInC1, T0.plusSeconds(3), DAILY);
        assertThat(states(repeat)).singleElement().satisfies(held -> {
            assertThat(held.eventId()).isEqualTo("job-1/DELETIONS_HELD/c3");
            assertThat(held.count()).isEqualTo(1);
            assertThat(held.reason()).contains("(3 of them were already held)");
        });
        // a success changes nothing: only the administrator releases held deletions
        ProvisioningJob afterSuccess = saved(repeat);
        afterSuccess.afterResult(result("c4", "u9", ProvisioningStatus.Success, null, T0.plusSeconds(9)), none(),
                T0.plusSeconds(9), DAILY);
        assertThat(afterSuccess.quarantined()).isTrue();
    }

    @Test
    void aHoldThatCrashedBeforeBeingToldIsToldByTheRepeatUnderTheFirstCyclesId() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), new DeletionThreshold(1, 0), T0));

        job.holdDeletions("c2", 2, tripped(2), List.of(new ProvisioningJob.EarlierHold("crashed", T0),
                new ProvisioningJob.EarlierHold("crashed", T0)), T0.plusSeconds(5), DAILY);

        assertThat(states(job)).extracting(JobStateEvent::eventId).containsExactly("job-1/DELETIONS_HELD/crashed",
                "job-1/QUARANTINE_STARTED/DeletionThresholdExceeded/c2");
        assertThat(states(job).get(0).count()).isEqualTo(2);
    }

    @Test
    void allowedDeletionsAreToldAndLiftTheDeletionThresholdQuarantine() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), new DeletionThreshold(1, 0), T0));
        job.holdDeletions("c1", 3, tripped(3), List.of(), T0.plusSeconds(1), DAILY);
        ProvisioningJob released = saved(job);

        released.deletionsReleased("release", 3, T0.plusSeconds(2));

        assertThat(released.quarantined()).isFalse();
        assertThat(states(released)).extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.DELETIONS_RELEASED, JobStateChange.QUARANTINE_LIFTED);
    }

    @Test
    void aCycleThatChangedWhichUsersDruvaHoldsBringsTheNextCycleForwardForTheGroups() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));
        job.cycleEmitted(job.claim("claim-1", T0), T0, DAILY);
        job = saved(job);
        Cycle usersCreated = new Cycle("c1", "job-1", true, Cycle.Stage.EMITTED, T0, T0, 2,
                new Cycle.Results(2, 2, 0, true), null, null, 0);
        Cycle nothingChanged = new Cycle("c1", "job-1", true, Cycle.Stage.EMITTED, T0, T0, 2,
                new Cycle.Results(2, 2, 0, false), null, null, 0);
        Instant now = T0.plusSeconds(1);

        assertThat(job.followUp(nothingChanged, true, now)).isFalse();
        assertThat(job.followUp(usersCreated, false, now)).as("no groups to update").isFalse();
        ProvisioningJob paused = saved(job);
        paused.pause(now);
        assertThat(saved(paused).followUp(usersCreated, true, now)).isFalse();
        assertThat(quarantinedForFailures().followUp(usersCreated, true, now)).isFalse();

        assertThat(job.followUp(usersCreated, true, now)).isTrue();
        assertThat(job.nextCycleAt()).isEqualTo(now);
        assertThat(job.events()).as("a schedule change tells nobody").isEmpty();
    }

    @Test
    void anAgingTokenIsToldOncePerToken() {
        Duration lifetime = Duration.ofDays(365);
        Duration warning = Duration.ofDays(30);
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));

        assertThat(job.warnTokenExpiry(lifetime, warning, T0.plus(Duration.ofDays(334)))).isFalse();
        assertThat(job.warnTokenExpiry(lifetime, warning, T0.plus(Duration.ofDays(336)))).isTrue();
        assertThat(states(job)).singleElement().satisfies(expiring -> {
            assertThat(expiring.change()).isEqualTo(JobStateChange.TOKEN_EXPIRING);
            assertThat(expiring.reason()).contains("set on 2026-03-01", "expires around 2027-03-01");
        });
        ProvisioningJob later = saved(job);
        assertThat(later.warnTokenExpiry(lifetime, warning, T0.plus(Duration.ofDays(340)))).isFalse();

        // a new token is a new one to warn about, a year later
        later.update(config(JobState.ACTIVE), null, null, true, T0.plus(Duration.ofDays(341)));
        ProvisioningJob renewed = saved(later);
        assertThat(renewed.warnTokenExpiry(lifetime, warning, T0.plus(Duration.ofDays(342)))).isFalse();
        assertThat(renewed.warnTokenExpiry(lifetime, warning, T0.plus(Duration.ofDays(341 + 336)))).isTrue();
    }

    @Test
    void aNewConfigurationIsOneRevisionAndAChangedScopeMakesTheNextCycleAFullOneNow() {
        ProvisioningJob job = quarantinedForFailures();
        job.cycleEmitted(job.claim("claim-1", T0.plusSeconds(4)), T0.plusSeconds(5), DAILY);
        ProvisioningJob updated = saved(job);
        JobConfig all = new JobConfig(1, "job-1", "Druva", JobState.ACTIVE, "https://druva.test/scim", TOKEN, null,
                false, ProvisioningScope.ALL, true, null, null, false, null, null, SOURCE, INTERVAL, 99, null);

        updated.update(all, 500, null, false, T0.plusSeconds(6));

        // still quarantined: only Start, Restart or a success lift it
        assertThat(updated.state()).isEqualTo(JobState.QUARANTINED);
        assertThat(updated.deletionThreshold()).isEqualTo(new DeletionThreshold(500, 0));
        assertThat(updated.fullCycleRequested()).isTrue();
        assertThat(updated.nextCycleAt()).isEqualTo(T0.plusSeconds(6));
        assertThat(updated.config().revision()).isEqualTo(job.config().revision() + 1);
        assertThat(updated.events()).containsExactly(new JobEvent.ConfigurationChanged(updated.config()));

        // Start of a paused, quarantined job lifts the quarantine and turns provisioning on: one new revision, told once
        ProvisioningJob paused = saved(updated);
        paused.pause(T0.plusSeconds(7));
        ProvisioningJob started = saved(paused);
        long before = started.config().revision();
        started.start(T0.plusSeconds(8));
        assertThat(started.state()).isEqualTo(JobState.ACTIVE);
        assertThat(started.config().revision()).isEqualTo(before + 1);
        assertThat(started.events()).filteredOn(e -> e instanceof JobEvent.ConfigurationChanged).hasSize(1);
    }

    @Test
    void aPausedJobThatIsQuarantinedStaysPaused() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.PAUSED), OFF, T0));

        job.afterResult(result("c1", "u1", ProvisioningStatus.Failure, ErrorCodes.INVALID_CREDENTIALS, T0), none(),
                T0.plusSeconds(1), DAILY);

        assertThat(job.quarantined()).isTrue();
        assertThat(job.state()).isEqualTo(JobState.PAUSED);
    }

    @Test
    void theQuarantineScheduleIsData() {
        QuarantineSchedule entra = new QuarantineSchedule(
                List.of(Duration.ofHours(6), Duration.ofHours(12), Duration.ofHours(24)), Duration.ofHours(24));

        assertThat(entra.nextRetry(T0, T0)).isEqualTo(T0.plus(Duration.ofHours(6)));
        assertThat(entra.nextRetry(T0, T0.plus(Duration.ofHours(6)))).isEqualTo(T0.plus(Duration.ofHours(12)));
        assertThat(entra.nextRetry(T0, T0.plus(Duration.ofHours(13)))).isEqualTo(T0.plus(Duration.ofHours(24)));
        assertThat(entra.nextRetry(T0, T0.plus(Duration.ofHours(25)))).isEqualTo(T0.plus(Duration.ofHours(48)));
        assertThat(DAILY.nextRetry(T0, T0.plus(Duration.ofHours(30)))).isEqualTo(T0.plus(Duration.ofHours(48)));

        // a quarantined job's next cycle follows the schedule from when the quarantine began, not from the last cycle
        ProvisioningJob job = quarantinedForFailures();
        job.cycleEmitted(job.claim("claim-1", T0.plus(Duration.ofHours(24))), T0.plus(Duration.ofHours(24))
                .plusSeconds(90), DAILY);
        assertThat(job.nextCycleAt()).isEqualTo(T0.plusSeconds(2).plus(Duration.ofHours(48)));
    }

    static String tripped(int held) {
        return new DeletionThreshold(1, 0).tripped(held, held).orElseThrow();
    }

    static final EncryptedSecret TOKEN = new EncryptedSecret("k1", "ciphertext");
    static final SourceConfig SOURCE = SourceConfig.directoryFile("/tmp/directory.json");

    static JobConfig config(JobState state) {
        return new JobConfig(1, "job-1", "Druva", state, "https://druva.test/scim", TOKEN, null, false, null, true,
                null, null, false, null, null, SOURCE, INTERVAL, 0, null);
    }

    /** A job quarantined for TooManyFailures in cycle c1 at T0 + 2 s, as loaded afterwards. */
    static ProvisioningJob quarantinedForFailures() {
        ProvisioningJob job = saved(ProvisioningJob.create(config(JobState.ACTIVE), OFF, T0));
        job.afterResult(result("c1", "u1", ProvisioningStatus.Failure, "EntryConflict", T0),
                Optional.of(cycle("c1", T0, 60_001, 60_001)), T0.plusSeconds(2), DAILY);
        return saved(job);
    }

    /** The job as the store would load it after saving it: nothing pending. */
    static ProvisioningJob saved(ProvisioningJob job) {
        ProvisioningJob.Stored s = job.stored();
        return ProvisioningJob.restore(new ProvisioningJob.Stored(s.id(), s.config(), s.revision() + 1, s.createdAt(),
                s.deletionThreshold(), s.tokenSetAt(), s.tokenExpiryWarned(), s.quarantine(), s.quarantineLiftedAt(),
                s.nextCycleAt(), s.fullCycleRequested(), s.cycleClaimedAt(), s.lastError(), s.cycleRequests(),
                s.fullCycleRequest(), s.cycleClaim(), s.failedCycles()));
    }

    static Cycle cycle(String id, Instant startedAt, int failed, int operations) {
        return new Cycle(id, "job-1", false, Cycle.Stage.EMITTED, startedAt, startedAt, operations,
                new Cycle.Results(operations, operations, failed, false), null, null, 0);
    }

    static Optional<Cycle> none() {
        return Optional.empty();
    }

    static ProvisioningResult result(String cycleId, String objectId, ProvisioningStatus status, String errorCode,
            Instant occurredAt) {
        String eventId = Cycle.eventId(cycleId, objectId);
        return new ProvisioningResult(1, ProvisioningResult.idOf("job-1", objectId, cycleId, eventId), "job-1", cycleId,
                eventId, ObjectType.USER, objectId, null, objectId, ProvisioningAction.Create, status, errorCode, null,
                null, 1, 1, List.of(), "test", occurredAt);
    }

    static List<JobStateEvent> states(ProvisioningJob job) {
        return job.events().stream().filter(e -> e instanceof JobEvent.StateChanged)
                .map(e -> ((JobEvent.StateChanged) e).event()).toList();
    }
}
