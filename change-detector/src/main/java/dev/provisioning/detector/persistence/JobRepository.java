package dev.provisioning.detector.persistence;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The {@code job} table. Cycles are claimed with {@code FOR UPDATE SKIP LOCKED}, so several detector replicas never run
 * the same job's cycle at once; a claim older than the lease (its replica died) is taken over.
 */
@ApplicationScoped
public class JobRepository {

    private final Pool pool;

    public JobRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Void> insert(JobRow job) {
        return pool
                .preparedQuery("INSERT INTO job (" + JobRow.COLUMNS + ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)")
                .execute(Tuple.tuple(List.of()).addValue(job.id()).addValue(job.name()).addValue(job.state())
                        .addValue(job.config()).addValue(job.revision()).addValue(job.nextCycleAt())
                        .addValue(job.fullCycleRequested()).addValue(job.cycleClaimedAt()).addValue(job.lastError())
                        .addValue(job.createdAt()).addValue(job.updatedAt()))
                .replaceWithVoid();
    }

    /**
     * Stores a new configuration (and state). When {@code full} (mappings, scoping filters or scope changed), the next
     * cycle is a full one and is due now, as Entra starts a new full cycle when they are edited.
     */
    public Uni<Boolean> updateConfig(String id, String name, String state, String config, long revision, boolean full) {
        return pool.preparedQuery("UPDATE job SET name=$2, state=$3, config=$4, revision=$5, updated_at=now(), "
                + "full_cycle_requested = full_cycle_requested OR $6, "
                + "next_cycle_at = CASE WHEN $6 THEN now() ELSE next_cycle_at END WHERE id=$1")
                .execute(Tuple.of(id, name, state, config, revision, full))
                .map(rs -> rs.rowCount() == 1);
    }

    public Uni<Optional<JobRow>> find(String id) {
        return pool.preparedQuery("SELECT " + JobRow.COLUMNS + " FROM job WHERE id=$1").execute(Tuple.of(id))
                .map(rs -> rs.size() == 0 ? Optional.empty() : Optional.of(JobRow.of(rs.iterator().next())));
    }

    public Uni<List<JobRow>> list() {
        return pool.query("SELECT " + JobRow.COLUMNS + " FROM job ORDER BY created_at").execute()
                .map(JobRepository::rows);
    }

    public Uni<Boolean> delete(String id) {
        return pool.preparedQuery("DELETE FROM job WHERE id=$1").execute(Tuple.of(id)).map(rs -> rs.rowCount() == 1);
    }

    /** Turns provisioning on and makes the next cycle due now. */
    public Uni<Boolean> start(String id) {
        return pool.preparedQuery("UPDATE job SET state='ACTIVE', next_cycle_at=now(), updated_at=now() WHERE id=$1")
                .execute(Tuple.of(id)).map(rs -> rs.rowCount() == 1);
    }

    /** Turns provisioning off; a running cycle finishes. */
    public Uni<Boolean> pause(String id) {
        return pool.preparedQuery("UPDATE job SET state='PAUSED', updated_at=now() WHERE id=$1")
                .execute(Tuple.of(id)).map(rs -> rs.rowCount() == 1);
    }

    /** Claims up to {@code limit} active jobs whose cycle is due and not running elsewhere. */
    public Uni<List<JobRow>> claimDue(Duration lease, int limit) {
        return pool.preparedQuery("UPDATE job SET cycle_claimed_at = now() WHERE id IN ("
                + "SELECT id FROM job WHERE state = 'ACTIVE' AND next_cycle_at <= now() "
                + "AND (cycle_claimed_at IS NULL OR cycle_claimed_at < now() - make_interval(secs => $1)) "
                + "ORDER BY next_cycle_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING " + JobRow.COLUMNS)
                .execute(Tuple.of((double) lease.toSeconds(), limit)).map(JobRepository::rows);
    }

    /** Releases the claim after a cycle emitted its events and schedules the next one. */
    public Uni<Void> cycleEmitted(String id, Duration interval) {
        return pool
                .preparedQuery(
                        "UPDATE job SET cycle_claimed_at = NULL, full_cycle_requested = FALSE, last_error = NULL, "
                                + "next_cycle_at = $2 WHERE id=$1")
                .execute(Tuple.of(id, now().plus(interval))).replaceWithVoid();
    }

    /** Releases the claim without running a cycle, and looks again after {@code delay}. */
    public Uni<Void> postpone(String id, Duration delay) {
        return pool.preparedQuery("UPDATE job SET cycle_claimed_at = NULL, next_cycle_at = $2 WHERE id=$1")
                .execute(Tuple.of(id, now().plus(delay))).replaceWithVoid();
    }

    /** Releases the claim after a cycle failed and schedules a retry. */
    public Uni<Void> cycleFailed(String id, String error, Duration retryIn) {
        return pool
                .preparedQuery(
                        "UPDATE job SET cycle_claimed_at = NULL, last_error = $2, next_cycle_at = $3 WHERE id=$1")
                .execute(Tuple.of(id, error, now().plus(retryIn))).replaceWithVoid();
    }

    static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }

    private static List<JobRow> rows(RowSet<Row> rs) {
        List<JobRow> jobs = new ArrayList<>();
        rs.forEach(r -> jobs.add(JobRow.of(r)));
        return jobs;
    }
}
