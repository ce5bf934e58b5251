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
 * The {@code source_snapshot} table: the hash of each object's state as of the last cycle whose events reached Kafka,
 * and the object's display name then (so that an object gone from the source is still named by the name it had). It
 * is the directory file's watermark, and it only moves after the events are acknowledged by the broker.
 */
@ApplicationScoped
public class SnapshotRepository {

    private final Pool pool;

    public SnapshotRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Snapshot> load(String jobId) {
        return pool.preparedQuery(
                "SELECT object_id, object_type, state_hash, display_name FROM source_snapshot WHERE job_id=$1")
                .execute(Tuple.of(jobId)).map(rs -> {
                    Map<String, String> users = new HashMap<>();
                    Map<String, String> groups = new HashMap<>();
                    Map<String, String> names = new HashMap<>();
                    rs.forEach(r -> {
                        (ObjectType.GROUP.name().equals(r.getString(1)) ? groups : users).put(r.getString(0),
                                r.getString(2));
                        if (r.getString(3) != null) {
                            names.put(r.getString(0), r.getString(3));
                        }
                    });
                    return new Snapshot(users, groups, names);
                });
    }

    /**
     * Applies a cycle's snapshot changes in one transaction.
     *
     * @param upserts by object type, object id to the hash of its new state
     * @param names object id to its display name in that state (an object without a name keeps none)
     */
    public Uni<Void> apply(String jobId, Map<ObjectType, Map<String, String>> upserts, Map<String, String> names,
            Set<String> removals) {
        List<Tuple> up = new ArrayList<>();
        upserts.forEach((type, hashes) -> hashes.forEach((id, hash) -> up.add(Tuple.of(jobId, id, type.name(), hash,
                ProvisioningLogRepository.truncate(names.get(id), 512)))));
        List<Tuple> down = new ArrayList<>();
        removals.forEach(id -> down.add(Tuple.of(jobId, id)));
        return pool.withTransaction(c -> {
            Uni<Void> ups = up.isEmpty()
                    ? Uni.createFrom().voidItem()
                    : c.preparedQuery(
                            "INSERT INTO source_snapshot (job_id, object_id, object_type, state_hash, display_name, "
                                    + "updated_at) VALUES ($1,$2,$3,$4,$5,now()) ON CONFLICT (job_id, object_id) "
                                    + "DO UPDATE SET object_type = EXCLUDED.object_type, state_hash = EXCLUDED.state_hash, "
                                    + "display_name = EXCLUDED.display_name, updated_at = now()")
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
     * The hash of each object's state as of the last cycle, by object type, and the objects' names then.
     *
     * @param users user id to state hash
     * @param groups group id to state hash
     * @param names object id to its display name as of the last cycle that changed it; objects without one are absent
     */
    public record Snapshot(Map<String, String> users, Map<String, String> groups, Map<String, String> names) {

        public static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of(), Map.of());

        /** A snapshot without names. */
        public Snapshot(Map<String, String> users, Map<String, String> groups) {
            this(users, groups, Map.of());
        }

        /** Whether the job has seen this object before. */
        public boolean contains(String objectId) {
            return users.containsKey(objectId) || groups.containsKey(objectId);
        }
    }
}
