package dev.provisioning.detector.source.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.type.TypeReference;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.events.Json;

/**
 * The tables {@code graph_mirror_object} and {@code graph_delta_link}: a job's mirror of Graph's users and groups and
 * the deltaLinks to ask next, read by a source's {@code load()} and written by its {@code commit()}.
 */
@ApplicationScoped
public class GraphMirrorRepository {

    static final String USERS = "users";
    static final String GROUPS = "groups";
    private static final String USER = "USER";
    private static final String GROUP = "GROUP";
    private static final int BATCH = 1000;

    private final Pool pool;

    public GraphMirrorRepository(Pool pool) {
        this.pool = pool;
    }

    /** A job's stored mirror and deltaLinks (null when none is stored: a full synchronization follows). */
    record Stored(GraphMirror mirror, String usersDeltaLink, String groupsDeltaLink) {
    }

    Uni<Stored> load(String jobId) {
        Map<String, Map<String, Object>> users = new LinkedHashMap<>();
        Map<String, GraphMirror.Group> groups = new LinkedHashMap<>();
        Map<String, String> links = new LinkedHashMap<>();
        return pool.preparedQuery("SELECT object_type, object_id, data::text FROM graph_mirror_object WHERE job_id=$1")
                .execute(Tuple.of(jobId)).invoke(rows -> rows.forEach(row -> {
                    String type = row.getString(0);
                    String id = row.getString(1);
                    String data = row.getString(2);
                    if (USER.equals(type)) {
                        users.put(id, userAttributes(data));
                    } else {
                        StoredGroup group = Json.read(data, StoredGroup.class);
                        groups.put(id, new GraphMirror.Group(group.displayName(),
                                new LinkedHashSet<>(group.members() == null ? List.of() : group.members())));
                    }
                }))
                .chain(() -> pool.preparedQuery("SELECT resource, delta_link FROM graph_delta_link WHERE job_id=$1")
                        .execute(Tuple.of(jobId)))
                .map(rows -> {
                    rows.forEach(row -> links.put(row.getString(0), row.getString(1)));
                    return new Stored(new GraphMirror(users, groups), links.get(USERS), links.get(GROUPS));
                });
    }

    /** How a group is stored. */
    record StoredGroup(String displayName, List<String> members) {
    }

    /**
     * Writes what a read changed in the mirror and the new deltaLinks, in one transaction: either the next read starts
     * from this position with this mirror, or (on failure) from the previous one with the previous mirror.
     */
    Uni<Void> save(String jobId, GraphMirror mirror, String usersDeltaLink, String groupsDeltaLink) {
        return pool.withTransaction(c -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            if (mirror.usersReset()) {
                chain = chain.chain(() -> deleteAll(c, jobId, USER));
            }
            if (mirror.groupsReset()) {
                chain = chain.chain(() -> deleteAll(c, jobId, GROUP));
            }
            List<Tuple> upserts = new ArrayList<>();
            mirror.changedUsers().forEach(id -> upserts.add(Tuple.of(jobId, USER, id,
                    Json.write(mirror.stored(id)))));
            mirror.changedGroups().forEach(id -> {
                GraphMirror.Group g = mirror.groups().get(id);
                upserts.add(Tuple.of(jobId, GROUP, id,
                        Json.write(new StoredGroup(g.displayName(), List.copyOf(g.members())))));
            });
            List<Tuple> removals = new ArrayList<>();
            mirror.removedUsers().forEach(id -> removals.add(Tuple.of(jobId, USER, id)));
            mirror.removedGroups().forEach(id -> removals.add(Tuple.of(jobId, GROUP, id)));
            for (List<Tuple> batch : batches(upserts)) {
                chain = chain.chain(() -> c.preparedQuery(
                        "INSERT INTO graph_mirror_object (job_id, object_type, object_id, data, updated_at) "
                                + "VALUES ($1,$2,$3,$4::text::jsonb,now()) ON CONFLICT (job_id, object_type, object_id) "
                                + "DO UPDATE SET data = EXCLUDED.data, updated_at = now()")
                        .executeBatch(batch).replaceWithVoid());
            }
            for (List<Tuple> batch : batches(removals)) {
                chain = chain.chain(() -> c.preparedQuery(
                        "DELETE FROM graph_mirror_object WHERE job_id=$1 AND object_type=$2 AND object_id=$3")
                        .executeBatch(batch).replaceWithVoid());
            }
            return chain.chain(() -> c.preparedQuery(
                    "INSERT INTO graph_delta_link (job_id, resource, delta_link, updated_at) VALUES ($1,$2,$3,now()) "
                            + "ON CONFLICT (job_id, resource) DO UPDATE SET delta_link = EXCLUDED.delta_link, "
                            + "updated_at = now()")
                    .executeBatch(List.of(Tuple.of(jobId, USERS, usersDeltaLink),
                            Tuple.of(jobId, GROUPS, groupsDeltaLink)))
                    .replaceWithVoid());
        });
    }

    /**
     * Forgets a job's mirror and deltaLinks: its next read is a full synchronization. For a restart that resets the
     * watermark.
     */
    public Uni<Void> forget(String jobId) {
        return pool.withTransaction(c -> c.preparedQuery("DELETE FROM graph_delta_link WHERE job_id=$1")
                .execute(Tuple.of(jobId))
                .chain(() -> c.preparedQuery("DELETE FROM graph_mirror_object WHERE job_id=$1")
                        .execute(Tuple.of(jobId)))
                .replaceWithVoid());
    }

    private static Map<String, Object> userAttributes(String data) {
        try {
            return Json.mapper().readValue(data, new TypeReference<LinkedHashMap<String, Object>>() {
            });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("graph_mirror_object holds a user that is not a JSON object", e);
        }
    }

    private static Uni<Void> deleteAll(SqlConnection c, String jobId, String type) {
        return c.preparedQuery("DELETE FROM graph_mirror_object WHERE job_id=$1 AND object_type=$2")
                .execute(Tuple.of(jobId, type)).replaceWithVoid();
    }

    private static List<List<Tuple>> batches(List<Tuple> all) {
        List<List<Tuple>> batches = new ArrayList<>();
        for (int i = 0; i < all.size(); i += BATCH) {
            batches.add(all.subList(i, Math.min(all.size(), i + BATCH)));
        }
        return batches;
    }
}
