package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

/** The consumers' in-flight bound, in plain Java: room, waiting beyond it, FIFO hand-over, the peak. */
class AdmissionLimitTest {

    final List<String> taken = new CopyOnWriteArrayList<>();

    private void take(AdmissionLimit limit, String record) {
        limit.acquire().subscribe().with(ignored -> taken.add(record));
    }

    @Test
    void recordsUpToMaxAreTakenAtOnceAndTheNextWaitsUntilOneIsReleased() {
        AdmissionLimit limit = new AdmissionLimit(2);

        take(limit, "r1");
        take(limit, "r2");
        take(limit, "r3");

        assertThat(taken).containsExactly("r1", "r2");
        assertThat(limit.used()).isEqualTo(2);
        assertThat(limit.waiting()).isEqualTo(1);

        limit.release();

        assertThat(taken).containsExactly("r1", "r2", "r3");
        assertThat(limit.used()).as("the released room went to r3").isEqualTo(2);
        assertThat(limit.waiting()).isZero();
    }

    @Test
    void releasedRoomGoesToTheOldestWaitingRecordFirst() {
        AdmissionLimit limit = new AdmissionLimit(1);
        take(limit, "r1");
        take(limit, "r2");
        take(limit, "r3");
        take(limit, "r4");
        assertThat(taken).containsExactly("r1");

        limit.release();
        assertThat(taken).containsExactly("r1", "r2");
        limit.release();
        assertThat(taken).containsExactly("r1", "r2", "r3");
        limit.release();
        limit.release();

        assertThat(taken).containsExactly("r1", "r2", "r3", "r4");
        assertThat(limit.used()).isZero();
    }

    @Test
    void thePeakIsTheMostRecordsInFlightAtOnceSinceThePreviousLook() {
        AdmissionLimit limit = new AdmissionLimit(10);
        take(limit, "r1");
        take(limit, "r2");
        take(limit, "r3");
        limit.release();
        limit.release();

        assertThat(limit.takePeak()).isEqualTo(3);
        assertThat(limit.takePeak()).as("a new period starts from the one record still in flight").isEqualTo(1);
    }

    @Test
    void aLimitBelowOneStillTakesOneRecordAtATime() {
        AdmissionLimit limit = new AdmissionLimit(0);

        take(limit, "r1");
        take(limit, "r2");

        assertThat(taken).containsExactly("r1");
    }
}
