package dev.provisioning.detector.persistence;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.job.Cycle;

/** The {@code cycle} table: one row per cycle of a job, with the counts of its results. */
@ApplicationScoped
public class CycleRepository {

    /**
     * The error of a cycle that stopped with the detector before it emitted all its events (its replica stopped, or
     * died and its claim was taken over).
     */
    public static final String INTERRUPTED = "interrupted: the detector stopped during the cycle; the next cycle "
            + "repeats its work";

    private static final String COLUMNS = "id, job_id, full_cycle, status, started_at, emitted_at, events_emitted, "
            + "results_total, results_operations, results_failed, managed_users_changed, finished_at, error, "
            + "dangling_references";

    private final Pool pool;

    public CycleRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Void> start(String cycleId, String jobId, boolean full) {
        return pool.preparedQuery("INSERT INTO cycle (id, job_id, full_cycle, status, started_at) "
                + "VALUES ($1,$2,$3,$4,now())").execute(Tuple.of(cycleId, jobId, full, Cycle.Stage.RUNNING.name()))
                .replaceWithVoid();
    }

    /** Every event of the cycle is on Kafka. */
    public Uni<Void> emitted(String cycleId, int events) {
        return emitted(cycleId, events, 0);
    }

    /**
     * Every event of the cycle is on Kafka. A cycle that sent nothing (an incremental cycle of a quiet tenant) is
     * complete then, with no result to come: it is finished at once ({@code finished_at}, its completion time in the
     * status and the job's last-completed gauge), as a cycle with events is when its last result is recorded.
     *
     * @param danglingReferences references in the source read that name no object
     */
    public Uni<Void> emitted(String cycleId, int events, int danglingReferences) {
        return pool.preparedQuery("UPDATE cycle SET status=$3, emitted_at=now(), events_emitted=$2, "
                + "dangling_references=$4, finished_at=CASE WHEN $2=0 THEN COALESCE(finished_at, now()) "
                + "ELSE finished_at END WHERE id=$1")
                .execute(Tuple.of(cycleId, events, Cycle.Stage.EMITTED.name(), danglingReferences)).replaceWithVoid();
    }

    public Uni<Void> failed(String cycleId, String error) {
        return pool.preparedQuery("UPDATE cycle SET status=$3, error=$2 WHERE id=$1")
                .execute(Tuple.of(cycleId, error, Cycle.Stage.FAILED.name())).replaceWithVoid();
    }

    /**
     * Marks the job's cycles still RUNNING as FAILED: their replica stopped while emitting (the claim was taken over).
     * The snapshot did not move, so the new cycle repeats their work.
     */
    public Uni<Void> abandonRunning(String jobId) {
        return pool.preparedQuery("UPDATE cycle SET status=$2, error=$4 WHERE job_id=$1 AND status=$3")
                .execute(Tuple.of(jobId, Cycle.Stage.FAILED.name(), Cycle.Stage.RUNNING.name(), INTERRUPTED))
                .replaceWithVoid();
    }

    /**
     * Counts newly recorded results in their cycle (part of the caller's transaction).
     *
     * @param operations how many of them are not Skipped
     * @param failed how many are failures
     * @param managedUsersChanged one of them added a user to what Druva holds for the job, or removed one
     */
    static Uni<Void> countResults(SqlClient c, String cycleId, int results, int operations, int failed,
            boolean managedUsersChanged) {
        return c.preparedQuery(
                "UPDATE cycle SET results_total = results_total + $2, results_operations = results_operations + $3, "
                        + "results_failed = results_failed + $4, managed_users_changed = managed_users_changed OR $5 "
                        + "WHERE id=$1")
                .execute(Tuple.of(cycleId, results, operations, failed, managedUsersChanged)).replaceWithVoid();
    }

    /**
     * What a batch of newly recorded results adds to one cycle's counts.
     *
     * @param results how many results
     * @param operations how many of them are not Skipped
     * @param failed how many are failures
     * @param managedUsersChanged one of them added a user to what Druva holds for the job, or removed one
     */
    public record Increment(String cycleId, int results, int operations, int failed, boolean managedUsersChanged) {

        /** Both increments together (same cycle). */
        public Increment plus(Increment other) {
            return new Increment(cycleId, results + other.results, operations + other.operations,
                    failed + other.failed, managedUsersChanged || other.managedUsersChanged);
        }
    }

