package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;

/**
 * The provisioning log: one record per object per cycle, keyed by the result id, so a redelivered result is recorded
 * once.
 */
@ApplicationScoped
public class ProvisioningLogRepository {

    private final Pool pool;

    public ProvisioningLogRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Records a result; returns false when it was already recorded. In the same transaction, a new result is counted
     * in its cycle (for the quarantine thresholds) and the set of objects the job manages in Druva is kept: a
     * successful create or update adds the object, a successful delete removes it (a user added or removed marks the
     * cycle, whose groups then get a follow-up).
     */
    public Uni<Boolean> record(ProvisioningResult r) {
        boolean success = r.status() == ProvisioningStatus.Success;
        ObjectType type = r.objectType() == null ? ObjectType.USER : r.objectType();
        return pool.withTransaction(c -> c.preparedQuery(INSERT).execute(tuple(r)).chain(rs -> {
            if (rs.rowCount() == 0) {
                return Uni.createFrom().item(false);
            }
            Uni<Integer> managedChange = Uni.createFrom().item(0);
            if (success && (r.action() == ProvisioningAction.Create || r.action() == ProvisioningAction.Update)) {
                managedChange = c.preparedQuery("INSERT INTO managed_object (job_id, object_id, object_type, "
                        + "since) SELECT id, $2, $3, now() FROM job WHERE id=$1 ON CONFLICT DO NOTHING")
                        .execute(Tuple.of(r.jobId(), r.objectId(), type.name())).map(rows -> rows.rowCount());
            } else if (success && r.action() == ProvisioningAction.Delete) {
                managedChange = c.preparedQuery("DELETE FROM managed_object WHERE job_id=$1 AND object_id=$2")
                        .execute(Tuple.of(r.jobId(), r.objectId())).map(rows -> rows.rowCount());
            }
            // a user joining or leaving what Druva holds for the job: the groups may have members to update
            return managedChange.chain(changed -> CycleRepository.countResults(c, r.cycleId(), 1,
                    r.status() != ProvisioningStatus.Skipped ? 1 : 0, r.status() == ProvisioningStatus.Failure ? 1 : 0,
                    changed > 0 && type == ObjectType.USER)).replaceWith(true);
        }));
    }

