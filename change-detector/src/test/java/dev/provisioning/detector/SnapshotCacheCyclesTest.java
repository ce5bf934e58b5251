package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.detector.TestJobs.result;
import static dev.provisioning.detector.TestJobs.send;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.cycle.CyclePlan;
import dev.provisioning.detector.cycle.SnapshotCache;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * Issue 13 (F3): a job's cycles take its snapshot from memory while nobody else wrote it, and load it again when
 * another writer moved it between two cycles (another replica's cycle through the repository, or any write that moves
 * the generation): the cache never makes a cycle miss a change. Real cycles (every 5 s), database and broker.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class SnapshotCacheCyclesTest {

    static TopicClient kafka;

    @Inject
    SnapshotCache cache;
    @Inject
    SnapshotRepository snapshots;
    @Inject
    Pool pool;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    @Test
    void aSnapshotWrittenElsewhereBetweenTwoCyclesIsLoadedAgain(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(3, 3));
        // cycles every second (detector.min-cycle-interval in the tests): the test waits for six of them
        Map<String, Object> job = new HashMap<>(job(file, "On", "cache-token-" + System.nanoTime()));
        job.put("cycleInterval", "PT1S");
        String jobId = create(job);
        List<AssignmentEvent> first = events(kafka, jobId, 3, e -> true);
        first.forEach(e -> send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201)));
        reusedAndAsStored(jobId);

        // another replica's cycle removes u1 from the snapshot: the next cycle here loads it again, so u1 is a change
        SnapshotRepository.Watermark before = snapshots.watermark(jobId).await().atMost(Waits.OUTCOME);
        snapshots.apply(jobId, Map.of(), Map.of(), Set.of("u1"), before.sourceVersion()).await()
                .atMost(Waits.OUTCOME);
        AssignmentEvent u1 = events(kafka, jobId, 1,
                e -> e.objectId().equals("u1") && !e.cycleId().equals(first.get(0).cycleId())).get(0);
        assertThat(u1.change()).isEqualTo(ChangeKind.UPDATED);
        send(kafka, result(u1, ProvisioningAction.Update, ProvisioningStatus.Success, null, 200));
        reusedAndAsStored(jobId);

        // any other write that moves the generation: u2's stored state is not its state in the source any more
        pool.withTransaction(c -> c.preparedQuery("UPDATE source_snapshot SET state_hash = 'written elsewhere' "
                + "WHERE job_id=$1 AND object_id='u2'").execute(Tuple.of(jobId))
                .chain(() -> c.preparedQuery("UPDATE snapshot_generation SET generation = "
                        + "nextval('snapshot_generation_seq') WHERE job_id=$1").execute(Tuple.of(jobId))))
                .await().atMost(Waits.OUTCOME);
        AssignmentEvent u2 = events(kafka, jobId, 1, e -> e.objectId().equals("u2")
                && !e.cycleId().equals(first.get(0).cycleId())).get(0);
        assertThat(u2.change()).isEqualTo(ChangeKind.UPDATED);
        assertThat(u2.cycleId()).isNotEqualTo(u1.cycleId());
        send(kafka, result(u2, ProvisioningAction.Update, ProvisioningStatus.Success, null, 200));
        reusedAndAsStored(jobId);

        // deleting the job drops its snapshot here
        given().delete("/jobs/" + jobId).then().statusCode(204);
        assertThat(cache.kept(jobId)).isEmpty();
    }

    @Test
    void everyWriteOfTheSnapshotMovesItsGenerationAndTheMirrorInMemoryIsTheTable(@TempDir Path dir) {
        String jobId = create(job(dir.resolve("d.json"), "Off", "cache-token-" + System.nanoTime()));
        assertThat(snapshots.watermark(jobId).await().atMost(Waits.OUTCOME))
                .isEqualTo(SnapshotRepository.Watermark.NONE);
        SnapshotRepository.Snapshot mirrored = snapshots.load(jobId).await().atMost(Waits.OUTCOME);

        List<Map<ObjectType, Map<String, String>>> upserts = List.of(
                Map.of(ObjectType.USER, Map.of("u1", "h1", "u2", "h2", "x", "hx"), ObjectType.GROUP,
                        Map.of("g1", "hg1")),
                // u1 changes and loses its name, x becomes a group, g1 goes
                Map.of(ObjectType.USER, Map.of("u1", "h1b"), ObjectType.GROUP, Map.of("x", "hx2")));
        List<Map<String, String>> names = List.of(Map.of("u1", "User 1", "u2", "User 2", "x", "X", "g1", "G1"),
                Map.of("x", "X as a group"));
        List<Set<String>> removals = List.of(Set.of(), Set.of("g1"));
        long generation = 0;
        for (int i = 0; i < upserts.size(); i++) {
            SnapshotRepository.Moved moved = snapshots.apply(jobId, upserts.get(i), names.get(i), removals.get(i),
                    "version " + i).await().atMost(Waits.OUTCOME);
            assertThat(moved.previous()).isEqualTo(generation);
            assertThat(moved.generation()).isGreaterThan(generation);
            generation = moved.generation();
            SnapshotRepository.mirror(mirrored, upserts.get(i), names.get(i), removals.get(i));
            assertThat(mirrored).isEqualTo(snapshots.load(jobId).await().atMost(Waits.OUTCOME));
            assertThat(snapshots.watermark(jobId).await().atMost(Waits.OUTCOME))
                    .isEqualTo(new SnapshotRepository.Watermark(generation, "version " + i));
        }
        assertThat(mirrored.users()).containsOnlyKeys("u1", "u2");
        assertThat(mirrored.groups()).containsOnlyKeys("x");
        assertThat(mirrored.names()).containsOnlyKeys("u2", "x");

        // nothing but a new source version: the generation stays
        SnapshotRepository.Moved versionOnly = snapshots.apply(jobId, Map.of(), Map.of(), Set.of(), "version 2")
                .await().atMost(Waits.OUTCOME);
        assertThat(versionOnly).isEqualTo(new SnapshotRepository.Moved(generation, generation));
        // a restart's clear moves it, and the snapshot reflects no version any more
        snapshots.clear(jobId).await().atMost(Waits.OUTCOME);
        SnapshotRepository.Watermark cleared = snapshots.watermark(jobId).await().atMost(Waits.OUTCOME);
        assertThat(cleared.generation()).isGreaterThan(generation);
        assertThat(cleared.sourceVersion()).isNull();
        assertThat(snapshots.load(jobId).await().atMost(Waits.OUTCOME).contains("u1")).isFalse();
    }

    /**
     * Issue 13: a cycle's changes are written a few rows per statement ({@code detector.snapshot-rows-per-statement}, 3
     * in the tests; 2,000 in production), one statement after the other in one transaction, so that a 100,000-object
     * write holds no 100,000-row statement: a write of more rows than a statement takes stores each of them, an object
     * listed under both types takes the last type's state, an object both changed and removed is removed, and the table
     * is what the mirror in memory makes of the same changes.
     */
    @Test
    void aWriteOfMoreRowsThanAStatementTakesStoresEveryChange(@TempDir Path dir) {
        String jobId = create(job(dir.resolve("d.json"), "Off", "cache-token-" + System.nanoTime()));
        SnapshotRepository.Snapshot mirrored = snapshots.load(jobId).await().atMost(Waits.OUTCOME);
        Map<String, String> users = new LinkedHashMap<>();
        Map<String, String> names = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            users.put("u" + i, "h" + i);
            names.put("u" + i, "User " + i);
        }
        Map<ObjectType, Map<String, String>> upserts = new LinkedHashMap<>();
        upserts.put(ObjectType.USER, users);
        upserts.put(ObjectType.GROUP, Map.of("g1", "hg1", "u4", "hu4 as a group"));
        SnapshotRepository.Moved first = snapshots.apply(jobId, upserts, names, Set.of("u7"), "version 0").await()
                .atMost(Waits.OUTCOME);
        SnapshotRepository.mirror(mirrored, upserts, names, Set.of("u7"));
        SnapshotRepository.Snapshot stored = snapshots.load(jobId).await().atMost(Waits.OUTCOME);
        assertThat(stored.users()).containsOnlyKeys("u0", "u1", "u2", "u3", "u5", "u6", "u8", "u9")
                .containsEntry("u9", "h9");
        assertThat(stored.groups()).isEqualTo(Map.of("g1", "hg1", "u4", "hu4 as a group"));
        assertThat(stored.names()).containsEntry("u4", "User 4").doesNotContainKey("u7").hasSize(9);
        assertThat(stored).isEqualTo(mirrored);

        // removals over two statements, with an upsert before them
        Map<ObjectType, Map<String, String>> second = Map.of(ObjectType.USER, Map.of("u0", "h0b"));
        Set<String> removals = Set.of("u1", "u2", "u3", "u5", "g1");
        SnapshotRepository.Moved moved = snapshots.apply(jobId, second, Map.of(), removals, "version 1").await()
                .atMost(Waits.OUTCOME);
        assertThat(moved.previous()).isEqualTo(first.generation());
        assertThat(moved.refused()).isEmpty();
        SnapshotRepository.mirror(mirrored, second, Map.of(), removals);
        stored = snapshots.load(jobId).await().atMost(Waits.OUTCOME);
        assertThat(stored.users()).isEqualTo(Map.of("u0", "h0b", "u6", "h6", "u8", "h8", "u9", "h9"));
        assertThat(stored.groups()).isEqualTo(Map.of("u4", "hu4 as a group"));
        assertThat(stored).isEqualTo(mirrored);
    }

    /**
     * Issue 13: a cycle's snapshot changes are written in one statement each (upserts, removals); an object whose row
     * the database refuses (a NUL character in its name: SQLSTATE 22021) is left as it was and named in the answer,
     * and every other change of the batch is stored, with the generation moved and the source version recorded. The
     * cache keeps nothing then (the table is not what the plan would make of it): the next cycle loads the stored
     * snapshot at the generation the halves left, so it finds the refused object changed again and nothing else, and
     * its own write, which replaces that generation, is kept in memory again. A batch whose every change is refused
     * stores nothing and leaves the generation, and records the source version.
     */
    @Test
    void anObjectTheDatabaseRefusesIsLeftAsItWasAndTheRestOfTheBatchIsStored(@TempDir Path dir) {
        String jobId = create(job(dir.resolve("d.json"), "Off", "cache-token-" + System.nanoTime()));
        Map<String, String> users = new HashMap<>();
        Map<String, String> names = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            users.put("u" + i, "h" + i);
            names.put("u" + i, "User " + i);
        }
        SnapshotRepository.Moved first = snapshots.apply(jobId, Map.of(ObjectType.USER, users), names, Set.of(),
                "version 0").await().atMost(Waits.OUTCOME);
        assertThat(first.refused()).isEmpty();

        Map<String, String> changed = new HashMap<>();
        Map<String, String> changedNames = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            changed.put("u" + i, "h" + i + "b");
            changedNames.put("u" + i, "User " + i + " renamed");
        }
        changedNames.put("u17", "User\u0000 17");
        changed.put("new", "hnew");
        // as a cycle does: the snapshot taken, the changes applied, the snapshot given back
        SnapshotCache.Basis refusedCycle = cache.take(jobId).await().atMost(Waits.OUTCOME);
        CyclePlan plan = new CyclePlan(List.of(), Map.of(ObjectType.USER, changed), changedNames, Set.of("u35", "u36"));
        SnapshotRepository.Moved moved = snapshots.apply(jobId, plan.snapshotUpserts(), plan.snapshotNames(),
                plan.snapshotRemovals(), "version 1").await().atMost(Waits.OUTCOME);
        assertThat(cache.keep(jobId, refusedCycle, moved, plan)).as("kept after a refusal").isZero();

        assertThat(moved.refused()).containsExactly("u17");
        SnapshotRepository.Snapshot stored = snapshots.load(jobId).await().atMost(Waits.OUTCOME);
        assertThat(stored.users()).hasSize(40 + 1 - 2).containsEntry("u17", "h17").containsEntry("u16", "h16b")
                .containsEntry("u18", "h18b").containsEntry("new", "hnew").containsEntry("u39", "h39")
                .doesNotContainKeys("u35", "u36");
        assertThat(stored.names()).containsEntry("u17", "User 17").containsEntry("u29", "User 29 renamed");
        assertThat(snapshots.watermark(jobId).await().atMost(Waits.OUTCOME))
                .isEqualTo(new SnapshotRepository.Watermark(moved.generation(), "version 1"));
        assertThat(moved.generation()).isGreaterThan(first.generation());
        // written in several transactions with nobody in between: it replaced the first write's generation
        assertThat(moved.previous()).isEqualTo(first.generation());

        // the next cycle works from the stored snapshot at the generation the halves left: only u17 differs from the
        // source (h17b), its only change
        SnapshotCache.Basis next = cache.take(jobId).await().atMost(Waits.OUTCOME);
        assertThat(next.reused()).as("loaded from the table").isZero();
        assertThat(next.generation()).isEqualTo(moved.generation());
        assertThat(next.snapshot()).isEqualTo(stored);
        Map<String, String> source = new HashMap<>(users);
        source.putAll(changed);
        source.keySet().removeAll(Set.of("u35", "u36"));
        assertThat(source.entrySet()).filteredOn(e -> !e.getValue().equals(next.snapshot().users().get(e.getKey())))
                .extracting(Map.Entry::getKey).containsExactly("u17");
        // its write (the name repaired) replaces that generation: nobody else wrote, so the snapshot is kept again
        CyclePlan repaired = new CyclePlan(List.of(), Map.of(ObjectType.USER, Map.of("u17", "h17b")),
                Map.of("u17", "User 17 renamed"), Set.of());
        SnapshotRepository.Moved after = snapshots.apply(jobId, repaired.snapshotUpserts(), repaired.snapshotNames(),
                Set.of(), "version 2").await().atMost(Waits.OUTCOME);
        assertThat(after.refused()).isEmpty();
        assertThat(after.previous()).isEqualTo(moved.generation());
        assertThat(cache.keep(jobId, next, after, repaired)).isEqualTo(after.generation());
        assertThat(cache.kept(jobId).orElseThrow().snapshot())
                .isEqualTo(snapshots.load(jobId).await().atMost(Waits.OUTCOME));
        assertThat(cache.kept(jobId).orElseThrow().snapshot().users()).isEqualTo(source);

        // a batch whose every change is refused: nothing stored, the generation stays, the source version recorded
        SnapshotRepository.Moved none = snapshots.apply(jobId, Map.of(ObjectType.USER, Map.of("u1", "h1c")),
                Map.of("u1", "User\u0000 1"), Set.of(), "version 3").await().atMost(Waits.OUTCOME);
        assertThat(none).isEqualTo(new SnapshotRepository.Moved(after.generation(), after.generation(),
                List.of("u1")));
        assertThat(snapshots.watermark(jobId).await().atMost(Waits.OUTCOME))
                .isEqualTo(new SnapshotRepository.Watermark(after.generation(), "version 3"));
        assertThat(snapshots.load(jobId).await().atMost(Waits.OUTCOME).users()).containsEntry("u1", "h1b");

        // the generation's own write refused (a source version longer than its column) is no object's refusal: the
        // call fails, and nothing is stored
        assertThatThrownBy(() -> snapshots.apply(jobId, Map.of(ObjectType.USER, Map.of("u2", "h2c")), Map.of(),
                Set.of(), "v".repeat(513)).await().atMost(Waits.OUTCOME))
                .hasMessageContaining("refused the snapshot generation's write");
        assertThat(snapshots.load(jobId).await().atMost(Waits.OUTCOME).users()).containsEntry("u2", "h2b");
        assertThat(snapshots.watermark(jobId).await().atMost(Waits.OUTCOME))
                .isEqualTo(new SnapshotRepository.Watermark(after.generation(), "version 3"));
    }

    /**
     * Waits until a cycle of the job took its snapshot from the cache and gave it back, and checks that the kept
     * snapshot is the stored one at the stored generation (the cycles' changes applied in memory as in the table).
     */
    private void reusedAndAsStored(String jobId) {
        await().atMost(Waits.OUTCOME).untilAsserted(() -> {
            // out of the cache while a cycle holds it: an assertion, so that the wait goes on
            Optional<SnapshotCache.Kept> held = cache.kept(jobId);
            assertThat(held).isPresent();
            SnapshotCache.Kept kept = held.get();
            assertThat(kept.reused()).isPositive();
            assertThat(kept.generation())
                    .isEqualTo(snapshots.watermark(jobId).await().atMost(Waits.OUTCOME).generation());
            // in the same wait: the job's next cycle (a second later) may take the snapshot out again at any time
            SnapshotRepository.Snapshot stored = snapshots.load(jobId).await().atMost(Waits.OUTCOME);
            assertThat(kept.snapshot().users()).isEqualTo(stored.users()).isNotEmpty();
            assertThat(kept.snapshot().groups()).isEqualTo(stored.groups());
            assertThat(kept.snapshot().names()).isEqualTo(stored.names()).isNotEmpty();
        });
    }
}