    /**
     * Counts a batch's newly recorded results in their cycles (part of the caller's transaction): one {@code UPDATE}
     * per cycle, pipelined in one round trip, in cycle id order so that two replicas counting in the same cycles lock
     * their rows in the same order. A cycle that does not exist is absent from the answer.
     *
     * @return each counted cycle as its row is right after the update, by cycle id
     */
    static Uni<Map<String, Cycle>> countAll(SqlClient c, Collection<Increment> increments) {
        if (increments.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        List<Tuple> tuples = increments.stream().sorted(Comparator.comparing(Increment::cycleId))
                .map(i -> Tuple.of(i.cycleId(), i.results(), i.operations(), i.failed(), i.managedUsersChanged()))
                .toList();
        return c.preparedQuery(
                "UPDATE cycle SET results_total = results_total + $2, results_operations = results_operations + $3, "
                        + "results_failed = results_failed + $4, managed_users_changed = managed_users_changed OR $5 "
                        + "WHERE id=$1 RETURNING " + COLUMNS)
                .executeBatch(tuples).map(rs -> {
                    Map<String, Cycle> counted = new HashMap<>();
                    for (RowSet<Row> one = rs; one != null; one = one.next()) {
                        one.forEach(r -> counted.put(r.getString("id"), cycle(r)));
                    }
                    return counted;
                });
    }

    /** The cycles among {@code ids} that exist, with their counts, by cycle id; one query. */
    public Uni<Map<String, Cycle>> findAll(Collection<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM cycle WHERE id = ANY($1)")
                .execute(Tuple.of(ids.toArray(String[]::new))).map(rs -> {
                    Map<String, Cycle> found = new HashMap<>();
                    rs.forEach(r -> found.put(r.getString("id"), cycle(r)));
                    return found;
                });
    }

    /** A cycle with its counts, if it exists. */
    public Uni<Optional<Cycle>> find(String cycleId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM cycle WHERE id=$1").execute(Tuple.of(cycleId))
                .map(rs -> rs.size() == 0 ? Optional.empty() : Optional.of(cycle(rs.iterator().next())));
    }

    /** Marks a complete cycle finished (every result in); true for the one caller that did it. */
    public Uni<Boolean> finished(String cycleId) {
        return finished(pool, cycleId);
    }

    /**
     * {@link #finished(String)} with {@code c}, e.g. in the transaction that saves the job's follow-up of the cycle:
     * true for the one caller whose transaction marked it (another one's waits for the row, then finds it finished).
     */
    public Uni<Boolean> finished(SqlClient c, String cycleId) {
        return c.preparedQuery("UPDATE cycle SET finished_at=now() WHERE id=$1 AND status=$2 "
                + "AND finished_at IS NULL").execute(Tuple.of(cycleId, Cycle.Stage.EMITTED.name()))
                .map(rs -> rs.rowCount() == 1);
    }

    /** Deletes cycles that started before {@code before}, are no longer running and are not a job's latest. */
    public Uni<Integer> purge(OffsetDateTime before) {
        return pool.preparedQuery("DELETE FROM cycle WHERE started_at < $1 AND status <> $2 AND id NOT IN "
                + "(SELECT DISTINCT ON (job_id) id FROM cycle ORDER BY job_id, started_at DESC)")
                .execute(Tuple.of(before, Cycle.Stage.RUNNING.name())).map(rs -> rs.rowCount());
    }

    /** The job's latest cycles, newest first. */
    public Uni<List<Cycle>> latest(String jobId, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM cycle WHERE job_id=$1 ORDER BY started_at DESC LIMIT $2")
                .execute(Tuple.of(jobId, limit)).map(rs -> {
                    List<Cycle> cycles = new ArrayList<>();
                    rs.forEach(r -> cycles.add(cycle(r)));
                    return cycles;
                });
    }

    /**
     * The job's newest complete cycle (by start) with at least one result that is not Skipped (a change carried out in
     * Druva, or a failure), if any: what the status calls the last cycle with changes. Complete is
     * {@link Cycle#complete()} in SQL (emitted, and a result for every event). An incremental cycle of a quiet tenant
     * sends nothing, and a cycle whose every object was skipped (already as the source has it: RedundantExport; out of
     * scope) changed nothing: neither is this one. One row, read through the partial index
     * {@code cycle_job_with_changes} (V30), so the quiet cycles since (one per interval) are not read.
     */
    public Uni<Optional<Cycle>> lastWithChanges(String jobId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM cycle WHERE job_id=$1 AND results_operations > 0 "
                + "AND status=$2 AND results_total >= events_emitted ORDER BY started_at DESC LIMIT 1")
                .execute(Tuple.of(jobId, Cycle.Stage.EMITTED.name()))
                .map(rs -> rs.size() == 0 ? Optional.empty() : Optional.of(cycle(rs.iterator().next())));
    }

    /** Each job's latest cycle (by start), for the progress gauge. */
    public Uni<Map<String, Cycle>> latestOfEachJob() {
        return pool.query("SELECT DISTINCT ON (job_id) " + COLUMNS + " FROM cycle ORDER BY job_id, started_at DESC")
                .execute().map(rs -> {
                    Map<String, Cycle> latest = new HashMap<>();
                    rs.forEach(r -> latest.put(r.getString("job_id"), cycle(r)));
                    return latest;
                });
    }

    /**
     * When each job's latest finished cycle received its last result, or was emitted if it sent nothing (jobs without
     * one are absent).
     */
    public Uni<Map<String, Instant>> lastFinishedOfEachJob() {
        return pool.query("SELECT job_id, max(finished_at) AS finished_at FROM cycle WHERE finished_at IS NOT NULL "
                + "GROUP BY job_id").execute().map(rs -> {
                    Map<String, Instant> finished = new HashMap<>();
                    rs.forEach(r -> finished.put(r.getString("job_id"), JobStore.instant(r, "finished_at")));
                    return finished;
                });
    }

    private static Cycle cycle(Row r) {
        return new Cycle(r.getString("id"), r.getString("job_id"), r.getBoolean("full_cycle"),
                Cycle.Stage.valueOf(r.getString("status")), JobStore.instant(r, "started_at"),
                JobStore.instant(r, "emitted_at"), r.getInteger("events_emitted"),
                new Cycle.Results(r.getInteger("results_total"), r.getInteger("results_operations"),
                        r.getInteger("results_failed"), r.getBoolean("managed_users_changed")),
                JobStore.instant(r, "finished_at"), r.getString("error"), r.getInteger("dangling_references"));
    }
}
