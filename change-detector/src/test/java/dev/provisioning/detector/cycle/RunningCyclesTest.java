package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The registry of the cycles running on this replica, which a job's deletion stops (issue 12, study 4(B)). */
class RunningCyclesTest {

    final RunningCycles running = new RunningCycles();

    @Test
    void stoppingAJobStopsItsRunningCycleWithTheDeletedReasonAndNoOtherJobs() {
        RunningCycles.Stop deleted = new RunningCycles.Stop();
        RunningCycles.Stop other = new RunningCycles.Stop();
        running.register("job-1", deleted);
        running.register("job-2", other);

        assertThat(running.stop("job-1")).isEqualTo(1);

        assertThat(deleted.reason()).isInstanceOf(CycleRunner.JobDeleted.class).hasMessageContaining("job-1");
        assertThat(other.reason()).isNull();
    }

    @Test
    void whenTheDetectorStopsEveryRunningCycleAndEveryOneStartedLaterIsToldToStop() {
        RunningCycles.Stop first = new RunningCycles.Stop();
        RunningCycles.Stop second = new RunningCycles.Stop();
        running.register("job-1", first);
        running.register("job-2", second);

        assertThat(running.stopAll()).isEqualTo(2);
        RunningCycles.Stop later = new RunningCycles.Stop();
        running.register("job-3", later);

        assertThat(List.of(first, second, later)).allSatisfy(
                stop -> assertThat(stop.reason()).isInstanceOf(CycleRunner.DetectorStopping.class));
    }

    @Test
    void stoppingAJobWithNoCycleRunningHereDoesNothing() {
        RunningCycles.Stop other = new RunningCycles.Stop();
        running.register("job-2", other);

        assertThat(running.stop("job-1")).isZero();

        assertThat(other.reason()).isNull();
    }

    @Test
    void aCycleThatEndedIsNoLongerStoppedNorKept() {
        RunningCycles.Stop ended = new RunningCycles.Stop();
        running.register("job-1", ended);
        running.unregister("job-1", ended);

        assertThat(running.running("job-1")).isFalse();
        assertThat(running.stop("job-1")).isZero();
        assertThat(ended.reason()).isNull();
    }

    @Test
    void anOlderCycleEndingDoesNotUnregisterANewerCycleOfTheSameJob() {
        RunningCycles.Stop older = new RunningCycles.Stop();
        RunningCycles.Stop newer = new RunningCycles.Stop();
        running.register("job-1", older);
        running.register("job-1", newer);
        running.unregister("job-1", older);

        assertThat(running.stop("job-1")).isEqualTo(1);

        assertThat(newer.reason()).isInstanceOf(CycleRunner.JobDeleted.class);
        assertThat(older.reason()).isNull();
    }

    @Test
    void theFirstReasonWinsAClaimLostIsNotRelabelledAsADeletion() {
        RunningCycles.Stop stop = new RunningCycles.Stop();
        running.register("job-1", stop);
        CycleRunner.ClaimLost lost = new CycleRunner.ClaimLost("job-1");
        assertThat(stop.set(lost)).isTrue();

        assertThat(running.stop("job-1")).isZero();

        assertThat(stop.reason()).isSameAs(lost);
    }
}
