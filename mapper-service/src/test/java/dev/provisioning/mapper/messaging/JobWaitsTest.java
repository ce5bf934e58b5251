package dev.provisioning.mapper.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.mapper.Waits;
import dev.provisioning.telemetry.AdmissionLimit;

/**
 * The per-job wait for a job's configuration, in plain Java: isolation, order, deletion, timeout, memory bound, pacing.
 */
class JobWaitsTest {

    final Map<String, JobConfig> jobs = new ConcurrentHashMap<>();
    final List<String> processed = new CopyOnWriteArrayList<>();
    final List<String> givenUp = new CopyOnWriteArrayList<>();
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    /** While set, processing a record does not complete (a slow Kafka send), to hold a drain in the middle. */
    volatile CompletableFuture<Void> slowSend;
    /** While true, giving a record up does not complete until its future here is completed (an unacked send). */
    volatile boolean holdGiveUps;
    final List<CompletableFuture<Void>> heldGiveUps = new CopyOnWriteArrayList<>();
    /** The consumer's in-flight limit, shared with the records taken from Kafka. */
    AdmissionLimit rooms = new AdmissionLimit(100);

    final JobWaits.Handler handler = new JobWaits.Handler() {
        @Override
        public Uni<Void> process(AssignmentEvent event, Message<String> message, JobConfig job) {
            processed.add(event.objectId());
            CompletableFuture<Void> slow = slowSend;
            return slow == null ? Uni.createFrom().voidItem() : Uni.createFrom().completionStage(slow);
        }

        @Override
        public Uni<Void> giveUp(AssignmentEvent event, Message<String> message, JobWaits.Resolution why,
                Duration waited) {
            givenUp.add(event.objectId() + ":" + why);
            if (!holdGiveUps) {
                return Uni.createFrom().voidItem();
            }
            CompletableFuture<Void> ack = new CompletableFuture<>();
            heldGiveUps.add(ack);
            return Uni.createFrom().completionStage(ack);
        }
    };

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    @Test
    void aRecordOfAnUnknownJobIsParkedWithoutHoldingTheStreamAndOtherJobsGoOn() {
        JobWaits waits = waits(Duration.ofMinutes(10), 100);
        jobs.put("known", job("known"));

        assertThat(completed(waits.admit(event("unknown", "u1"), message()))).isTrue();
        assertThat(completed(waits.admit(event("known", "k1"), message()))).isTrue();

        assertThat(processed).containsExactly("k1");
        assertThat(waits.parked()).isEqualTo(1);
    }

    @Test
    void whenTheConfigurationArrivesParkedRecordsGoOnInOrderAndLaterOnesQueueBehindThem() {
        rooms = new AdmissionLimit(1);
        JobWaits waits = waits(Duration.ofMinutes(10), 100);
        waits.admit(event("j", "1"), message());
        waits.admit(event("j", "2"), message());
        slowSend = new CompletableFuture<>();

        jobs.put("j", job("j"));
        waits.jobArrived("j");
        // the drain is held on record 1 (it holds the only room); a record arriving now must not overtake record 2
        waits.admit(event("j", "3"), message());
        slowSend.complete(null);
        slowSend = null;

        await().atMost(Waits.OUTCOME).until(() -> processed.size() == 3);
        assertThat(processed).containsExactly("1", "2", "3");
        assertThat(waits.parked()).isZero();
        assertThat(givenUp).isEmpty();
    }

    @Test
    void aDeletedJobsParkedAndLaterRecordsAreGivenUpWithoutWaiting() {
        JobWaits waits = waits(Duration.ofMinutes(10), 100);
        waits.admit(event("gone", "1"), message());
        waits.admit(event("gone", "2"), message());

        waits.jobDeleted("gone");
        waits.admit(event("gone", "3"), message());

        assertThat(givenUp).containsExactly("1:DELETED", "2:DELETED", "3:DELETED");
        assertThat(processed).isEmpty();
        assertThat(waits.parked()).isZero();
    }

    @Test
    void recordsOfAJobThatNeverComesAreGivenUpWhenTheWaitEnds() {
        JobWaits waits = waits(Duration.ofMillis(200), 100);

        waits.admit(event("never", "1"), message());
        waits.admit(event("never", "2"), message());

        await().atMost(Waits.OUTCOME).until(() -> givenUp.size() == 2);
        assertThat(givenUp).containsExactly("1:NEVER_CONFIGURED", "2:NEVER_CONFIGURED");
        assertThat(waits.parked()).isZero();
    }

