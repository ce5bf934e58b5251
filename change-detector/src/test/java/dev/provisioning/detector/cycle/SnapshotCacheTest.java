package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.persistence.SnapshotRepository.Moved;
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.events.ObjectType;

/**
 * The snapshot cache's bookkeeping (no database: what a cycle gives back and what is kept). That a cycle reloads a
 * snapshot written elsewhere is {@code SnapshotCacheCyclesTest}'s.
 */
class SnapshotCacheTest {

    private static final Duration IDLE = Duration.ofMinutes(15);

    @Test
    void aCycleThatWasTheOnlyWriterKeepsTheSnapshotWithItsChangesAtTheNewGeneration() {
        SnapshotCache cache = new SnapshotCache(null, 100, IDLE);
        SnapshotCache.Basis basis = basis(7, snapshot(Map.of("u1", "h1", "u2", "h2"), Map.of("g1", "hg")));
        CyclePlan plan = new CyclePlan(List.of(),
                Map.of(ObjectType.USER, Map.of("u1", "h1b", "u3", "h3", "g1", "hu"), ObjectType.GROUP, Map.of()),
                Map.of("u3", "User 3"), Set.of("u2"));

        cache.keep("job", basis, new Moved(7, 9), plan);

        SnapshotCache.Kept kept = cache.kept("job").orElseThrow();
        assertThat(kept.generation()).isEqualTo(9);
        // u1 changed and g1 became a user, both without a name now (as the table's display_name); u3 is new with its
        // name; u2 is gone with its name
        assertThat(kept.snapshot().users()).isEqualTo(Map.of("u1", "h1b", "u3", "h3", "g1", "hu"));
        assertThat(kept.snapshot().groups()).isEmpty();
        assertThat(kept.snapshot().names()).isEqualTo(Map.of("u3", "User 3"));
        assertThat(cache.objects()).isEqualTo(3);
    }

    @Test
    void aCycleWhoseSnapshotWasWrittenElsewhereMeanwhileKeepsNothing() {
        SnapshotCache cache = new SnapshotCache(null, 100, IDLE);
        CyclePlan plan = new CyclePlan(List.of(), Map.of(ObjectType.USER, Map.of("u1", "h1b")), Map.of(), Set.of());

        // generation 8 came in between the cycle's load (7) and its write
        cache.keep("job", basis(7, snapshot(Map.of("u1", "h1"), Map.of())), new Moved(8, 9), plan);
        // the job is gone: nothing was written
        cache.keep("gone", basis(7, snapshot(Map.of("u1", "h1"), Map.of())), new Moved(0, 0), plan);
        // a job that never wrote its snapshot and wrote nothing now has no generation to keep it at
        cache.keep("new", basis(0, snapshot(Map.of(), Map.of())));
        // the database refused u1's change: the table still holds h1 for it, not what the plan says
        cache.keep("refused", basis(7, snapshot(Map.of("u1", "h1"), Map.of())), new Moved(7, 9, List.of("u1")), plan);

        assertThat(cache.kept("job")).isEmpty();
        assertThat(cache.kept("gone")).isEmpty();
        assertThat(cache.kept("new")).isEmpty();
        assertThat(cache.kept("refused")).isEmpty();
        assertThat(cache.objects()).isZero();
    }

    @Test
    void theLeastRecentlyUsedSnapshotsMakeRoomAndOneTooLargeIsNeverKept() {
        SnapshotCache cache = new SnapshotCache(null, 5, IDLE);
        cache.keep("a", basis(1, users(2)));
        cache.keep("b", basis(2, users(2)));
        cache.kept("a");
        cache.keep("c", basis(3, users(2)));

        // b was used least recently
        assertThat(cache.kept("b")).isEmpty();
        assertThat(cache.kept("a")).isPresent();
        assertThat(cache.kept("c")).isPresent();
        assertThat(cache.objects()).isEqualTo(4);

        cache.keep("d", basis(4, users(6)));
        assertThat(cache.kept("d")).isEmpty();
        // a cycle that gives back a grown snapshot replaces its own
        cache.keep("a", basis(5, users(3)));
        assertThat(cache.kept("a").orElseThrow().generation()).isEqualTo(5);
        assertThat(cache.objects()).isEqualTo(5);
    }

    @Test
    void snapshotsNoCycleUsedForTheIdleTimeAreDropped() {
        SnapshotCache cache = new SnapshotCache(null, 100, IDLE);
        cache.keep("old", basis(1, users(2)));
        long keptAt = cache.kept("old").orElseThrow().keptAt();

        cache.dropIdle(keptAt + IDLE.toNanos() - 1);
        assertThat(cache.kept("old")).isPresent();
        cache.dropIdle(keptAt + IDLE.toNanos());
        assertThat(cache.kept("old")).isEmpty();
        assertThat(cache.objects()).isZero();
    }

    @Test
    void aDeletedJobsSnapshotIsForgotten() {
        SnapshotCache cache = new SnapshotCache(null, 0, IDLE);
        cache.keep("none", basis(1, users(1)));
        assertThat(cache.kept("none")).as("max-objects 0 keeps none").isEmpty();

        SnapshotCache other = new SnapshotCache(null, 100, IDLE);
        other.keep("job", basis(1, users(1)));
        other.forget("job");
        assertThat(other.kept("job")).isEmpty();
        assertThat(other.objects()).isZero();
    }

    private static SnapshotCache.Basis basis(long generation, Snapshot snapshot) {
        return new SnapshotCache.Basis(generation, snapshot, null, 0);
    }

    private static Snapshot users(int n) {
        Map<String, String> users = new HashMap<>();
        for (int i = 0; i < n; i++) {
            users.put("u" + i, "h" + i);
        }
        return snapshot(users, Map.of());
    }

    /** A snapshot as {@link SnapshotRepository#load} answers it: mutable maps, every object named. */
    private static Snapshot snapshot(Map<String, String> users, Map<String, String> groups) {
        Map<String, String> names = new HashMap<>();
        users.keySet().forEach(id -> names.put(id, "name " + id));
        groups.keySet().forEach(id -> names.put(id, "name " + id));
        return new Snapshot(new HashMap<>(users), new HashMap<>(groups), names);
    }
}
