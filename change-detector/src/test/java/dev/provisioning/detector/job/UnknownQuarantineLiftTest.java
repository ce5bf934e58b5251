package dev.provisioning.detector.job;

import static dev.provisioning.detector.job.ProvisioningJobTest.INTERVAL;
import static dev.provisioning.detector.job.ProvisioningJobTest.OFF;
import static dev.provisioning.detector.job.ProvisioningJobTest.T0;
import static dev.provisioning.detector.job.ProvisioningJobTest.config;
import static dev.provisioning.detector.job.ProvisioningJobTest.quarantinedForFailures;
import static dev.provisioning.detector.job.ProvisioningJobTest.saved;
import static dev.provisioning.detector.job.ProvisioningJobTest.states;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.job.JobState;

/**
 * {@link ProvisioningJob#liftUnknownQuarantine}, as {@code JobStore.repair} uses it: the row of a job quarantined for a
 * reason this version does not know is restored without its quarantine and with the repair's configuration, and the
 * stored reason and key are handed to the job. The administrator hears of the lift once (QUARANTINE_LIFTED under the
 * quarantine's own key, so the notifier forgets the quarantine it emailed), and only for a quarantine that was there
 * and is dropped: not for a job that was not quarantined, not for a quarantine this version knows (the store keeps
 * it), not twice in one repair, and not on a second repair of the same job (its row no longer holds the reason).
 */
class UnknownQuarantineLiftTest {

    static final Instant REPAIRED = T0.plus(Duration.ofHours(3));
    /** Where a quarantine's schedule had put the next cycle: far beyond the job's own interval. */
    static final Instant QUARANTINE_RETRY = T0.plus(Duration.ofDays(1));
    static final long ROW_REVISION = 7;

    @Test
    void aRepairedRowsUnknownQuarantineIsLiftedAndToldOnceUnderItsStoredKey() {
        ProvisioningJob job = restoredForRepair(JobState.ACTIVE);

        assertThat(job.liftUnknownQuarantine("NoSuchReason", "NoSuchReason/c9", REPAIRED)).isTrue();

        assertThat(states(job)).singleElement().satisfies(lifted -> {
            assertThat(lifted.change()).isEqualTo(JobStateChange.QUARANTINE_LIFTED);
            assertThat(lifted.eventId()).isEqualTo("job-1/QUARANTINE_LIFTED/NoSuchReason/c9");
            assertThat(lifted.jobId()).isEqualTo("job-1");
            assertThat(lifted.reasonCode()).isEqualTo("NoSuchReason");
            assertThat(lifted.reason()).isEqualTo("The quarantine was lifted: the job's stored row was repaired, and "
                    + "this version does not know its quarantine reason.");
            assertThat(lifted.occurredAt()).isEqualTo(REPAIRED);
        });
        assertThat(job.quarantined()).isFalse();
        assertThat(job.state()).isEqualTo(JobState.ACTIVE);
        assertThat(job.stored().quarantineLiftedAt()).isEqualTo(REPAIRED);
        // the quarantine's slow schedule no longer holds the next cycle back: the job's own interval does
        assertThat(job.nextCycleAt()).isEqualTo(REPAIRED.plus(INTERVAL));
        assertThat(job.changed()).isTrue();

        // asked again within the same repair: told once
        assertThat(job.liftUnknownQuarantine("NoSuchReason", "NoSuchReason/c9", REPAIRED)).isFalse();
        assertThat(states(job)).hasSize(1);

        // the repair itself follows (JobService): the notice first, then the configuration's one new revision
        job.repair(job.config(), 50, 10, REPAIRED);
        assertThat(job.events()).hasSize(2);
        assertThat(job.events().get(0)).isInstanceOf(JobEvent.StateChanged.class);
        assertThat(job.events().get(1)).isEqualTo(new JobEvent.ConfigurationChanged(job.config()));
        assertThat(job.nextCycleAt()).as("a repair's cycle, a full one, runs now").isEqualTo(REPAIRED);

        // the saved row holds no quarantine reason any more: a second repair tells nobody
        ProvisioningJob again = saved(job);
        assertThat(again.stored().quarantine()).isNull();
        assertThat(again.liftUnknownQuarantine(null, null, REPAIRED.plusSeconds(60))).isFalse();
        assertThat(again.events()).isEmpty();
        assertThat(again.changed()).isFalse();
        assertThat(again.stored().quarantineLiftedAt()).isEqualTo(REPAIRED);
    }

    @Test
    void aQuarantineStoredWithoutItsKeyIsToldUnderTheRowsRevision() {
        ProvisioningJob job = restoredForRepair(JobState.ACTIVE);

        assertThat(job.liftUnknownQuarantine("NoSuchReason", null, REPAIRED)).isTrue();

        assertThat(states(job)).extracting(JobStateEvent::eventId)
                .containsExactly("job-1/QUARANTINE_LIFTED/NoSuchReason/revision-" + ROW_REVISION);
    }

    @Test
    void aJobRepairedWithProvisioningOffStaysPausedWhenItsQuarantineIsLifted() {
        ProvisioningJob job = restoredForRepair(JobState.PAUSED);

        assertThat(job.liftUnknownQuarantine("NoSuchReason", "NoSuchReason/c9", REPAIRED)).isTrue();

        assertThat(job.state()).isEqualTo(JobState.PAUSED);
        assertThat(job.quarantined()).isFalse();
        assertThat(states(job)).extracting(JobStateEvent::change).containsExactly(JobStateChange.QUARANTINE_LIFTED);
    }

    @Test
    void aJobThatWasNotQuarantinedIsNotTold() {
        ProvisioningJob job = restoredForRepair(JobState.ACTIVE);

        assertThat(job.liftUnknownQuarantine(null, null, REPAIRED)).isFalse();

        assertThat(job.events()).isEmpty();
        assertThat(job.changed()).isFalse();
        assertThat(job.stored().quarantineLiftedAt()).isNull();
        assertThat(job.nextCycleAt()).isEqualTo(QUARANTINE_RETRY);
    }

    @Test
    void aQuarantineThisVersionKnowsIsKept() {
        // the store restores a known reason's quarantine, so the job holds it when the reason is handed over
        ProvisioningJob job = quarantinedForFailures();
        Instant retry = job.nextCycleAt();

        assertThat(job.liftUnknownQuarantine("TooManyFailures", job.quarantine().orElseThrow().key(), REPAIRED))
                .isFalse();

        assertThat(job.quarantined()).isTrue();
        assertThat(job.state()).isEqualTo(JobState.QUARANTINED);
        assertThat(job.events()).isEmpty();
        assertThat(job.nextCycleAt()).isEqualTo(retry);
    }

    /**
     * A job as {@code JobStore.repair} restores it from a row quarantined for a reason this version does not know: the
     * repair's configuration (provisioning {@code state} as the request asked), no quarantine, the row's revision and
     * schedule (its next cycle where the quarantine schedule put it).
     */
    static ProvisioningJob restoredForRepair(JobState state) {
        return ProvisioningJob.restore(new ProvisioningJob.Stored("job-1", config(state), ROW_REVISION, T0, OFF, T0,
                null, null, null, QUARANTINE_RETRY, false, null, null, 0, 0, null, 0));
    }
}
