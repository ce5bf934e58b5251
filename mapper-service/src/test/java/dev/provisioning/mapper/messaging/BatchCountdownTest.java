package dev.provisioning.mapper.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

/** A poll is acked once, when its last record ended, and only if every record finished. */
class BatchCountdownTest {

    final List<Boolean> ends = new CopyOnWriteArrayList<>();

    @Test
    void thePollEndsOnceWhenItsLastRecordFinishedAndNotBefore() {
        BatchCountdown countdown = new BatchCountdown(3, ends::add);

        countdown.finished();
        countdown.finished();
        assertThat(ends).isEmpty();
        assertThat(countdown.open()).isEqualTo(1);

        countdown.finished();
        assertThat(ends).containsExactly(true);
    }

    @Test
    void aRecordThatCouldNotBeFinishedKeepsThePollFromBeingAckedWhateverEndsAfterIt() {
        BatchCountdown countdown = new BatchCountdown(3, ends::add);

        countdown.finished();
        countdown.unfinished();
        countdown.finished();

        assertThat(ends).containsExactly(false);
    }

    @Test
    void aPollWithoutRecordsEndsAtOnce() {
        new BatchCountdown(0, ends::add);

        assertThat(ends).containsExactly(true);
    }

    @Test
    void aRecordEndingTwiceIsABugNotASecondAck() {
        BatchCountdown countdown = new BatchCountdown(1, ends::add);
        countdown.finished();

        assertThatThrownBy(countdown::finished).isInstanceOf(IllegalStateException.class);
        assertThat(ends).containsExactly(true);
    }

    @Test
    void recordsEndingOnManyThreadsEndThePollExactlyOnce() throws InterruptedException {
        int records = 10_000;
        BatchCountdown countdown = new BatchCountdown(records, ends::add);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < records / threads.length; i++) {
                    countdown.finished();
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(ends).containsExactly(true);
    }
}
