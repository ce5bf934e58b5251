package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;

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

    /** Records a result; returns false when it was already recorded. */
    public Uni<Boolean> record(ProvisioningResult r) {
        Tuple t = Tuple.tuple(List.of()).addValue(r.resultId()).addValue(r.jobId()).addValue(r.cycleId())
                .addValue(r.eventId()).addValue(r.objectType() == null ? null : r.objectType().name())
                .addValue(r.objectId()).addValue(r.targetId()).addValue(truncate(r.displayName(), 512))
                .addValue(r.action().name()).addValue(r.status().name()).addValue(r.errorCode()).addValue(r.reason())
                .addValue(r.httpStatus()).addValue(r.attempts()).addValue(r.durationMillis())
                .addValue(r.modifiedProperties().isEmpty() ? null : Json.write(r.modifiedProperties()))
                .addValue(r.reportedBy())
                .addValue(OffsetDateTime.ofInstant(r.occurredAt() == null ? java.time.Instant.now() : r.occurredAt(),
                        ZoneOffset.UTC));
        return pool.preparedQuery("INSERT INTO provisioning_log (result_id, job_id, cycle_id, event_id, object_type, "
                + "object_id, target_id, display_name, action, status, error_code, reason, http_status, attempts, "
                + "duration_ms, modified_properties, reported_by, occurred_at, received_at) "
                + "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,now()) "
                + "ON CONFLICT (result_id) DO NOTHING").execute(t).map(rs -> rs.rowCount() == 1);
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

    /** How many results a cycle has received. */
    public Uni<Long> resultCount(String jobId, String cycleId) {
        return pool.preparedQuery("SELECT count(*) FROM provisioning_log WHERE job_id=$1 AND cycle_id=$2")
                .execute(Tuple.of(jobId, cycleId)).map(rs -> rs.iterator().next().getLong(0));
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