    /**
     * Records Skipped results of one cycle that change nothing in Druva (the StagedDelete records of held deletions)
     * in the caller's transaction, and counts the new ones in the cycle. A result already recorded is left as it is.
     */
    public Uni<Void> recordSkipped(SqlConnection tx, String cycleId, List<ProvisioningResult> skipped) {
        if (skipped.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        for (ProvisioningResult r : skipped) {
            if (r.status() != ProvisioningStatus.Skipped || !r.cycleId().equals(cycleId)) {
                throw new IllegalArgumentException("not a Skipped result of cycle " + cycleId + ": " + r.resultId());
            }
        }
        return tx.preparedQuery(INSERT).executeBatch(skipped.stream().map(ProvisioningLogRepository::tuple).toList())
                .chain(rs -> {
                    int recorded = 0;
                    for (RowSet<Row> batch = rs; batch != null; batch = batch.next()) {
                        recorded += batch.rowCount();
                    }
                    return CycleRepository.countResults(tx, cycleId, recorded, 0, 0, false);
                });
    }

    private static final String INSERT = "INSERT INTO provisioning_log (result_id, job_id, cycle_id, event_id, "
            + "object_type, object_id, target_id, display_name, action, status, error_code, reason, http_status, "
            + "attempts, duration_ms, modified_properties, reported_by, occurred_at, received_at) "
            + "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,now()) "
            + "ON CONFLICT (result_id) DO NOTHING";

    private static Tuple tuple(ProvisioningResult r) {
        return Tuple.tuple(List.of()).addValue(r.resultId()).addValue(r.jobId()).addValue(r.cycleId())
                .addValue(r.eventId()).addValue(r.objectType() == null ? null : r.objectType().name())
                .addValue(r.objectId()).addValue(r.targetId()).addValue(truncate(r.displayName(), 512))
                .addValue(r.action().name()).addValue(r.status().name()).addValue(r.errorCode()).addValue(r.reason())
                .addValue(r.httpStatus()).addValue(r.attempts()).addValue(r.durationMillis())
                .addValue(r.modifiedProperties().isEmpty() ? null : Json.write(r.modifiedProperties()))
                .addValue(r.reportedBy())
                .addValue(OffsetDateTime.ofInstant(r.occurredAt() == null ? java.time.Instant.now() : r.occurredAt(),
                        ZoneOffset.UTC));
    }

    /** The objects the job manages in Druva (created or updated successfully, not deleted since), with their type. */
    public Uni<Map<String, ObjectType>> managedObjects(String jobId) {
        return pool.preparedQuery("SELECT object_id, object_type FROM managed_object WHERE job_id=$1")
                .execute(Tuple.of(jobId))
                .map(rs -> {
                    Map<String, ObjectType> objects = new HashMap<>();
                    rs.forEach(r -> objects.put(r.getString(0), ObjectType.valueOf(r.getString(1))));
                    return objects;
                });
    }

    /** Deletes log records that occurred before {@code before}; returns how many. */
    public Uni<Integer> purge(OffsetDateTime before) {
        return pool.preparedQuery("DELETE FROM provisioning_log WHERE occurred_at < $1").execute(Tuple.of(before))
                .map(rs -> rs.rowCount());
    }

    /** Deletes every log record of a job (the job was deleted). */
    public Uni<Void> deleteJob(String jobId) {
        return pool.preparedQuery("DELETE FROM provisioning_log WHERE job_id=$1").execute(Tuple.of(jobId))
                .replaceWithVoid();
    }

    /** Counts of a cycle's results by action and status, e.g. {@code Create/Success -> 12}. */
    public Uni<Map<String, Long>> counts(String jobId, String cycleId) {
        return pool
                .preparedQuery("SELECT action, status, count(*) FROM provisioning_log WHERE job_id=$1 AND cycle_id=$2 "
                        + "GROUP BY action, status")
                .execute(Tuple.of(jobId, cycleId)).map(rs -> {
                    Map<String, Long> counts = new TreeMap<>();
                    rs.forEach(r -> counts.put(r.getString(0) + "/" + r.getString(1), r.getLong(2)));
                    return counts;
                });
    }

    /**
     * The job's log records, newest first, filtered by whichever criteria are non-null.
     */
    public Uni<List<LogRecord>> query(String jobId, String cycleId, String objectId, String action, String status,
            OffsetDateTime since, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM provisioning_log WHERE job_id=$1");
        Tuple params = Tuple.of(jobId);
        int n = 1;
        if (cycleId != null) {
            sql.append(" AND cycle_id=$").append(++n);
            params.addValue(cycleId);
        }
        if (objectId != null) {
            sql.append(" AND object_id=$").append(++n);
            params.addValue(objectId);
        }
        if (action != null) {
            sql.append(" AND action=$").append(++n);
            params.addValue(action);
        }
        if (status != null) {
            sql.append(" AND status=$").append(++n);
            params.addValue(status);
        }
        if (since != null) {
            sql.append(" AND occurred_at >= $").append(++n);
            params.addValue(since);
        }
        sql.append(" ORDER BY occurred_at DESC LIMIT $").append(++n);
        params.addValue(limit);
        return pool.preparedQuery(sql.toString()).execute(params).map(rs -> {
            List<LogRecord> records = new ArrayList<>();
            rs.forEach(r -> records.add(LogRecord.of(r)));
            return records;
        });
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    /** One provisioning log record as the API shows it. */
    public record LogRecord(String jobId, String cycleId, String changeId, String objectType, String sourceId,
            String targetId, String displayName, String action, String status, String errorCode, String reason,
            Integer httpStatus, int attempts, long durationMillis, String modifiedProperties, String reportedBy,
            OffsetDateTime occurredAt) {

        static LogRecord of(Row r) {
            return new LogRecord(r.getString("job_id"), r.getString("cycle_id"), r.getString("event_id"),
                    r.getString("object_type"), r.getString("object_id"), r.getString("target_id"),
                    r.getString("display_name"), r.getString("action"), r.getString("status"),
                    r.getString("error_code"),
                    r.getString("reason"), r.getInteger("http_status"), r.getInteger("attempts"),
                    r.getLong("duration_ms"),
                    r.getString("modified_properties"), r.getString("reported_by"), r.getOffsetDateTime("occurred_at"));
        }
    }
}
