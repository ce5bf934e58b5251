package dev.provisioning.detector.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

/** The one rule for a complete cycle, and what is read from it. Plain JUnit. */
class CycleTest {

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final Duration LEASE = Duration.ofMinutes(15);

    @Test
    void aCycleIsCompleteOnceEveryEmittedEventHasItsResult() {
        assertThat(cycle(Cycle.Stage.RUNNING, 0, 0).status()).isEqualTo(Cycle.Status.RUNNING);
        // results of a cycle still emitting do not complete it, however many there are
        assertThat(cycle(Cycle.Stage.RUNNING, 0, 5).complete()).isFalse();

        Cycle waiting = cycle(Cycle.Stage.EMITTED, 3, 2);
        assertThat(waiting.complete()).isFalse();
        assertThat(waiting.status()).isEqualTo(Cycle.Status.IN_PROGRESS);
        assertThat(waiting.progressPercent()).isEqualTo(66);

        Cycle complete = cycle(Cycle.Stage.EMITTED, 3, 3);
        assertThat(complete.complete()).isTrue();
        assertThat(complete.status()).isEqualTo(Cycle.Status.COMPLETED);
        assertThat(complete.progressPercent()).isEqualTo(100);
        assertThat(complete.completeButNotFinished()).isTrue();

        Cycle empty = cycle(Cycle.Stage.EMITTED, 0, 0);
        assertThat(empty.status()).isEqualTo(Cycle.Status.COMPLETED);
        assertThat(empty.progressPercent()).isEqualTo(100);

        Cycle failed = cycle(Cycle.Stage.FAILED, 0, 0);
        assertThat(failed.complete()).isFalse();
        assertThat(failed.status()).isEqualTo(Cycle.Status.FAILED);
        assertThat(failed.progressPercent()).isZero();
    }

    @Test
    void onlyAnIncompleteCycleWithinTheLeaseHoldsTheNextOneBack() {
        Instant now = T0.plus(Duration.ofMinutes(5));
        assertThat(cycle(Cycle.Stage.EMITTED, 3, 2).holdsBackNext(now, LEASE)).isTrue();
        assertThat(cycle(Cycle.Stage.EMITTED, 3, 3).holdsBackNext(now, LEASE)).isFalse();
        assertThat(cycle(Cycle.Stage.FAILED, 0, 0).holdsBackNext(now, LEASE)).isFalse();
        // stuck longer than the lease (a result was lost): the next cycle runs
        assertThat(cycle(Cycle.Stage.EMITTED, 3, 2).holdsBackNext(T0.plus(LEASE).plusSeconds(1), LEASE)).isFalse();
    }

    static Cycle cycle(Cycle.Stage stage, int emitted, long results) {
        return new Cycle("c1", "job", false, stage, T0, stage == Cycle.Stage.EMITTED ? T0 : null, emitted,
                new Cycle.Results(results, (int) results, 0, false), null, null, 0);
    }
}
