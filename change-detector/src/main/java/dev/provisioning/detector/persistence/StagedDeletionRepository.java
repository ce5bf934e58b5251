package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.job.ProvisioningJob.EarlierHold;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;

/**
 * The {@code staged_deletion} table: disables and deletes held by the accidental-deletion threshold (Entra's
 * StagedDelete), one per object, until the administrator allows them or restarts the job. Methods that take a
 * {@link SqlClient} run in the caller's transaction (the job's save).
 */
@ApplicationScoped
public class StagedDeletionRepository {

    private final Pool pool;

    public StagedDeletionRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Holds the events. An object that is already held keeps the cycle that first held it (and when): holding it
     * again, as a cycle repeated after a crash does, is the same held deletion, though its event is replaced by the
     * newest one.
     */
    public Uni<Void> hold(SqlClient c, String jobId, String cycleId, List<AssignmentEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Tuple> rows = new ArrayList<>();
        for (AssignmentEvent e : events) {
            rows.add(Tuple.of(jobId, e.objectId(), cycleId, Json.write(e)));
        }
        return c.preparedQuery("INSERT INTO staged_deletion (job_id, object_id, cycle_id, event, held_at) "
                + "VALUES ($1,$2,$3,$4,now()) ON CONFLICT (job_id, object_id) DO UPDATE SET event=EXCLUDED.event")
                .executeBatch(rows).replaceWithVoid();
    }

    /** {@link #hold(SqlClient, String, String, List)} on its own. */
    public Uni<Void> hold(String jobId, String cycleId, List<AssignmentEvent> events) {
        return hold(pool, jobId, cycleId, events);
    }

    /** Which of these objects the job already holds, each with the cycle that first held it and when. */
    public Uni<Map<String, EarlierHold>> heldIn(SqlClient c, String jobId, List<String> objectIds) {
        if (objectIds.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return c.preparedQuery("SELECT object_id, cycle_id, held_at FROM staged_deletion WHERE job_id=$1 "
                + "AND object_id = ANY($2)").execute(Tuple.of(jobId, objectIds.toArray(new String[0]))).map(rs -> {
                    Map<String, EarlierHold> held = new HashMap<>();
                    rs.forEach(r -> held.put(r.getString(0),
                            new EarlierHold(r.getString(1), r.getOffsetDateTime(2).toInstant())));
                    return held;
                });
    }

    /** The held events of a job. */
    public Uni<List<AssignmentEvent>> held(String jobId) {
        return pool.preparedQuery("SELECT event FROM staged_deletion WHERE job_id=$1 ORDER BY object_id")
                .execute(Tuple.of(jobId)).map(rs -> {
                    List<AssignmentEvent> events = new ArrayList<>();
                    rs.forEach(r -> events.add(EventChecks.assignment(r.getString(0))));
                    return events;
                });
    }

    /** Forgets the held events of these objects (released or superseded) and returns how many were removed. */
    public Uni<Integer> remove(SqlClient c, String jobId, List<String> objectIds) {
        return c.preparedQuery("DELETE FROM staged_deletion WHERE job_id=$1 AND object_id = ANY($2)")
                .execute(Tuple.of(jobId, objectIds.toArray(new String[0]))).map(rs -> rs.rowCount());
    }

    /** {@link #remove(SqlClient, String, List)} on its own. */
    public Uni<Integer> remove(String jobId, List<String> objectIds) {
        return remove(pool, jobId, objectIds);
    }

    /** Forgets every held event of a job (restart) and returns how many there were. */
    public Uni<Integer> discard(SqlClient c, String jobId) {
        return c.preparedQuery("DELETE FROM staged_deletion WHERE job_id=$1").execute(Tuple.of(jobId))
                .map(rs -> rs.rowCount());
    }

    /**
     * A held disable or delete as the status lists it.
     *
     * @param change what the source said of the object (unassigned or out of scope: UPDATED; SOFT_DELETED;
     *        HARD_DELETED)
     * @param cycleId the cycle that first held it
     */
    public record HeldDeletion(String objectId, String objectType, String displayName, String change, String cycleId,
            OffsetDateTime heldAt) {
    }

    /** The job's held deletions, at most {@code limit}, by object id. */
    public Uni<List<HeldDeletion>> list(String jobId, int limit) {
        return pool.preparedQuery("SELECT object_id, cycle_id, held_at, event FROM staged_deletion WHERE job_id=$1 "
                + "ORDER BY object_id LIMIT $2").execute(Tuple.of(jobId, limit)).map(rs -> {
                    List<HeldDeletion> held = new ArrayList<>();
                    rs.forEach(r -> {
                        AssignmentEvent e = EventChecks.assignment(r.getString(3));
                        held.add(new HeldDeletion(r.getString(0),
                                e.objectType() == null ? null : e.objectType().name(), e.displayName(),
                                e.change() == null ? null : e.change().name(), r.getString(1),
                                r.getOffsetDateTime(2)));
                    });
                    return held;
                });
    }

    /** Whether the job holds any deletion: stops at the first row (asked once a cycle). */
    public Uni<Boolean> any(String jobId) {
        return pool.preparedQuery("SELECT EXISTS (SELECT 1 FROM staged_deletion WHERE job_id=$1)")
                .execute(Tuple.of(jobId)).map(rs -> rs.iterator().next().getBoolean(0));
    }

    public Uni<Long> count(String jobId) {
        return pool.preparedQuery("SELECT count(*) FROM staged_deletion WHERE job_id=$1").execute(Tuple.of(jobId))
                .map(rs -> rs.iterator().next().getLong(0));
    }

    /** Held events per job, for the metrics. */
    public Uni<Map<String, Long>> countsByJob() {
        return pool.query("SELECT job_id, count(*) FROM staged_deletion GROUP BY job_id").execute().map(rs -> {
            Map<String, Long> counts = new HashMap<>();
            rs.forEach(r -> counts.put(r.getString(0), r.getLong(1)));
            return counts;
        });
    }
}
