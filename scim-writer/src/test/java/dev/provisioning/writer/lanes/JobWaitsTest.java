package dev.provisioning.writer.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;

class JobWaitsTest {

    private final Map<String, JobConfig> known = new ConcurrentHashMap<>();
    private final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private JobWaits waits(Duration wait) {
        return new JobWaits(id -> Optional.ofNullable(known.get(id)), wait, timer);
    }

    private JobWaits.Parked record(String name) {
        return new JobWaits.Parked() {
            @Override
            public void admit(JobConfig job) {
                events.add(name + " admitted with revision " + job.revision());
            }

            @Override
            public void giveUp(JobWaits.Resolution why, Duration waited) {
                events.add(name + " given up: " + why);
            }
        };
    }

    private static JobConfig job(String id, long revision) {
        return new JobConfig(1, id, id, JobState.ACTIVE, "https://x/scim", null, null, false, null, true, null, null,
                false, null, null, null, null, revision, Instant.now());
    }

    @Test
    void aKnownJobsRecordGoesOnAtOnceAndAnUnknownJobsRecordWaitsAloneForIt() {
        JobWaits waits = waits(Duration.ofMinutes(5));
        known.put("known", job("known", 1));

        waits.offer("unknown", record("u1"));
        waits.offer("known", record("k1"));
        waits.offer("unknown", record("u2"));

        assertThat(events).containsExactly("k1 admitted with revision 1");
        assertThat(waits.parked()).isEqualTo(2);

        known.put("unknown", job("unknown", 3));
        waits.jobArrived(job("unknown", 3));
        assertThat(events).containsExactly("k1 admitted with revision 1", "u1 admitted with revision 3",
                "u2 admitted with revision 3");
        assertThat(waits.parked()).isZero();
    }

    @Test
    void recordsOfAJobThatNeverComesAreGivenUpAfterTheWaitCountedPerJob() {
        JobWaits waits = waits(Duration.ofMillis(50));

        waits.offer("never", record("n1"));
        waits.offer("never", record("n2"));

        org.awaitility.Awaitility.await().atMost(dev.provisioning.writer.Waits.OUTCOME).until(() -> events.size() == 2);
        assertThat(events).containsExactly("n1 given up: NEVER_CONFIGURED", "n2 given up: NEVER_CONFIGURED");
    }

    @Test
    void aDeletedJobsWaitingAndLaterRecordsAreGivenUpAtOnce() {
        JobWaits waits = waits(Duration.ofMinutes(5));
        waits.offer("gone", record("g1"));

        waits.jobDeleted("gone");
        waits.offer("gone", record("g2"));

        assertThat(events).containsExactly("g1 given up: DELETED", "g2 given up: DELETED");
        assertThat(waits.isDeleted("gone")).isTrue();
    }
}
