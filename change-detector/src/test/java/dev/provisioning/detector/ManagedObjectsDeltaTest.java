package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.cycle.CyclePlan;
import dev.provisioning.detector.cycle.CyclePlanner;
import dev.provisioning.detector.cycle.ManagedObjectsCache;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.ManagedObjectRepository;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectoryFileSource;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * Issue 13 (D4): the managed objects a replica keeps between cycles are brought up to date by what changed since its
 * last read (the rows written and the removals made since its version), whoever recorded the results: through
 * hundreds of random result batches recorded as the results consumer records them (creates, updates, deletes, an
 * object created and deleted in one batch, failures, redeliveries), two replicas' caches read only the delta yet hold
 * exactly what a full read holds and plan exactly what a cold cycle plans. When the delta cannot show what changed
 * (removals purged past the kept version, the job's versions restarted, the version row gone), the cache reads in
 * full. Real database; the job is off, so no cycle of its own runs.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class ManagedObjectsDeltaTest {

    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    @Inject
    ManagedObjectsCache replicaA;
    @Inject
    ManagedObjectRepository managed;
    @Inject
    ProvisioningLogRepository log;
    @Inject
    DetectorConfig config;
    @Inject
    Pool pool;

    private final Random random = new Random(13);
    private int results;

    @Test
    void cyclesAfterResultsReadOnlyTheDeltaAndPlanAsColdCyclesThroughRandomBatches(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(60, 40));
        String jobId = create(job(file, "Off", "delta-token-" + System.nanoTime()));
        Directory directory = new DirectoryFileSource(file).read();
        ManagedObjectsCache replicaB = new ManagedObjectsCache(managed, config);
        List<ManagedObjectsCache> replicas = List.of(replicaA, replicaB);
        List<Set<String>> touched = List.of(new HashSet<>(), new HashSet<>());
        boolean[] kept = new boolean[2];
        List<ProvisioningResult> recorded = new ArrayList<>();
        int deltas = 0;
        for (int step = 0; step < 300; step++) {
            List<ProvisioningResult> batch = new ArrayList<>();
            for (int k = 1 + random.nextInt(8); k > 0; k--) {
                if (!recorded.isEmpty() && random.nextInt(8) == 0) {
                    batch.add(recorded.get(random.nextInt(recorded.size()))); // a redelivery
                } else {
                    batch.add(randomResult(jobId, step));
                }
            }
            if (random.nextInt(10) == 0) {
                // an object created and deleted in one batch (two cycles), or deleted and created again
                String id = "u" + random.nextInt(80);
                boolean createFirst = random.nextBoolean();
                batch.add(result(jobId, "x" + step, id, createFirst
                        ? ProvisioningAction.Create
                        : ProvisioningAction.Delete, ProvisioningStatus.Success));
                batch.add(result(jobId, "y" + step, id, createFirst
                        ? ProvisioningAction.Delete
                        : ProvisioningAction.Create, ProvisioningStatus.Success));
            }
            log.recordAll(batch).await().atMost(Waits.OUTCOME);
            recorded.addAll(batch);
            batch.forEach(r -> touched.forEach(t -> t.add(r.objectId())));
            if (random.nextInt(3) != 0) {
                continue;
            }
            int r = random.nextInt(2);
            ManagedObjectsCache.Taken taken = replicas.get(r).take(jobId).await().atMost(Waits.OUTCOME);
            Map<String, ObjectType> cold = managed.all(jobId).await().atMost(Waits.OUTCOME).objects();
            assertThat(taken.objects()).as("replica %d at step %d", r, step).isEqualTo(cold);
            if (kept[r]) {
                assertThat(taken.delta()).as("replica %d at step %d reads the delta", r, step).isTrue();
                assertThat(taken.changed()).as("replica %d at step %d reads only objects written since", r, step)
                        .isLessThanOrEqualTo(touched.get(r).size());
                deltas++;
            } else {
                assertThat(taken.delta()).isFalse();
            }
            boolean full = step % 2 == 0;
            CyclePlan warm = CyclePlanner.plan(jobId, "c" + step, full, ProvisioningScope.ASSIGNED_ONLY, directory,
                    Snapshot.EMPTY, taken.objects(), NOW);
            CyclePlan coldPlan = CyclePlanner.plan(jobId, "c" + step, full, ProvisioningScope.ASSIGNED_ONLY,
                    directory, Snapshot.EMPTY, cold, NOW);
            assertThat(warm.events()).as("the plan at step %d", step).isEqualTo(coldPlan.events());
            replicas.get(r).keep(jobId, taken);
            kept[r] = true;
            touched.get(r).clear();
        }
        assertThat(deltas).isGreaterThan(50);
    }

    @Test
    void managedObjectsMovedWhereNoDeltaShowsItAreReadInFull(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(3, 3));
        String jobId = create(job(file, "Off", "delta-fallback-token-" + System.nanoTime()));
        ManagedObjectsCache cache = new ManagedObjectsCache(managed, config);
        record(jobId, "c1", ProvisioningAction.Create, "u1", "u2", "u3");
        ManagedObjectsCache.Taken first = take(cache, jobId);
        assertThat(first.delta()).isFalse();
        assertThat(first.objects()).containsOnlyKeys("u1", "u2", "u3");

        record(jobId, "c2", ProvisioningAction.Delete, "u2");
        record(jobId, "c3", ProvisioningAction.Create, "u4");
        ManagedObjectsCache.Taken delta = take(cache, jobId);
        assertThat(delta.delta()).isTrue();
        assertThat(delta.changed()).isEqualTo(2);
        assertThat(delta.objects()).containsOnlyKeys("u1", "u3", "u4");

        // the housekeeping purges a removal made since the kept version: the delta could not show it
        record(jobId, "c4", ProvisioningAction.Delete, "u1");
        pool.preparedQuery("UPDATE managed_object_removal SET removed_at = '2001-01-01T00:00:00Z' "
                + "WHERE job_id=$1 AND object_id='u1'").execute(Tuple.of(jobId)).await().atMost(Waits.OUTCOME);
        log.purge(OffsetDateTime.of(2002, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)).await().atMost(Waits.OUTCOME);
        ManagedObjectsCache.Taken afterPurge = take(cache, jobId);
        assertThat(afterPurge.delta()).isFalse();
        assertThat(afterPurge.objects()).containsOnlyKeys("u3", "u4");

        // the job's versions restarted (deleted and created again under its id) and a row went without a removal
        sql("UPDATE managed_version SET origin = nextval('managed_version_seq'), "
                + "version = nextval('managed_version_seq') WHERE job_id=$1", jobId);
        sql("DELETE FROM managed_object WHERE job_id=$1 AND object_id='u3'", jobId);
        ManagedObjectsCache.Taken restarted = take(cache, jobId);
        assertThat(restarted.delta()).isFalse();
        assertThat(restarted.objects()).containsOnlyKeys("u4");

        // the version row gone: nothing says what the kept objects are as of
        sql("DELETE FROM managed_version WHERE job_id=$1", jobId);
        ManagedObjectsCache.Taken gone = take(cache, jobId);
        assertThat(gone.delta()).isFalse();
        assertThat(gone.objects()).containsOnlyKeys("u4");
        assertThat(gone.version()).isZero();

        // the next write gives the job a version again, with a new origin: a full read, then deltas
        record(jobId, "c5", ProvisioningAction.Create, "u5");
        assertThat(take(cache, jobId).delta()).isFalse();
        record(jobId, "c6", ProvisioningAction.Create, "u6");
        ManagedObjectsCache.Taken again = take(cache, jobId);
        assertThat(again.delta()).isTrue();
        assertThat(again.objects()).containsOnlyKeys("u4", "u5", "u6");
    }

    private ManagedObjectsCache.Taken take(ManagedObjectsCache cache, String jobId) {
        ManagedObjectsCache.Taken taken = cache.take(jobId).await().atMost(Waits.OUTCOME);
        cache.keep(jobId, taken);
        return taken;
    }

    private void sql(String statement, String jobId) {
        pool.preparedQuery(statement).execute(Tuple.of(jobId)).await().atMost(Waits.OUTCOME);
    }

    private void record(String jobId, String cycleId, ProvisioningAction action, String... objectIds) {
        List<ProvisioningResult> batch = new ArrayList<>();
        for (String id : objectIds) {
            batch.add(result(jobId, cycleId, id, action, ProvisioningStatus.Success));
        }
        log.recordAll(batch).await().atMost(Waits.OUTCOME);
    }

    private ProvisioningResult randomResult(String jobId, int step) {
        boolean group = random.nextInt(6) == 0;
        String id = group ? "g" + random.nextInt(5) : "u" + random.nextInt(80);
        ProvisioningAction action = List.of(ProvisioningAction.Create, ProvisioningAction.Update,
                ProvisioningAction.Delete).get(random.nextInt(3));
        ProvisioningStatus status = random.nextInt(5) == 0 ? ProvisioningStatus.Failure : ProvisioningStatus.Success;
        return result(jobId, "s" + step + "-" + results++, id, action, status);
    }

    private static ProvisioningResult result(String jobId, String cycleId, String objectId,
            ProvisioningAction action, ProvisioningStatus status) {
        boolean failed = status == ProvisioningStatus.Failure;
        ObjectType type = objectId.startsWith("g") ? ObjectType.GROUP : ObjectType.USER;
        String eventId = Cycle.eventId(cycleId, objectId);
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(jobId, objectId, cycleId, eventId), jobId, cycleId, eventId, type, objectId,
                failed ? null : "druva-" + objectId, (type == ObjectType.GROUP ? "Group " : "User ") + objectId
                        + (action == ProvisioningAction.Update ? " v" + cycleId : ""),
                action, status, failed ? "TargetUnavailable" : null, failed ? "refused" : null, failed ? 503 : 201,
                1, 5, List.of(), "test", Instant.now(), null, null);
    }
}
