package dev.provisioning.writer.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;

class LanesTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    private static final Duration RESERVATION = Duration.ofSeconds(5);

    private final AtomicReference<Instant> now = new AtomicReference<>(T0);
    /** Whether a job of another tenant is not paused (the writer's jobs): a lane may keep beyond its rooms only if not. */
    private final AtomicBoolean otherJobActive = new AtomicBoolean();
    private final List<String> events = new ArrayList<>();

    /** An operation whose work completes when the test says so. */
    private class Op implements Lanes.Item {
        final String name;
        final String key;
        final Instant admittedAt;
        final CompletableFuture<Void> work = new CompletableFuture<>();

        Op(String name, String key) {
            this.name = name;
            this.key = key;
            this.admittedAt = now.get();
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public Instant admittedAt() {
            return admittedAt;
        }

        @Override
        public Uni<Void> run() {
            events.add("run " + name);
            return Uni.createFrom().completionStage(work);
        }

        @Override
        public Uni<Void> defer() {
            events.add("defer " + name);
            return Uni.createFrom().completionStage(work);
        }

        void finish() {
            work.complete(null);
        }
    }

    /** Lanes whose admission limit is far away: the high-water mark never applies. */
    private Lanes lanes(int recordsPerTenant, int objectsPerTenant) {
        return lanes(1_000_000, recordsPerTenant, objectsPerTenant);
    }

    /**
     * Lanes as the service builds them ({@code max-wait} 5 min, {@link Lanes#SOON}), on the test's clock, where a lane
     * may keep beyond its rooms unless {@link #otherJobActive}.
     */
    private Lanes lanes(int maxRecords, int recordsPerTenant, int objectsPerTenant) {
        return new Lanes(maxRecords, recordsPerTenant, objectsPerTenant, Duration.ofMinutes(5), RESERVATION,
                Lanes.SOON, tenant -> !otherJobActive.get(), now::get);
    }

    /**
     * Admits {@code count} operations of new objects of a tenant whose target never answers: run never finishes, a
     * deferral finishes at once (the database write and the ack, which gives the admission room back).
     */
    private void admitHeld(Lanes lanes, String tenant, int count) {
        for (int i = 0; i < count; i++) {
            lanes.admit(tenant, new Op(tenant + "-u" + i, tenant + "/u" + i) {
                @Override
                public Uni<Void> defer() {
                    events.add("defer " + name);
                    return Uni.createFrom().voidItem();
                }
            });
        }
    }

    @Test
    void twoHeldTenantsAtTheHighWaterDeferTheirNewObjectsAndLeaveTheRoomsToAThirdTenant() {
        // admission limit 100 (high-water 80), a lane holds 60, 2 objects at once
        Lanes lanes = lanes(100, 60, 2);
        admitHeld(lanes, "slow-a", 40);
        admitHeld(lanes, "slow-b", 40);
        assertThat(events).noneMatch(e -> e.startsWith("defer"));
        assertThat(lanes.size()).isEqualTo(80);

        Op a = new Op("a-new", "slow-a/new");
        lanes.admit("slow-a", a);
        Op c1 = new Op("c1", "fast-c/u1");
        lanes.admit("fast-c", c1);
        Op b = new Op("b-new", "slow-b/new");
        lanes.admit("slow-b", b);
        Op known = new Op("a-u0-again", "slow-a/u0");
        lanes.admit("slow-a", known);

        assertThat(events).containsSubsequence("defer a-new", "run c1", "defer b-new");
        // an object already in the held lane joins it behind its earlier operation (order holds)
        assertThat(events).doesNotContain("defer a-u0-again", "run a-u0-again");
        assertThat(lanes.size("slow-a")).isEqualTo(42);
        assertThat(lanes.room("slow-a")).isZero();
        assertThat(lanes.room("fast-c")).isPositive();
        c1.finish();
        assertThat(lanes.size("fast-c")).isZero();
    }

    @Test
    void aHeldTenantThatFilledItsLaneFirstLeavesASecondHeldTenantBelowTheAdmissionLimit() {
        Lanes lanes = lanes(100, 60, 2);
        admitHeld(lanes, "slow-a", 60);
        admitHeld(lanes, "slow-b", 60);

        // b grows while it holds less than the rooms left, so the limit is never reached by the two
        assertThat(lanes.size()).isLessThan(100);
        Op c1 = new Op("c1", "fast-c/u1");
        lanes.admit("fast-c", c1);
        assertThat(events).contains("run c1");
    }

    /**
     * A lane of 4 rooms running 2 objects at once, alone, that carried out 10 operations within the last second (one
     * of its objects runs all along, so the lane is never empty), then holds 4 operations: 2 running, 2 waiting.
     */
    private Lanes laneThatKeepsUp(String tenant) {
        Lanes lanes = lanes(4, 2);
        lanes.admit(tenant, new Op("running", tenant + "/running"));
        for (int i = 0; i < 10; i++) {
            Op done = new Op("done" + i, tenant + "/done" + i);
            lanes.admit(tenant, done);
            done.finish();
        }
        for (int i = 0; i < 3; i++) {
            lanes.admit(tenant, new Op("u" + i, tenant + "/u" + i));
        }
        assertThat(lanes.size(tenant)).isEqualTo(4);
        return lanes;
    }

    @Test
    void aLaneAloneThatKeepsUpKeepsANewObjectBeyondItsRoomsInsteadOfDeferringIt() {
        Lanes lanes = laneThatKeepsUp("flood");

        Op kept = new Op("kept", "flood/kept");
        lanes.admit("flood", kept);

        // 2 waiting against 10 carried out a second: it starts well within 10 s
        assertThat(events).noneMatch(e -> e.startsWith("defer"));
        assertThat(lanes.size("flood")).isEqualTo(5);
        assertThat(lanes.room("flood")).as("no deferred operation is released into it meanwhile").isZero();
    }

    @Test
    void anOperationKeptBeyondTheRoomsThatDoesNotStartSoonIsDeferredByTheSweepTheOthersWait() {
        Lanes lanes = laneThatKeepsUp("flood");
        Op kept = new Op("kept", "flood/kept");
        lanes.admit("flood", kept);

        // the tenant stops answering: nothing more is carried out
        now.set(T0.plus(Lanes.SOON).minusSeconds(1));
        assertThat(lanes.sweep()).as("before it waited 10 s").isZero();
        now.set(T0.plus(Lanes.SOON).plusSeconds(1));
        assertThat(lanes.sweep()).isEqualTo(1);

        assertThat(events).contains("defer kept").doesNotContain("defer u0", "defer u1", "defer u2");
        kept.finish();
        assertThat(lanes.size("flood")).as("within its rooms again").isEqualTo(4);
    }

    @Test
    void aLaneThatKeepsUpDefersItsNewObjectsBeyondItsRoomsWhileAnotherTenantHasAJobThatIsNotPaused() {
        Lanes lanes = laneThatKeepsUp("flood");
        otherJobActive.set(true);

        lanes.admit("flood", new Op("beyond", "flood/beyond"));

        // that job's next operation may be behind the flood's in Kafka: the stream must not wait for the flood
        assertThat(events).contains("defer beyond");

        otherJobActive.set(false); // that job paused
        lanes.admit("flood", new Op("kept", "flood/kept"));
        assertThat(events).doesNotContain("defer kept");
    }

    @Test
    void aLaneThatKeepsUpDefersItsNewObjectsBeyondItsRoomsOnceAnotherTenantHasAnOperationInALane() {
        Lanes lanes = laneThatKeepsUp("flood");
        Op other = new Op("other", "other/u1");
        lanes.admit("other", other);

        lanes.admit("flood", new Op("beyond", "flood/beyond"));

        assertThat(events).contains("run other", "defer beyond");
        other.finish();
        lanes.admit("flood", new Op("alone-again", "flood/alone-again"));
        assertThat(events).as("kept, waiting for a slot").doesNotContain("defer alone-again");
        assertThat(lanes.size("flood")).isEqualTo(6);
    }

    @Test
    void aLaneThatCarriedNothingOutLatelyDefersItsNewObjectsBeyondItsRooms() {
        Lanes lanes = laneThatKeepsUp("flood");
        // two seconds later its pace is forgotten: a tenant that stopped answering is not taken for one that keeps up
        now.set(T0.plusSeconds(2));

        lanes.admit("flood", new Op("beyond", "flood/beyond"));

        assertThat(events).contains("defer beyond");
    }

    @Test
    void belowTheHighWaterALaneDefersOnlyWhenFull() {
        Lanes lanes = lanes(100, 60, 2);
        admitHeld(lanes, "slow-a", 60);
        admitHeld(lanes, "slow-b", 19);
        lanes.admit("slow-a", new Op("a-new", "slow-a/new"));

        // the full lane defers its new object; the lane below its bound takes every operation
        assertThat(lanes.size()).isEqualTo(80);
        assertThat(lanes.size("slow-b")).isEqualTo(19);
        assertThat(events).filteredOn(e -> e.startsWith("defer")).containsExactly("defer a-new");
    }

    @Test
    void roomStopsAtTheHighWaterOrTheShareSoReleasedOperationsDoNotRefillASlowLane() {
        Lanes lanes = lanes(100, 60, 2);
        admitHeld(lanes, "slow-a", 30);
        assertThat(lanes.room("slow-a")).isEqualTo(30);
        assertThat(lanes.room("other")).isEqualTo(50);
        admitHeld(lanes, "slow-b", 50);
        assertThat(lanes.size()).isEqualTo(80);

        // at the high-water: share = min(80 / 2, 100 - 80) = 20 for a lane in, min(80 / 3, 20) = 20 for a new one
        assertThat(lanes.room("slow-a")).isZero();
        assertThat(lanes.room("slow-b")).isZero();
        assertThat(lanes.room("other")).isEqualTo(20);
    }

    @Test
    void anObjectsOperationsRunInOrderAndOtherObjectsRunMeanwhile() {
        Lanes lanes = lanes(100, 10);
        Op a1 = new Op("a1", "job/a");
        Op a2 = new Op("a2", "job/a");
        Op b1 = new Op("b1", "job/b");

        lanes.admit("tenant", a1);
        lanes.admit("tenant", a2);
        lanes.admit("tenant", b1);
        assertThat(events).containsExactly("run a1", "run b1");

        a1.finish();
        assertThat(events).containsExactly("run a1", "run b1", "run a2");
    }

    @Test
    void aTenantWhoseOperationsNeverFinishHoldsBackNoOtherTenant() {
        Lanes lanes = lanes(100, 2);
        List<Op> slow = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Op op = new Op("slow" + i, "job-s/u" + i);
            slow.add(op);
            lanes.admit("slow-tenant", op);
        }
        List<Op> fast = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Op op = new Op("fast" + i, "job-f/u" + i);
            fast.add(op);
            lanes.admit("fast-tenant", op);
            op.finish();
        }

        assertThat(events).filteredOn(e -> e.startsWith("run fast")).hasSize(5);
        assertThat(events).filteredOn(e -> e.startsWith("run slow")).containsExactly("run slow0", "run slow1");
        assertThat(lanes.size("fast-tenant")).isZero();
        assertThat(lanes.size("slow-tenant")).isEqualTo(5);
    }

    @Test
    void aFullLaneDefersNewObjectsButAnObjectItHoldsKeepsItsOrder() {
        Lanes lanes = lanes(2, 10);
        Op a1 = new Op("a1", "job/a");
        Op b1 = new Op("b1", "job/b");
        Op c1 = new Op("c1", "job/c");
        Op a2 = new Op("a2", "job/a");

        lanes.admit("tenant", a1);
        lanes.admit("tenant", b1);
        lanes.admit("tenant", c1);
        lanes.admit("tenant", a2);

        assertThat(events).containsExactly("run a1", "run b1", "defer c1");
        assertThat(lanes.room("tenant")).isZero();
        a1.finish();
        assertThat(events).endsWith("run a2");
    }

    @Test
    void operationsThatWaitedTooLongAreDeferredWithTheirObjectsLaterOnesButARunningObjectKeepsItsOwn() {
        Lanes lanes = lanes(100, 1);
        Op a1 = new Op("a1", "job/a");
        Op a2 = new Op("a2", "job/a");
        Op b1 = new Op("b1", "job/b");
        Op b2 = new Op("b2", "job/b");
        lanes.admit("tenant", a1);
        lanes.admit("tenant", a2);
        lanes.admit("tenant", b1);
        lanes.admit("tenant", b2);
        now.set(T0.plus(Duration.ofMinutes(4)));
        Op c1 = new Op("c1", "job/c");
        lanes.admit("tenant", c1);

        now.set(T0.plus(Duration.ofMinutes(6)));
        int deferred = lanes.sweep();

        assertThat(deferred).isEqualTo(2);
        assertThat(events).containsExactly("run a1", "defer b1");
        b1.finish();
        assertThat(events).containsExactly("run a1", "defer b1", "defer b2");
        // c1 was ready before a2 (a2 only when a1 finished): c1 takes the free slot first
        a1.finish();
        assertThat(events).containsExactly("run a1", "defer b1", "defer b2", "run c1");
        c1.finish();
        assertThat(events).endsWith("run a2");
    }

    @Test
    void roomIsWhatTheLaneHoldsLessWhatItHas() {
        Lanes lanes = lanes(10, 1);
        assertThat(lanes.room("tenant")).isEqualTo(10);
        Op a1 = new Op("a1", "job/a");
        lanes.admit("tenant", a1);
        lanes.admit("tenant", new Op("b1", "job/b"));
        assertThat(lanes.room("tenant")).isEqualTo(8);
        assertThat(lanes.size()).isEqualTo(2);
    }

    @Test
    void withEverySlotTakenAHeadToDeferStartsAtOnceAndTheWaitingHeadsRunInTheOrderTheyBecameReady() {
        Lanes lanes = lanes(1_000, 2);
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            Op op = new Op("u" + i, "job/u" + i);
            ops.add(op);
            lanes.admit("tenant", op);
        }
        assertThat(events).containsExactly("run u0", "run u1");

        lanes.admit("tenant", new Op("late", "job/late"));
        now.set(T0.plus(Duration.ofMinutes(6)));
        int deferred = lanes.sweep();

        // the full lane defers the new object at once; the sweep defers the 998 heads that waited for a slot
        assertThat(events).element(2).isEqualTo("defer late");
        assertThat(deferred).isEqualTo(998);
        assertThat(events).hasSize(1_001).endsWith("defer u999");
        ops.get(0).finish();
        assertThat(events).hasSize(1_001);
    }

    @Test
    void manyObjectsFinishingInAnyOrderKeepEachObjectsOrderAndNeverExceedTheSlots() {
        int slots = 4;
        Lanes lanes = lanes(10_000, slots);
        Map<String, List<String>> ranPerKey = new HashMap<>();
        List<Op> running = new ArrayList<>();
        int[] peak = {0};
        final class Counted extends Op {
            Counted(String name, String key) {
                super(name, key);
            }

            @Override
            public Uni<Void> run() {
                running.add(this);
                peak[0] = Math.max(peak[0], running.size());
                ranPerKey.computeIfAbsent(key, k -> new ArrayList<>()).add(name);
                return super.run();
            }
        }
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < 300; i++) {
                lanes.admit("tenant", new Counted("u" + i + "#" + step, "job/u" + i));
            }
        }
        Random random = new Random(13);
        while (!running.isEmpty()) {
            running.remove(random.nextInt(running.size())).finish();
        }

        assertThat(lanes.size()).isZero();
        assertThat(peak[0]).isEqualTo(slots);
        assertThat(ranPerKey).hasSize(300);
        ranPerKey.forEach((key, names) -> {
            String object = key.substring("job/".length());
            assertThat(names).containsExactly(object + "#0", object + "#1", object + "#2");
        });
    }

    @Test
    void roomsReservedForReleasedOperationsAreNotGivenToNewObjectsAndTheReleasedOnesRunWhenTheyArrive() {
        Lanes lanes = lanes(10, 1);
        admitHeld(lanes, "tenant", 6);
        assertThat(lanes.room("tenant")).isEqualTo(4);

        lanes.reserve("tenant", List.of("tenant/r1", "tenant/r2", "tenant/r3", "tenant/r4"));
        assertThat(lanes.room("tenant")).isZero();
        Op fresh = new Op("new", "tenant/new");
        lanes.admit("tenant", fresh);
        fresh.finish();
        for (int i = 1; i <= 4; i++) {
            lanes.admit("tenant", new Op("r" + i, "tenant/r" + i));
        }

        // the new object arriving before them is deferred; each released one takes back its room and waits its turn
        assertThat(events).filteredOn(e -> e.startsWith("defer")).containsExactly("defer new");
        assertThat(lanes.size("tenant")).isEqualTo(10);
        assertThat(lanes.reserved("tenant")).isZero();
    }

    @Test
    void aReservationLapsesWhenItsOperationDoesNotArriveInTime() {
        Lanes lanes = lanes(10, 1);
        lanes.reserve("tenant", List.of("tenant/elsewhere1", "tenant/elsewhere2"));
        assertThat(lanes.room("tenant")).isEqualTo(8);

        now.set(T0.plus(RESERVATION));
        assertThat(lanes.reserved("tenant")).isZero();
        assertThat(lanes.room("tenant")).isEqualTo(10);
    }

    @Test
    void reservedRoomsCountTowardsTheHighWaterAndTheShare() {
        // admission limit 100 (high-water 80), a lane holds 60, 2 objects at once
        Lanes lanes = lanes(100, 60, 2);
        admitHeld(lanes, "slow-a", 40);
        admitHeld(lanes, "slow-b", 30);
        lanes.reserve("slow-b", List.of("slow-b/r1", "slow-b/r2", "slow-b/r3", "slow-b/r4", "slow-b/r5", "slow-b/r6",
                "slow-b/r7", "slow-b/r8", "slow-b/r9", "slow-b/r10"));

        // 70 in the lanes and 10 reserved reach the high-water: slow-a holds its share (min(80 / 2, 20) = 20) or more
        lanes.admit("slow-a", new Op("a-new", "slow-a/new"));
        assertThat(events).filteredOn(e -> e.startsWith("defer")).containsExactly("defer a-new");
    }

    @Test
    void everyOperationDoneIsToldToTheListenerWithWhetherItWasDeferred() {
        Lanes lanes = lanes(1, 1);
        List<String> told = new ArrayList<>();
        lanes.listen((tenant, deferred) -> told.add(tenant + (deferred ? " deferred" : " done")));
        Op a = new Op("a", "job/a");
        lanes.admit("tenant", a);
        Op b = new Op("b", "job/b");
        lanes.admit("tenant", b);

        b.finish();
        a.finish();
        assertThat(told).containsExactly("tenant deferred", "tenant done");
    }
}
