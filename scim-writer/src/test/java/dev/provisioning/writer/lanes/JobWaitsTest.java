package dev.provisioning.writer.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;

import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.telemetry.AdmissionLimit;
import dev.provisioning.writer.Waits;

/** The per-job wait for a job's configuration, in plain Java: isolation, order, deletion, timeout, pacing. */
class JobWaitsTest {

    private final Map<String, JobConfig> known = new ConcurrentHashMap<>();
    private final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    /** While true, giving a record up does not complete until its future here is completed (an unacked send). */
    private volatile boolean holdGiveUps;
    private final List<CompletableFuture<Void>> heldGiveUps = new CopyOnWriteArrayList<>();
    /** The consumer's bound on give-ups in flight. */
    private AdmissionLimit rooms = new AdmissionLimit(100);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private JobWaits waits(Duration wait) {
        return new JobWaits(id -> Optional.ofNullable(known.get(id)), wait, rooms, timer, Runnable::run);
    }

    private JobWaits.Parked record(String name) {
        return new JobWaits.Parked() {
            @Override
            public void admit(JobConfig job) {
                events.add(name + " admitted with revision " + job.revision());
            }

            @Override
            public Uni<Void> giveUp(JobWaits.Resolution why, Duration waited) {
                events.add(name + " given up: " + why);
                if (!holdGiveUps) {
                    return Uni.createFrom().voidItem();
                }
                CompletableFuture<Void> ack = new CompletableFuture<>();
                heldGiveUps.add(ack);
                return Uni.createFrom().completionStage(ack);
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
    void aDeletedJobsWaitingAndLaterRecordsAreGivenUpWithoutWaiting() {
        JobWaits waits = waits(Duration.ofMinutes(5));
        waits.offer("gone", record("g1"));

        waits.jobDeleted("gone");
        waits.offer("gone", record("g2"));

        assertThat(events).containsExactly("g1 given up: DELETED", "g2 given up: DELETED");
        assertThat(waits.isDeleted("gone")).isTrue();
    }

    /**
     * A timeout resolves all of a job's records, yet each takes a room of the consumer's bound on give-ups while its
     * Failure and dead letter are sent: with two rooms, two records are given up, the third waits for a room, and all
     * follow in arrival order as the sends are acked. Given up all at once, 6,000 overflowed the results emitter.
     */
    @Test
    void recordsGivenUpTogetherTakeARoomEachAndKeepTheirOrder() {
        rooms = new AdmissionLimit(2);
        holdGiveUps = true;
        JobWaits waits = waits(Duration.ofMillis(50));
        for (int i = 1; i <= 5; i++) {
            waits.offer("never", record("n" + i));
        }

        org.awaitility.Awaitility.await().atMost(Waits.OUTCOME).until(() -> rooms.waiting() == 1);
        assertThat(events).containsExactly("n1 given up: NEVER_CONFIGURED", "n2 given up: NEVER_CONFIGURED");
        assertThat(rooms.used()).isEqualTo(2);

        for (int acked = 0; acked < 5; acked++) {
            int ack = acked;
            org.awaitility.Awaitility.await().atMost(Waits.OUTCOME).until(() -> heldGiveUps.size() > ack);
            heldGiveUps.get(ack).complete(null);
        }
        assertThat(events).containsExactly("n1 given up: NEVER_CONFIGURED", "n2 given up: NEVER_CONFIGURED",
                "n3 given up: NEVER_CONFIGURED", "n4 given up: NEVER_CONFIGURED", "n5 given up: NEVER_CONFIGURED");
        assertThat(waits.parked()).isZero();
        assertThat(rooms.used()).isZero();
    }

    /**
     * A deleted job's later records are given up through the same rooms, in order: the second waits until the first's
     * dead letter is acked (before, each was dead-lettered at once, as fast as the stream took them).
     */
    @Test
    void aDeletedJobsLaterRecordsAreGivenUpWithinTheRoomsInOrder() {
        rooms = new AdmissionLimit(1);
        holdGiveUps = true;
        JobWaits waits = waits(Duration.ofMinutes(5));
        waits.jobDeleted("gone");

        waits.offer("gone", record("g1"));
        waits.offer("gone", record("g2"));

        assertThat(events).containsExactly("g1 given up: DELETED");
        assertThat(rooms.waiting()).isEqualTo(1);
        heldGiveUps.get(0).complete(null);
        assertThat(events).containsExactly("g1 given up: DELETED", "g2 given up: DELETED");
        heldGiveUps.get(1).complete(null);
        assertThat(waits.parked()).isZero();
        assertThat(rooms.used()).isZero();
    }

    /**
     * A record parked behind records whose wait is over is not given up with them: it waits anew (then, its job still
     * unknown, it is given up at the end of its own wait).
     */
    @Test
    void aRecordParkedWhileItsJobsRecordsAreGivenUpWaitsAnew() {
        rooms = new AdmissionLimit(1);
        holdGiveUps = true;
        JobWaits waits = waits(Duration.ofSeconds(1));
        waits.offer("late", record("l1"));
        org.awaitility.Awaitility.await().atMost(Waits.OUTCOME).until(() -> heldGiveUps.size() == 1);

        waits.offer("late", record("l2"));
        heldGiveUps.get(0).complete(null);

        assertThat(events).containsExactly("l1 given up: NEVER_CONFIGURED");
        assertThat(waits.parked()).isEqualTo(1);
        assertThat(rooms.used()).isZero();
        org.awaitility.Awaitility.await().atMost(Waits.OUTCOME).until(() -> events.size() == 2);
        assertThat(events).containsExactly("l1 given up: NEVER_CONFIGURED", "l2 given up: NEVER_CONFIGURED");
    }
}
