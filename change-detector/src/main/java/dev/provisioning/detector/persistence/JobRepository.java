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
                .preparedQuery(
                        "INSERT INTO job (" + JobRow.COLUMNS + ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,"
                                + "$13,$14,$15,$16,$17,$18,$19)")
                .execute(Tuple.tuple(List.of()).addValue(job.id()).addValue(job.name()).addValue(job.state())
                        .addValue(job.config()).addValue(job.revision()).addValue(job.nextCycleAt())
                        .addValue(job.fullCycleRequested()).addValue(job.cycleClaimedAt()).addValue(job.lastError())
                        .addValue(job.createdAt()).addValue(job.updatedAt()).addValue(job.deletionThreshold())
                        .addValue(job.tokenSetAt()).addValue(job.tokenExpiryWarned()).addValue(job.quarantineReason())
                        .addValue(job.quarantineDetail()).addValue(job.quarantinedSince())
                        .addValue(job.quarantineKey()).addValue(job.quarantineLiftedAt()))
                .replaceWithVoid();
    }

    /**
     * Stores a new configuration (and state). When {@code full} (mappings, scoping filters or scope changed), the next
     * cycle is a full one and is due now, as Entra starts a new full cycle when they are edited.
     *
     * @param tokenChanged true when the administrator set a new secret token (its age is counted from now)
     */
    public Uni<Boolean> updateConfig(String id, String name, String state, String config, long revision, boolean full,
            int deletionThreshold, boolean tokenChanged) {
        return pool.preparedQuery("UPDATE job SET name=$2, state=$3, config=$4, revision=$5, updated_at=now(), "
                + "full_cycle_requested = full_cycle_requested OR $6, deletion_threshold=$7, "
                + "next_cycle_at = CASE WHEN $6 THEN now() ELSE next_cycle_at END, "
                + "token_set_at = CASE WHEN $8 THEN now() ELSE token_set_at END WHERE id=$1")
                .execute(Tuple.tuple(List.of(id, name, state, config, revision, full, deletionThreshold,
                        tokenChanged)))
                .map(rs -> rs.rowCount() == 1);
    }

    /** Stores a configuration whose only change is the state, if nobody changed the job since {@code oldRevision}. */
    public Uni<Boolean> updateState(String id, String state, String config, long revision, long oldRevision) {
        return pool.preparedQuery("UPDATE job SET state=$2, config=$3, revision=$4, updated_at=now() "
                + "WHERE id=$1 AND revision=$5")
                .execute(Tuple.of(id, state, config, revision, oldRevision)).map(rs -> rs.rowCount() == 1);
    }

    /**
     * Quarantines the job (state QUARANTINED unless provisioning is off): its next cycle waits {@code retryIn}. Only
     * if the job is unchanged since {@code oldRevision}; returns false otherwise.
     */
    public Uni<Boolean> quarantine(String id, String state, String config, long revision, long oldRevision,
            String reason, String detail, String key, Duration retryIn) {
        return pool.preparedQuery("UPDATE job SET state=$2, config=$3, revision=$4, updated_at=now(), "
                + "quarantine_reason=$6, quarantine_detail=$7, quarantine_key=$8, quarantined_since=now(), "
                + "next_cycle_at=GREATEST(next_cycle_at, $9) WHERE id=$1 AND revision=$5")
                .execute(Tuple.tuple(List.of(id, state, config, revision, oldRevision, reason, detail, key,
                        now().plus(retryIn))))
                .map(rs -> rs.rowCount() == 1);
    }

    /**
     * Lifts the quarantine, and brings the next cycle back to the job's own interval; only if the job is unchanged
     * since {@code oldRevision}.
     */
    public Uni<Boolean> liftQuarantine(String id, String state, String config, long revision, long oldRevision,
            Duration interval) {
        return pool.preparedQuery("UPDATE job SET state=$2, config=$3, revision=$4, updated_at=now(), "
                + "quarantine_reason=NULL, quarantine_detail=NULL, quarantine_key=NULL, quarantined_since=NULL, "
                + "quarantine_lifted_at=now(), next_cycle_at=LEAST(next_cycle_at, $6) WHERE id=$1 AND revision=$5")
                .execute(Tuple.of(id, state, config, revision, oldRevision, now().plus(interval)))
                .map(rs -> rs.rowCount() == 1);
    }

    /** Jobs whose token was set before {@code setBefore} and whose expiry was not yet announced for that token. */
    public Uni<List<JobRow>> tokensExpiring(OffsetDateTime setBefore) {
        return pool.preparedQuery("SELECT " + JobRow.COLUMNS + " FROM job WHERE token_set_at < $1 "
                + "AND token_expiry_warned IS DISTINCT FROM token_set_at").execute(Tuple.of(setBefore))
                .map(JobRepository::rows);
    }

    /** Records that the expiry of the token set at {@code tokenSetAt} was announced. */
    public Uni<Void> tokenExpiryWarned(String id, OffsetDateTime tokenSetAt) {
        return pool.preparedQuery("UPDATE job SET token_expiry_warned=$2 WHERE id=$1")
                .execute(Tuple.of(id, tokenSetAt)).replaceWithVoid();
    }

    /** Restart: the next cycle is a full one and runs now. */
    public Uni<Void> restart(String id) {
        return pool.preparedQuery("UPDATE job SET full_cycle_requested=TRUE, next_cycle_at=now(), last_error=NULL, "
                + "updated_at=now() WHERE id=$1").execute(Tuple.of(id)).replaceWithVoid();
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

    /** Makes the next cycle due now (provisioning on). */
    public Uni<Boolean> start(String id) {
        return pool.preparedQuery("UPDATE job SET next_cycle_at=now(), updated_at=now() WHERE id=$1")
                .execute(Tuple.of(id)).map(rs -> rs.rowCount() == 1);
    }

    /** Claims up to {@code limit} active jobs whose cycle is due and not running elsewhere. */
    public Uni<List<JobRow>> claimDue(Duration lease, int limit) {
        return pool.preparedQuery("UPDATE job SET cycle_claimed_at = now() WHERE id IN ("
                + "SELECT id FROM job WHERE state IN ('ACTIVE', 'QUARANTINED') AND next_cycle_at <= now() "
                + "AND (cycle_claimed_at IS NULL OR cycle_claimed_at < now() - make_interval(secs => $1)) "
                + "ORDER BY next_cycle_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING " + JobRow.COLUMNS)
                .execute(Tuple.of((double) lease.toSeconds(), limit)).map(JobRepository::rows);
    }

    /**
     * Releases the claim after a cycle emitted its events and schedules the next one: after {@code interval}, or
     * after {@code quarantineInterval} while the job is quarantined.
     */
    public Uni<Void> cycleEmitted(String id, Duration interval, Duration quarantineInterval) {
        return pool
                .preparedQuery(
                        "UPDATE job SET cycle_claimed_at = NULL, full_cycle_requested = FALSE, last_error = NULL, "
                                + "next_cycle_at = CASE WHEN quarantine_reason IS NULL THEN $2 ELSE $3 END WHERE id=$1")
                .execute(Tuple.of(id, now().plus(interval), now().plus(quarantineInterval))).replaceWithVoid();
    }

    /**
     * Brings the next cycle forward to now, Entra's "references" step: a cycle changed which users Druva holds, so the
     * job's groups may have members to add or remove now that those users have Druva ids. Only for an active job that
     * provisions groups and is not quarantined (a quarantined job's cycles stay slowed).
     */
    public Uni<Boolean> followUpNow(String id) {
        return pool.preparedQuery("UPDATE job SET next_cycle_at = now() WHERE id=$1 AND state = 'ACTIVE' "
                + "AND quarantine_reason IS NULL AND next_cycle_at > now() "
                + "AND EXISTS (SELECT 1 FROM source_snapshot s WHERE s.job_id = job.id AND s.object_type = 'GROUP')")
                .execute(Tuple.of(id)).map(rs -> rs.rowCount() == 1);
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
