package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/** The {@code cycle} table: one row per cycle of a job. */
@ApplicationScoped
public class CycleRepository {

    private final Pool pool;

    public CycleRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Void> start(String cycleId, String jobId, boolean full) {
        return pool.preparedQuery(
                "INSERT INTO cycle (id, job_id, full_cycle, status, started_at) VALUES ($1,$2,$3,'RUNNING',now())")
                .execute(Tuple.of(cycleId, jobId, full)).replaceWithVoid();
    }

    public Uni<Void> emitted(String cycleId, int events) {
        return pool.preparedQuery("UPDATE cycle SET status='EMITTED', emitted_at=now(), events_emitted=$2 WHERE id=$1")
                .execute(Tuple.of(cycleId, events)).replaceWithVoid();
    }

    public Uni<Void> failed(String cycleId, String error) {
        return pool.preparedQuery("UPDATE cycle SET status='FAILED', error=$2 WHERE id=$1")
                .execute(Tuple.of(cycleId, error)).replaceWithVoid();
    }

    /**
     * Marks the job's cycles still RUNNING as FAILED: their replica stopped while emitting (the claim was taken over).
     * The snapshot did not move, so the new cycle repeats their work.
     */
    public Uni<Void> abandonRunning(String jobId) {
        return pool.preparedQuery("UPDATE cycle SET status='FAILED', error='interrupted: the detector stopped during "
                + "the cycle; the next cycle repeats its work' WHERE job_id=$1 AND status='RUNNING'")
                .execute(Tuple.of(jobId)).replaceWithVoid();
    }

    /**
     * Counts a newly recorded result in its cycle (part of the caller's transaction).
     *
     * @param managedUsersChanged the result added a user to what Druva holds for the job, or removed one
     */
    static Uni<Void> countResult(io.vertx.mutiny.sqlclient.SqlConnection c, String cycleId, boolean operation,
            boolean failed, boolean managedUsersChanged) {
        return c.preparedQuery(
                "UPDATE cycle SET results_total = results_total + 1, results_operations = results_operations + $2, "
                        + "results_failed = results_failed + $3, managed_users_changed = managed_users_changed OR $4 "
                        + "WHERE id=$1")
                .execute(Tuple.of(cycleId, operation ? 1 : 0, failed ? 1 : 0, managedUsersChanged)).replaceWithVoid();
    }

    /** A cycle's counters for the safety nets, if it exists. */
    public Uni<java.util.Optional<Counters>> counters(String cycleId) {
        return pool.preparedQuery("SELECT c.status, c.started_at, c.events_emitted, c.results_operations, "
                + "c.results_failed, c.finished_at, c.results_total, c.managed_users_changed FROM cycle c WHERE c.id=$1")
                .execute(Tuple.of(cycleId)).map(rs -> {
                    if (rs.size() == 0) {
                        return java.util.Optional.empty();
                    }
                    var r = rs.iterator().next();
                    return java.util.Optional.of(new Counters(r.getString("status"), r.getOffsetDateTime("started_at"),
                            r.getInteger("events_emitted"), r.getInteger("results_total"),
                            r.getInteger("results_operations"),
                            r.getInteger("results_failed"), r.getOffsetDateTime("finished_at"),
                            r.getBoolean("managed_users_changed")));
                });
    }

    /** Marks an emitted cycle finished (every result in); true for the one caller that did it. */
    public Uni<Boolean> finished(String cycleId) {
        return pool.preparedQuery("UPDATE cycle SET finished_at=now() WHERE id=$1 AND status='EMITTED' "
                + "AND finished_at IS NULL").execute(Tuple.of(cycleId)).map(rs -> rs.rowCount() == 1);
    }

    /** Deletes cycles that started before {@code before} and are no longer running; returns how many. */
    public Uni<Integer> purge(OffsetDateTime before) {
        return pool.preparedQuery("DELETE FROM cycle WHERE started_at < $1 AND status <> 'RUNNING' AND id NOT IN "
                + "(SELECT DISTINCT ON (job_id) id FROM cycle ORDER BY job_id, started_at DESC)")
                .execute(Tuple.of(before)).map(rs -> rs.rowCount());
    }

    /**
     * A cycle's counters: {@code results} all recorded results, {@code operations} those that are not Skipped,
     * {@code failed} the failures; {@code managedUsersChanged} whether a result added a user to Druva or removed one.
     */
    public record Counters(String status, OffsetDateTime startedAt, int eventsEmitted, long results, int operations,
            int failed, OffsetDateTime finishedAt, boolean managedUsersChanged) {
    }

    /** The job's latest cycles, newest first. */
    public Uni<List<CycleRow>> latest(String jobId, int limit) {
        return pool.preparedQuery("SELECT * FROM cycle WHERE job_id=$1 ORDER BY started_at DESC LIMIT $2")
                .execute(Tuple.of(jobId, limit)).map(rs -> {
                    List<CycleRow> cycles = new ArrayList<>();
                    rs.forEach(r -> cycles.add(CycleRow.of(r)));
                    return cycles;
                });
    }
}
