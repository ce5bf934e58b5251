package dev.provisioning.detector.persistence;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.events.ObjectType;

/**
 * The {@code source_snapshot} table: the hash of each object's state as of the last cycle whose events reached Kafka.
 * It is the directory file's watermark, and it only moves after the events are acknowledged by the broker.
 */
@ApplicationScoped
public class SnapshotRepository {

    private final Pool pool;

    public SnapshotRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Snapshot> load(String jobId) {
        return pool.preparedQuery("SELECT object_id, object_type, state_hash FROM source_snapshot WHERE job_id=$1")
                .execute(Tuple.of(jobId)).map(rs -> {
                    Map<String, String> users = new HashMap<>();
                    Map<String, String> groups = new HashMap<>();
                    rs.forEach(r -> (ObjectType.GROUP.name().equals(r.getString(1)) ? groups : users)
                            .put(r.getString(0), r.getString(2)));
                    return new Snapshot(users, groups);
                });
    }

    /**
     * Applies a cycle's snapshot changes in one transaction.
     *
     * @param upserts by object type, object id to the hash of its new state
     */
    public Uni<Void> apply(String jobId, Map<ObjectType, Map<String, String>> upserts, Set<String> removals) {
        List<Tuple> up = new ArrayList<>();
        upserts.forEach((type, hashes) -> hashes.forEach((id, hash) -> up.add(Tuple.of(jobId, id, type.name(), hash))));
        List<Tuple> down = new ArrayList<>();
        removals.forEach(id -> down.add(Tuple.of(jobId, id)));
        return pool.withTransaction(c -> {
            Uni<Void> ups = up.isEmpty()
                    ? Uni.createFrom().voidItem()
                    : c.preparedQuery(
                            "INSERT INTO source_snapshot (job_id, object_id, object_type, state_hash, updated_at) "
                                    + "VALUES ($1,$2,$3,$4,now()) ON CONFLICT (job_id, object_id) "
                                    + "DO UPDATE SET object_type = EXCLUDED.object_type, state_hash = EXCLUDED.state_hash, "
                                    + "updated_at = now()")
                            .executeBatch(up).replaceWithVoid();
            return ups.chain(() -> down.isEmpty()
                    ? Uni.createFrom().voidItem()
                    : c.preparedQuery("DELETE FROM source_snapshot WHERE job_id=$1 AND object_id=$2").executeBatch(down)
                            .replaceWithVoid());
        });
    }

    /** Whether the job's snapshot holds groups (the job provisions groups). */
    public Uni<Boolean> holdsGroups(String jobId) {
        return pool.preparedQuery("SELECT EXISTS (SELECT 1 FROM source_snapshot WHERE job_id=$1 AND object_type=$2)")
                .execute(Tuple.of(jobId, ObjectType.GROUP.name())).map(rs -> rs.iterator().next().getBoolean(0));
    }

    /** Forgets the snapshot, so the next cycle sees every object as new (restart with scope Full or Watermark). */
    public Uni<Void> clear(String jobId) {
        return pool.preparedQuery("DELETE FROM source_snapshot WHERE job_id=$1").execute(Tuple.of(jobId))
                .replaceWithVoid();
    }

    /**
     * The hash of each object's state as of the last cycle, by object type.
     *
     * @param users user id to state hash
     * @param groups group id to state hash
     */
    public record Snapshot(Map<String, String> users, Map<String, String> groups) {

        public static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of());

        /** Whether the job has seen this object before. */
        public boolean contains(String objectId) {
            return users.containsKey(objectId) || groups.containsKey(objectId);
        }
    }
}