    /**
     * A timeout resolves all of a job's records, yet each takes a room of the consumer's in-flight limit while its
     * Failure and dead letter are sent: with two rooms, two records are given up, the third waits for a room, and all
     * follow in arrival order as the sends are acked. Given up all at once, they overflowed the results emitter.
     */
    @Test
    void recordsGivenUpTogetherTakeARoomEachAndKeepTheirOrder() {
        rooms = new AdmissionLimit(2);
        holdGiveUps = true;
        JobWaits waits = waits(Duration.ofSeconds(1), 100);
        for (int i = 1; i <= 5; i++) {
            waits.admit(event("never", String.valueOf(i)), message());
        }

        await().atMost(Waits.OUTCOME).until(() -> rooms.waiting() == 1);
        assertThat(givenUp).containsExactly("1:NEVER_CONFIGURED", "2:NEVER_CONFIGURED");
        assertThat(rooms.used()).isEqualTo(2);

        for (int acked = 0; acked < 5; acked++) {
            int ack = acked;
            await().atMost(Waits.OUTCOME).until(() -> heldGiveUps.size() > ack);
            heldGiveUps.get(ack).complete(null);
        }
        assertThat(givenUp).containsExactly("1:NEVER_CONFIGURED", "2:NEVER_CONFIGURED", "3:NEVER_CONFIGURED",
                "4:NEVER_CONFIGURED", "5:NEVER_CONFIGURED");
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
        JobWaits waits = waits(Duration.ofSeconds(1), 100);
        waits.admit(event("late", "1"), message());
        await().atMost(Waits.OUTCOME).until(() -> heldGiveUps.size() == 1);

        waits.admit(event("late", "2"), message());
        heldGiveUps.get(0).complete(null);

        assertThat(givenUp).containsExactly("1:NEVER_CONFIGURED");
        assertThat(waits.parked()).isEqualTo(1);
        assertThat(rooms.used()).isZero();
        await().atMost(Waits.OUTCOME).until(() -> givenUp.size() == 2);
        assertThat(givenUp).containsExactly("1:NEVER_CONFIGURED", "2:NEVER_CONFIGURED");
    }

    @Test
    void whileTheWaitsAreFullTheStreamIsHeldUntilARecordIsResolved() {
        JobWaits waits = waits(Duration.ofMinutes(10), 2);

        assertThat(completed(waits.admit(event("a", "1"), message()))).isTrue();
        assertThat(completed(waits.roomToPark())).isTrue();
        assertThat(completed(waits.admit(event("b", "2"), message()))).isTrue();
        CompletableFuture<Void> room = waits.roomToPark().subscribeAsCompletionStage();

        assertThat(room).isNotDone();
        waits.jobDeleted("b");
        assertThat(room).isDone();
        assertThat(givenUp).containsExactly("2:DELETED");
    }

    /**
     * Once the mapper stops, a configuration or a tombstone resolves no parked record, and a later record of the job
     * parks behind them: their polls stay unacked and are consumed again after the next start.
     */
    @Test
    void onceStoppedParkedRecordsStayParkedWhateverArrives() {
        JobWaits waits = waits(Duration.ofMinutes(10), 100);
        waits.admit(event("late", "1"), message());
        waits.admit(event("gone", "2"), message());

        waits.stop();
        jobs.put("late", job("late"));
        waits.jobArrived("late");
        waits.jobDeleted("gone");
        waits.admit(event("late", "3"), message());

        assertThat(processed).isEmpty();
        assertThat(givenUp).isEmpty();
        assertThat(waits.parked()).isEqualTo(3);
        assertThat(rooms.used()).isZero();
    }

    private JobWaits waits(Duration wait, int capacity) {
        return new JobWaits(id -> Optional.ofNullable(jobs.get(id)), handler, wait, capacity, rooms, timer,
                Runnable::run);
    }

    private static boolean completed(Uni<Void> uni) {
        return uni.subscribeAsCompletionStage().isDone();
    }

    private static Message<String> message() {
        return Message.of("{}", () -> CompletableFuture.completedFuture(null),
                failure -> CompletableFuture.completedFuture(null));
    }

    private static AssignmentEvent event(String jobId, String objectId) {
        return new AssignmentEvent(1, "e-" + objectId, jobId, "c", false, ObjectType.USER, objectId, ChangeKind.ADDED,
                Map.of(), List.of(), List.of(), Instant.EPOCH);
    }

    private static JobConfig job(String jobId) {
        return new JobConfig(1, jobId, "Druva", JobState.ACTIVE, "https://x/scim", null, null, false, null, true, null,
                null, false, null, null, null, null, 1, Instant.EPOCH);
    }
}
