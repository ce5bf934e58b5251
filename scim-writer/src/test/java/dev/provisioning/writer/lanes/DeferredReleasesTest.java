package dev.provisioning.writer.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;

class DeferredReleasesTest {

    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    /** An operation of a new object whose work completes when the test says so. */
    private static final class Op implements Lanes.Item {
        final String key;
        final CompletableFuture<Void> work = new CompletableFuture<>();

        Op(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public Instant admittedAt() {
            return T0;
        }

        @Override
        public Uni<Void> run() {
            return Uni.createFrom().completionStage(work);
        }

        @Override
        public Uni<Void> defer() {
            return Uni.createFrom().voidItem();
        }
    }

    /** A release the test completes: it reserves the rooms of what it claims, as the scheduler does. */
    private static final class Claims implements DeferredReleases.Release {
        final Lanes lanes;
        final List<Integer> asked = new ArrayList<>();
        final List<CompletableFuture<Integer>> pending = new ArrayList<>();
        int released;

        Claims(Lanes lanes) {
            this.lanes = lanes;
        }

        @Override
        public Uni<Integer> release(String tenant, int limit) {
            asked.add(limit);
            CompletableFuture<Integer> claimed = new CompletableFuture<>();
            pending.add(claimed);
            return Uni.createFrom().completionStage(claimed);
        }

        /** The release in flight claims {@code n} (and reserves their rooms). */
        void claim(String tenant, int n) {
            lanes.reserve(tenant, IntStream.range(released, released + n).mapToObj(i -> tenant + "/r" + i).toList());
            released += n;
            pending.remove(0).complete(n);
        }
    }

    private Lanes lanes;
    private Claims claims;
    private DeferredReleases releases;
    /** The operations filling the lane, the first {@code objectsPerTenant} running. */
    private List<Op> ops;

    /**
     * A lane of 10 full of operations of a tenant with deferred operations, running {@code objectsPerTenant} at once
     * (the release batch is half of that). Its operations finish all at the same instant here, which would make it a
     * lane that keeps up; it never keeps a new object beyond its rooms (soon: 0), so that these tests see the releases
     * alone.
     */
    private void fullLaneWithDeferred(int objectsPerTenant) {
        lanes = new Lanes(1_000, 10, objectsPerTenant, Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ZERO,
                tenant -> true, () -> T0);
        claims = new Claims(lanes);
        releases = new DeferredReleases(lanes, claims);
        lanes.listen(releases);
        ops = IntStream.range(0, 10).mapToObj(i -> new Op("tenant/u" + i)).toList();
        ops.forEach(op -> lanes.admit("tenant", op));
        releases.deferred("tenant");
    }

    @Test
    void operationsDoneInALaneReleaseItsDeferredOnesIntoTheRoomLeftOneReleaseAtATime() {
        fullLaneWithDeferred(2);
        assertThat(claims.asked).as("a full lane releases nothing").isEmpty();

        ops.get(0).work.complete(null);
        ops.get(1).work.complete(null);
        ops.get(2).work.complete(null);

        // the first done starts a release of its room; the others come while it is in flight
        assertThat(claims.asked).containsExactly(1);
        assertThat(releases.releasing("tenant")).isTrue();
        claims.claim("tenant", 1);
        // it claimed all it asked for: the next one takes the room left, less the room reserved for the first
        assertThat(claims.asked).containsExactly(1, 2);
        claims.claim("tenant", 2);
        assertThat(lanes.room("tenant")).isZero();
        assertThat(claims.asked).hasSize(2);
    }

    @Test
    void aTenantWhoseReleaseClaimedLessThanItAskedHasNothingMoreToReleaseUntilItDefersAgain() {
        fullLaneWithDeferred(2);
        ops.get(0).work.complete(null);
        ops.get(1).work.complete(null);
        claims.claim("tenant", 1);
        claims.claim("tenant", 0);

        ops.get(2).work.complete(null);
        assertThat(claims.asked).as("nothing is due: no claim per operation done").containsExactly(1, 1);

        // three new objects: two fill the lane, the third is deferred; the next operation done releases it
        for (int i = 0; i < 3; i++) {
            lanes.admit("tenant", new Op("tenant/late" + i));
        }
        assertThat(claims.asked).containsExactly(1, 1);
        ops.get(3).work.complete(null);
        assertThat(claims.asked).containsExactly(1, 1, 1);
    }

    @Test
    void anOperationDeferredWhileAReleaseIsInFlightIsReleasedAfterIt() {
        fullLaneWithDeferred(2);
        ops.get(0).work.complete(null);
        ops.get(1).work.complete(null);
        releases.deferred("tenant");

        // it found nothing due yet, but an operation was deferred meanwhile: the room left (2) is released
        claims.claim("tenant", 0);
        assertThat(claims.asked).containsExactly(1, 2);
    }

    @Test
    void aReleaseWaitsForHalfAnEmptyLanesRoomSoItIsNotOneClaimPerOperation() {
        fullLaneWithDeferred(8);

        for (int i = 0; i < 3; i++) {
            ops.get(i).work.complete(null);
        }
        assertThat(claims.asked).isEmpty();
        ops.get(3).work.complete(null);
        assertThat(claims.asked).containsExactly(4);
    }

    @Test
    void aFailedReleaseLeavesTheTenantToTheTimer() {
        fullLaneWithDeferred(2);
        ops.get(0).work.complete(null);
        claims.pending.remove(0).completeExceptionally(new IllegalStateException("database down"));

        ops.get(1).work.complete(null);
        assertThat(claims.asked).containsExactly(1);
        releases.deferred("tenant");
        assertThat(claims.asked).containsExactly(1, 2);
    }
}
